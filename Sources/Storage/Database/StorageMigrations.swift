import GRDB

/// The ordered list of schema migrations. A migration never changes once it has shipped: a change is a new one.
public struct StorageMigrations: Sendable {
    /// The GRDB migrator with every registered migration, in order.
    public let migrator: DatabaseMigrator

    /// Builds a migrator from registration functions, applied in order.
    public init(_ registrations: [@Sendable (inout DatabaseMigrator) -> Void]) {
        var migrator = DatabaseMigrator()
        for register in registrations { register(&migrator) }
        self.migrator = migrator
    }

    /// Every migration Strongroom ships, in order.
    public static let standard = StorageMigrations(standardRegistrations)

    /// The registration functions, one per part of the schema, in the order they first shipped.
    static let standardRegistrations: [@Sendable (inout DatabaseMigrator) -> Void] = [
        AuditSchema.registerMigrations,
        RecordsSchema.registerMigrations,
        AuditSchema.registerCosignatureMigrations,
        RecordsSchema.registerBreakGlassMigrations,
    ]
}

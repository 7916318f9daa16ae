import GRDB

/// The audit log's tables. (Placeholder until the audit store lands.)
public enum AuditSchema {
    /// Registers the audit migrations.
    public static func registerMigrations(_ migrator: inout DatabaseMigrator) {}
}

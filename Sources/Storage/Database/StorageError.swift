/// An error from the persistence layer.
///
/// Messages name what failed and what to do; they never contain SQL arguments or field values.
public struct StorageError: Error, CustomStringConvertible, Equatable, Sendable {
    private enum Code: Equatable, Sendable {
        case cannotOpen
        case migrationFailed
        case notFound
        case conflict
        case appendOnlyViolation
        case corrupt
        case auditLocked
    }

    private let code: Code
    /// What failed and what to do about it.
    public let message: String
    /// The underlying error, if any. Kept for operators' logs; never sent to clients.
    public let cause: (any Error)?

    private init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { message }

    public static func == (lhs: StorageError, rhs: StorageError) -> Bool { lhs.code == rhs.code }

    /// The database could not be opened or created.
    public static func cannotOpen(_ path: String, cause: (any Error)?) -> StorageError {
        StorageError(.cannotOpen, "cannot open the database at \(path); check that the data directory exists and is writable", cause: cause)
    }

    /// A schema migration failed; the database was left at its previous version.
    public static func migrationFailed(cause: (any Error)?) -> StorageError {
        StorageError(.migrationFailed, "database migration failed and was rolled back; the database is unchanged", cause: cause)
    }

    /// A row that should exist does not.
    public static func notFound(_ what: String) -> StorageError { StorageError(.notFound, "\(what) not found") }

    /// A write lost a race or violated a uniqueness rule.
    public static func conflict(_ what: String) -> StorageError { StorageError(.conflict, what) }

    /// Something tried to change or delete an append-only row.
    public static func appendOnlyViolation(_ what: String) -> StorageError { StorageError(.appendOnlyViolation, what) }

    /// Stored data does not have the shape it must have.
    public static func corrupt(_ what: String) -> StorageError { StorageError(.corrupt, what) }

    /// The audit log no longer extends what the server last signed; every audited operation is refused until an
    /// operator has investigated (fail closed).
    public static func auditLocked(_ what: String) -> StorageError { StorageError(.auditLocked, what) }

    public static let auditLockedCode = StorageError(.auditLocked, "audit log locked")
    public static let notFoundCode = StorageError(.notFound, "not found")
    public static let conflictCode = StorageError(.conflict, "conflict")
    public static let appendOnlyViolationCode = StorageError(.appendOnlyViolation, "append-only")
    public static let corruptCode = StorageError(.corrupt, "corrupt")
}

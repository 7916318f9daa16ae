import AuditLog
import GRDB
import Logging
import Sealing
import Storage

/// A row whose content decides access, protected by a MAC under a key-ring key (``RowAuthenticator``).
///
/// `macColumns` lists every access-relevant column in a fixed order; columns that only count (failed sign-ins,
/// `updated_at`) are left out so that they can change without a read-modify-write.
protocol AuthenticatedRow: Sendable {
    /// The table the row belongs to (bound into the MAC).
    static var macTable: String { get }
    /// The row's primary key (bound into the MAC).
    var macKey: String { get }
    /// The authenticated columns, in order.
    var macColumns: [RowValue] { get }
    var rowMAC: [UInt8]? { get set }
}

/// A row that failed its MAC check: altered, forged, re-parented or copied from elsewhere by someone writing to the
/// database directly. Carries the table and key only, never contents.
public struct IntegrityViolation: Error, Sendable, Equatable, CustomStringConvertible {
    public let table: String
    public let key: String

    public var description: String { "the \(table) row \(key) failed its integrity check and was refused" }
}

/// Makes and checks row MACs, and raises the alarm when one fails.
public final class RowIntegrity: Sendable {
    let authenticator: RowAuthenticator
    private let writer: GroupCommitWriter
    private let audit: AuditTrail
    private let logger: Logger

    init(authenticator: RowAuthenticator, writer: GroupCommitWriter, audit: AuditTrail, logger: Logger) {
        self.authenticator = authenticator
        self.writer = writer
        self.audit = audit
        self.logger = logger
    }

    /// Sets the row's MAC over its current content (call after the last change, before writing it).
    func authenticate<Row: AuthenticatedRow>(_ row: inout Row) throws {
        row.rowMAC = try authenticator.mac(table: Row.macTable, key: row.macKey, columns: row.macColumns)
    }

    /// The row with its MAC set.
    func authenticated<Row: AuthenticatedRow>(_ row: Row) throws -> Row {
        var copy = row
        try authenticate(&copy)
        return copy
    }

    /// Returns the row when its MAC is valid.
    ///
    /// - Throws: ``IntegrityViolation`` when it is not (fail closed: the caller gets no data from the row).
    @discardableResult
    func check<Row: AuthenticatedRow>(_ row: Row) throws -> Row {
        guard authenticator.verify(row.rowMAC, table: Row.macTable, key: row.macKey, columns: row.macColumns) else {
            throw IntegrityViolation(table: Row.macTable, key: row.macKey)
        }
        return row
    }

    /// The verified row, or `nil` when there is none.
    func checkIfFound<Row: AuthenticatedRow>(_ row: Row?) throws -> Row? {
        guard let row else { return nil }
        return try check(row)
    }

    /// Records the alarm for a refused row: an operator log line and an `integrity.alarm` audit entry naming the
    /// table and key (never contents). Best effort: a failure to record is logged, and the caller is refused anyway.
    func raiseAlarm(_ violation: IntegrityViolation, requestID: String) async {
        logger.error(
            "integrity alarm: a row failed its MAC check and was refused; someone may have written to the database directly. Investigate with `strongroom audit show --action integrity.alarm` and compare with a backup",
            metadata: ["table": .string(violation.table), "key": .string(violation.key)])
        let draft = AuditEntryDraft(
            actor: AuditActor(id: "system", role: "integrity"), action: SQLiteAuditStore.alarmAction,
            target: AuditTarget(collection: violation.table, recordID: String(violation.key.prefix(128))), decision: .deny(),
            requestID: bounded(requestID, 128), details: ["table": violation.table, "reason": "row-mac-failed"])
        let audit = self.audit
        do {
            try await writer.write { db in try audit.record(draft, in: db) }
        } catch {
            logger.error("integrity alarm could not be written to the audit log", metadata: ["error": .string(String(describing: type(of: error)))])
        }
    }

    /// Records the alarm for an audit log that does not extend what the server last signed: an `integrity.alarm`
    /// entry (appended although the log is otherwise locked) naming the kind and the first entry found wrong.
    func raiseAuditAlarm(_ mismatch: AuditAnchorMismatch) async {
        var details = ["table": "audit_entry", "reason": "audit-\(mismatch.kind.rawValue)"]
        if let seq = mismatch.seq { details["seq"] = String(seq) }
        let draft = AuditEntryDraft(
            actor: AuditActor(id: "system", role: "integrity"), action: SQLiteAuditStore.alarmAction,
            target: AuditTarget(collection: "audit_entry", recordID: mismatch.seq.map { String($0) }), decision: .deny(),
            requestID: "audit-anchor", details: details)
        let audit = self.audit
        do {
            try await writer.write { db in try audit.record(draft, in: db) }
        } catch {
            logger.error("integrity alarm could not be written to the audit log", metadata: ["error": .string(String(describing: type(of: error)))])
        }
    }

    /// Runs `body`; a row that fails its check raises the alarm and answers `refusal` instead, as for a missing row.
    func guarded<T>(requestID: String, refusal: @autoclosure () -> StrongroomError, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let violation as IntegrityViolation {
            await raiseAlarm(violation, requestID: requestID)
            throw refusal()
        }
    }
}

import GRDB
import Sealing
import Storage

/// Row MAC and field revision checks on the service's own paths to storage: every row that decides access is checked
/// where it is read, and rewritten (with a new MAC) inside the transaction that changes it.
extension RecordService {
    /// `writer.write`, where a row that fails its check raises the integrity alarm and answers 404, as a missing row.
    @discardableResult
    func guardedWrite<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await integrity.guarded(requestID: "write", refusal: StrongroomError.notFound("record")) { try await writer.write(body) }
    }

    /// `database.read`, with the same handling of a row that fails its check.
    func guardedRead<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await integrity.guarded(requestID: "read", refusal: StrongroomError.notFound("record")) { try await database.read(body) }
    }

    /// The request with this id, when its MAC is valid.
    ///
    /// - Throws: ``IntegrityViolation`` for a row that fails.
    func verifiedRequest(_ id: String, in db: Database) throws -> RequestRow? {
        try integrity.checkIfFound(RequestRow.find(id, in: db))
    }

    /// Reads the request inside the caller's transaction (verified), applies `change`, and writes it back with a new
    /// MAC. With `status`, the row must still be in that state (else `concurrent_change`), so a change decided on an
    /// earlier read never overwrites a newer one.
    @discardableResult
    func rewriteRequest(
        _ id: String, expecting status: String? = nil, assignee: String?? = nil, in db: Database, _ change: (inout RequestRow) throws -> Void
    ) throws -> RequestRow {
        guard var row = try verifiedRequest(id, in: db) else { throw StrongroomError.notFound("record") }
        if let status, row.status != status {
            throw StrongroomError.conflict("concurrent_change", "the request changed meanwhile; reload it and try again")
        }
        if let assignee, row.assigneeID != assignee {
            throw StrongroomError.conflict("concurrent_change", "the request changed meanwhile; reload it and try again")
        }
        try change(&row)
        try integrity.authenticate(&row)
        try row.update(db)
        return row
    }

    /// The account row with this id, when its MAC is valid.
    func verifiedAccount(_ id: String, in db: Database) throws -> AccountRow? {
        try integrity.checkIfFound(AccountRow.fetchOne(db.cachedStatement(sql: "SELECT * FROM accounts WHERE id = ?"), arguments: [id]))
    }

    /// The payment row with this id, when its MAC is valid.
    func verifiedPayment(_ id: String, in db: Database) throws -> PaymentRow? {
        try integrity.checkIfFound(PaymentRow.fetchOne(db.cachedStatement(sql: "SELECT * FROM payments WHERE id = ?"), arguments: [id]))
    }

    /// Refuses envelopes that are not the current value of their field (an older envelope of the same place copied
    /// back): the owning record's revisions name another write.
    ///
    /// - Throws: ``IntegrityViolation`` naming the field's place.
    static func checkRevisions(
        _ envelopes: [FieldRows.Envelope], collection: String, recordID: String, against revisions: FieldRevisions
    ) throws {
        for envelope in envelopes where !revisions.admits(envelope.bytes, collection: collection, field: envelope.field) {
            throw IntegrityViolation(table: "sealed_fields", key: "\(collection)/\(recordID)/\(envelope.field)")
        }
    }

    /// Records in `revisions` what storing `prepared` and removing `removals` does to the fields of `collection`.
    static func apply(_ prepared: [PreparedField], removals: Set<String> = [], collection: String, to revisions: inout FieldRevisions) {
        for field in prepared { revisions.set(field.revision, collection: collection, field: field.field) }
        for field in removals { revisions.set(nil, collection: collection, field: field) }
    }
}

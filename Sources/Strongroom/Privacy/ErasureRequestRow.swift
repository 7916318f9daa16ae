import GRDB
import Sealing

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One row of `erasure_requests`: when a subject's erasure takes effect and whether it is done. Authenticated, so
/// that a database writer can neither schedule someone's erasure nor mark one done.
struct ErasureRequestRow: Sendable, FetchableRecord {
    var subjectID: String
    var requestedAt: Int64
    var effectiveAt: Int64
    var basis: String
    var completedAt: Int64?
    var rowMAC: [UInt8]?

    init(row: Row) {
        subjectID = row["subject_id"]
        requestedAt = row["requested_at"]
        effectiveAt = row["effective_at"]
        basis = row["basis"]
        completedAt = row["completed_at"]
        rowMAC = (row["row_mac"] as Data?).map { [UInt8]($0) }
    }

    init(subjectID: String, requestedAt: Int64, effectiveAt: Int64, basis: String) {
        self.subjectID = subjectID
        self.requestedAt = requestedAt
        self.effectiveAt = effectiveAt
        self.basis = basis
    }

    static func find(_ subjectID: String, in db: Database) throws -> ErasureRequestRow? {
        try ErasureRequestRow.fetchOne(db, sql: "SELECT * FROM erasure_requests WHERE subject_id = ?", arguments: [subjectID])
    }

    /// Inserts the row unless one exists for the subject; returns whether it did.
    func insertIfAbsent(_ db: Database) throws -> Bool {
        try db.execute(
            sql: "INSERT OR IGNORE INTO erasure_requests (subject_id, requested_at, effective_at, basis, completed_at, row_mac) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [subjectID, requestedAt, effectiveAt, basis, completedAt, rowMAC.map { Data($0) }])
        return db.changesCount == 1
    }

    func update(_ db: Database) throws {
        try db.execute(
            sql: "UPDATE erasure_requests SET requested_at = ?, effective_at = ?, basis = ?, completed_at = ?, row_mac = ? WHERE subject_id = ?",
            arguments: [requestedAt, effectiveAt, basis, completedAt, rowMAC.map { Data($0) }, subjectID])
    }

    func updateMAC(_ db: Database) throws { try update(db) }
}

extension ErasureRequestRow: AuthenticatedRow {
    static let macTable = "erasure_requests"
    var macKey: String { subjectID }
    var macColumns: [RowValue] {
        [.integer(requestedAt), .integer(effectiveAt), .text(basis), completedAt.map(RowValue.integer) ?? .null]
    }
}

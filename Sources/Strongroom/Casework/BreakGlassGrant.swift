import GRDB
import Sealing
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One person's break-glass access to one record, for the rule's time limit (see the `break_glass_grants`
/// migration). The first access opens it with a substantive justification, which is sealed beside it; later
/// accesses within the limit name it instead of repeating the justification; after `expiresAt` it is worth
/// nothing, and the next access needs a new justification.
struct BreakGlassGrantRow: Sendable, FetchableRecord {
    var id: String
    var actorID: String
    var collection: String
    var recordID: String
    var grantedAt: Int64
    var expiresAt: Int64
    var rowMAC: [UInt8]?

    /// Where the sealed justification lives in `sealed_fields`.
    static let justificationCollection = "break_glass"
    var justificationPlace: FieldPlace { FieldPlace(collection: Self.justificationCollection, recordID: id, field: "justification") }

    init(row: Row) {
        id = row["id"]
        actorID = row["actor_id"]
        collection = row["collection"]
        recordID = row["record_id"]
        grantedAt = row["granted_at"]
        expiresAt = row["expires_at"]
        rowMAC = (row["row_mac"] as Data?).map { [UInt8]($0) }
    }

    init(id: String, actorID: String, collection: String, recordID: String, grantedAt: Int64, expiresAt: Int64) {
        self.id = id
        self.actorID = actorID
        self.collection = collection
        self.recordID = recordID
        self.grantedAt = grantedAt
        self.expiresAt = expiresAt
    }

    /// The newest grant of `actorID` on the record still in force at `now`, MAC checked.
    ///
    /// - Throws: ``IntegrityViolation`` for a forged or altered row (a grant skips the justification, so a row
    ///   inserted by SQL must not count).
    static func active(
        actorID: String, collection: String, recordID: String, at now: Int64, integrity: RowIntegrity, in db: Database
    ) throws -> BreakGlassGrantRow? {
        let row = try BreakGlassGrantRow.fetchOne(
            db.cachedStatement(sql: """
                SELECT * FROM break_glass_grants WHERE actor_id = ? AND collection = ? AND record_id = ? AND expires_at > ? AND granted_at <= ?
                ORDER BY expires_at DESC LIMIT 1
                """),
            arguments: [actorID, collection, recordID, now, now])
        return try integrity.checkIfFound(row)
    }

    static func find(_ id: String, in db: Database) throws -> BreakGlassGrantRow? {
        try BreakGlassGrantRow.fetchOne(db.cachedStatement(sql: "SELECT * FROM break_glass_grants WHERE id = ?"), arguments: [id])
    }

    func insert(_ db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO break_glass_grants (id, actor_id, collection, record_id, granted_at, expires_at, row_mac) VALUES (?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [id, actorID, collection, recordID, grantedAt, expiresAt, rowMAC.map { Data($0) }])
    }
}

extension BreakGlassGrantRow: AuthenticatedRow {
    static let macTable = "break_glass_grants"
    var macKey: String { id }
    var macColumns: [RowValue] {
        [.text(actorID), .text(collection), .text(recordID), .integer(grantedAt), .integer(expiresAt)]
    }
}

/// What a break-glass read does about grants: use one in force, or open one with the justification sent.
enum BreakGlassGrantUse: Sendable {
    /// Not a break-glass access.
    case none
    /// Within a grant opened earlier (no new justification needed).
    case existing(BreakGlassGrantRow)
    /// A new grant, with its sealed justification, to insert with the access's audit entry.
    case new(BreakGlassGrantRow, justification: [UInt8])

    var grantID: String? {
        switch self {
        case .none: nil
        case .existing(let grant), .new(let grant, _): grant.id
        }
    }

    /// The audit details that tie the access to its grant.
    var details: [String: String] {
        switch self {
        case .none: [:]
        case .existing(let grant): ["grant": grant.id, "grant_expires_ms": String(grant.expiresAt), "grant_opened": "earlier"]
        case .new(let grant, _): ["grant": grant.id, "grant_expires_ms": String(grant.expiresAt), "grant_opened": "now"]
        }
    }
}

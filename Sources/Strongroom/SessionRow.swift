import GRDB
import Sealing
import Sodium

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One row of `sessions`. The token is stored only as its keyed hash (``RowAuthenticator/tokenHash(_:)``), and the
/// row is authenticated, so a database writer can neither mint a session nor move one to another account, raise its
/// strength or extend it.
struct SessionRow: Sendable, FetchableRecord {
    var tokenHash: [UInt8]
    var accountID: String
    var createdAt: Int64
    var expiresAt: Int64
    var strength: String
    var revokedAt: Int64?
    /// When the session was last used (at most a minute out), `nil` if never since it was made.
    var lastSeenAt: Int64?
    var rowMAC: [UInt8]?

    init(row: Row) {
        tokenHash = [UInt8]((row["token_hash"] as Data?) ?? Data())
        accountID = row["account_id"]
        createdAt = row["created_at"]
        expiresAt = row["expires_at"]
        strength = row["strength"]
        revokedAt = row["revoked_at"]
        lastSeenAt = row["last_seen_at"]
        rowMAC = (row["row_mac"] as Data?).map { [UInt8]($0) }
    }

    init(tokenHash: [UInt8], accountID: String, createdAt: Int64, expiresAt: Int64, strength: String) {
        self.tokenHash = tokenHash
        self.accountID = accountID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.strength = strength
    }

    static let columns = "token_hash, account_id, created_at, expires_at, strength, revoked_at, row_mac, last_seen_at"

    /// Idle since: the last use, or the creation when it was never used.
    var idleSince: Int64 { max(lastSeenAt ?? createdAt, createdAt) }

    static func find(tokenHash: [UInt8], in db: Database) throws -> SessionRow? {
        try SessionRow.fetchOne(
            db.cachedStatement(sql: "SELECT \(columns) FROM sessions WHERE token_hash = ?"), arguments: [Data(tokenHash)])
    }

    func insert(_ db: Database) throws {
        try db.execute(
            sql: "INSERT INTO sessions (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            arguments: [Data(tokenHash), accountID, createdAt, expiresAt, strength, revokedAt, rowMAC.map { Data($0) }, lastSeenAt])
    }

    /// Writes the revocation (and the new MAC).
    func updateRevocation(_ db: Database) throws {
        try db.execute(
            sql: "UPDATE sessions SET revoked_at = ?, row_mac = ? WHERE token_hash = ?",
            arguments: [revokedAt, rowMAC.map { Data($0) }, Data(tokenHash)])
    }

    /// Writes the last use (and the new MAC).
    func updateLastSeen(_ db: Database) throws {
        try db.execute(
            sql: "UPDATE sessions SET last_seen_at = ?, row_mac = ? WHERE token_hash = ?",
            arguments: [lastSeenAt, rowMAC.map { Data($0) }, Data(tokenHash)])
    }

    /// Revokes every open session of `accountIDs` but the one under `keeping`, re-authenticating each row. Returns
    /// how many it ended.
    @discardableResult
    static func revokeAll(
        of accountIDs: [String], keeping: [UInt8]? = nil, at millis: Int64, integrity: RowIntegrity, in db: Database
    ) throws -> Int {
        var ended = 0
        for accountID in accountIDs {
            let open = try SessionRow.fetchAll(
                db, sql: "SELECT \(columns) FROM sessions WHERE account_id = ? AND revoked_at IS NULL", arguments: [accountID])
            for var session in open where session.tokenHash != keeping {
                ended += 1
                // A row that does not verify was never a session this service made: it goes.
                guard (try? integrity.check(session)) != nil else {
                    try db.execute(sql: "DELETE FROM sessions WHERE token_hash = ?", arguments: [Data(session.tokenHash)])
                    continue
                }
                session.revokedAt = millis
                try integrity.authenticate(&session)
                try session.updateRevocation(db)
            }
        }
        return ended
    }
}

extension SessionRow: AuthenticatedRow {
    static let macTable = "sessions"
    var macKey: String { tokenHash.hexString }
    /// The last use is authenticated too (a writer cannot keep an idle session alive), appended only once set, so the
    /// MACs of rows written before the column existed still verify.
    var macColumns: [RowValue] {
        [.text(accountID), .integer(createdAt), .integer(expiresAt), .text(strength), revokedAt.map(RowValue.integer) ?? .null]
            + (lastSeenAt.map { [RowValue.integer($0)] } ?? [])
    }
}

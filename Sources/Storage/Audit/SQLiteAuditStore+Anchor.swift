import AuditLog
import Foundation
import GRDB
internal import GRDBSQLite

extension SQLiteAuditStore {
    /// Extends `anchor` to the log's current size in `db`, re-hashing the canonical bytes of every entry after it,
    /// and checks that the stored Merkle tree agrees with the re-hashed one.
    ///
    /// - Returns: the size reached.
    /// - Throws: ``AuditAnchorMismatch`` when the log does not extend the anchor (fewer entries, a rewritten or
    ///   missing entry, a stored tree that disagrees, a forged key handover); `anchor` is unchanged then.
    @discardableResult
    public func extend(_ anchor: inout AuditAnchor, in db: Database) throws -> UInt64 {
        let current = try size(in: db)
        guard current >= anchor.size else {
            throw AuditAnchorMismatch(
                .rolledBack, seq: current,
                "the log holds \(current) entries, fewer than the \(anchor.size) the signer last signed: entries were deleted or the database was rolled back")
        }
        var extended = anchor
        if extended.size > 0 {
            let last = extended.size - 1
            let stored = try Data.fetchOne(db, sql: "SELECT chain_hash FROM audit_entry WHERE seq = ?", arguments: [Int64(last)])
            guard let stored, [UInt8](stored) == extended.chain else {
                throw AuditAnchorMismatch(
                    .entryChanged, seq: last,
                    "entry \(last), the last one the signer signed, or an entry before it, was rewritten (its chain hash changed)")
            }
        }
        if current > extended.size {
            let statement = try db.makeStatement(
                sql: "SELECT seq, canonical, leaf_hash, chain_hash FROM audit_entry WHERE seq >= ? ORDER BY seq LIMIT ?")
            let cursor = try Row.fetchCursor(statement, arguments: [Int64(extended.size), Int64(current - extended.size)])
            let raw = statement.sqliteStatement
            while try cursor.next() != nil {
                let seq = sqlite3_column_int64(raw, 0)
                guard seq == Int64(extended.size) else {
                    throw AuditAnchorMismatch(.entryChanged, seq: extended.size, "entry \(extended.size) is missing from the log")
                }
                try extended.extend(canonical: Self.blob(raw, 1), storedLeaf: Self.blob(raw, 2), storedChain: Self.blob(raw, 3))
            }
            guard extended.size == current else {
                throw AuditAnchorMismatch(.entryChanged, seq: extended.size, "entry \(extended.size) is missing from the log")
            }
        }
        let storedRoot: [UInt8]
        do { storedRoot = try MerkleTree.root(size: current, node: nodeReader(db)) } catch {
            throw AuditAnchorMismatch(.treeChanged, seq: nil, "the stored Merkle nodes of the log are missing or damaged")
        }
        guard storedRoot == extended.root else {
            throw AuditAnchorMismatch(
                .treeChanged, seq: nil,
                "the stored Merkle tree of \(current) entries does not match the entries: audit_node rows were altered")
        }
        anchor = extended
        return current
    }

    /// Extends `anchor` to the current log (``extend(_:in:)``) and signs and stores a checkpoint of exactly what was
    /// re-hashed. This is how the server signs: never over stored hashes it has not checked.
    ///
    /// - Parameter signer: must hold the anchor's key in force after extension.
    /// - Throws: ``AuditAnchorMismatch`` (nothing is signed), ``AuditError/invalidArgument(_:)`` when `signer` is not
    ///   the key in force.
    @discardableResult
    public func signCheckpoint(
        extending anchor: inout AuditAnchor, signer: (AuditVerifierKey) throws -> AuditCheckpointSigner, in db: Database
    ) throws -> SignedCheckpoint {
        var extended = anchor
        try extend(&extended, in: db)
        let signing = try signer(extended.keyInForce)
        guard signing.verifierKey == extended.keyInForce else {
            throw AuditError.invalidArgument("a checkpoint must be signed by the key in force (\(extended.keyInForce.name)+\(extended.keyInForce.keyHash.hexString))")
        }
        let checkpoint = AuditCheckpoint(origin: extended.origin, size: extended.size, rootHash: extended.root)
        let signed = signing.sign(checkpoint)
        try db.execute(
            sql: "INSERT INTO audit_checkpoint (tree_size, created_ms, note) VALUES (?, ?, ?)",
            arguments: [Int64(extended.size), now.millisecondsSince1970, signed.text])
        anchor = extended
        return signed
    }

    /// Whether the log in `db` still holds the anchor's last entry unchanged (after a commit: a savepoint of the
    /// batch may have rolled the signed entries back).
    public func stillHolds(_ anchor: AuditAnchor, in db: Database) -> Bool {
        guard anchor.size > 0 else { return true }
        guard let stored = try? Data.fetchOne(db, sql: "SELECT chain_hash FROM audit_entry WHERE seq = ?", arguments: [Int64(anchor.size - 1)])
        else { return false }
        return [UInt8](stored) == anchor.chain
    }

    /// The time of the last stored checkpoint, for due checks.
    func lastCheckpointMark(in db: Database) throws -> (size: UInt64, time: AuditTime)? {
        try Row.fetchOne(db, sql: "SELECT tree_size, created_ms FROM audit_checkpoint ORDER BY id DESC LIMIT 1")
            .map { (size: UInt64(max(0, $0[0] as Int64)), time: AuditTime(millisecondsSince1970: $0[1])) }
    }

    /// Whether `policy` says a checkpoint is due now.
    public func isCheckpointDue(_ policy: AuditCheckpointPolicy, in db: Database) throws -> Bool {
        policy.isDue(size: try size(in: db), lastCheckpoint: try lastCheckpointMark(in: db), now: now)
    }
}

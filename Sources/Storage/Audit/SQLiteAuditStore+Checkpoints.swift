import AuditLog
import GRDB

extension SQLiteAuditStore {
    /// The RFC 9162 root of the first `size` entries, from O(log n) stored nodes.
    public func root(size: UInt64, in db: Database) throws -> [UInt8] {
        let current = try self.size(in: db)
        guard size <= current else { throw AuditError.invalidArgument("the log has \(current) entries; cannot compute the root of size \(size)") }
        return try MerkleTree.root(size: size, node: nodeReader(db))
    }

    /// The inclusion proof of entry `seq` in the tree of `size` entries (default: the current size).
    ///
    /// - Throws: ``AuditError/invalidArgument(_:)`` when `seq >= size` or `size` exceeds the log.
    public func inclusionProof(seq: UInt64, size: UInt64? = nil, in db: Database) throws -> AuditInclusionProof {
        let current = try self.size(in: db)
        let treeSize = size ?? current
        guard treeSize <= current else { throw AuditError.invalidArgument("the log has \(current) entries; cannot prove against size \(treeSize)") }
        let reader = nodeReader(db)
        let path = try MerkleTree.inclusionProof(index: seq, size: treeSize, node: reader)
        return AuditInclusionProof(leafIndex: seq, treeSize: treeSize, leafHash: try reader(0, seq), path: path)
    }

    /// The consistency proof from size `oldSize` to `newSize` (default: the current size).
    public func consistencyProof(from oldSize: UInt64, to newSize: UInt64? = nil, in db: Database) throws -> AuditConsistencyProof {
        let current = try self.size(in: db)
        let target = newSize ?? current
        guard target <= current else { throw AuditError.invalidArgument("the log has \(current) entries; cannot prove consistency to size \(target)") }
        let path = try MerkleTree.consistencyProof(from: oldSize, to: target, node: nodeReader(db))
        return AuditConsistencyProof(oldSize: oldSize, newSize: target, path: path)
    }

    /// Signs and stores a checkpoint of the current log (on demand).
    ///
    /// - Parameter origin: the checkpoint origin; defaults to the signer's key name.
    @discardableResult
    public func makeCheckpoint(signer: AuditCheckpointSigner, origin: String? = nil, in db: Database) throws -> SignedCheckpoint {
        let size = try self.size(in: db)
        let checkpoint = AuditCheckpoint(
            origin: origin ?? signer.verifierKey.name, size: size, rootHash: try MerkleTree.root(size: size, node: nodeReader(db)))
        let signed = signer.sign(checkpoint)
        try db.execute(
            sql: "INSERT INTO audit_checkpoint (tree_size, created_ms, note) VALUES (?, ?, ?)",
            arguments: [Int64(size), now.millisecondsSince1970, signed.text])
        return signed
    }

    /// Signs and stores a checkpoint when `policy` says one is due (by entry count or time since the last).
    ///
    /// - Returns: the new checkpoint, or `nil` when none was due.
    @discardableResult
    public func checkpointIfDue(
        policy: AuditCheckpointPolicy, signer: AuditCheckpointSigner, origin: String? = nil, in db: Database
    ) throws -> SignedCheckpoint? {
        guard try isCheckpointDue(policy, in: db) else { return nil }
        return try makeCheckpoint(signer: signer, origin: origin, in: db)
    }

    /// The most recent stored checkpoint with the witness cosignatures received for it, or `nil` before the first.
    public func latestCheckpoint(in db: Database) throws -> SignedCheckpoint? {
        guard let note = try String.fetchOne(db, sql: "SELECT note FROM audit_checkpoint ORDER BY id DESC LIMIT 1") else { return nil }
        return try withCosignatures([Self.parse(note)], in: db)[0]
    }

    /// Every stored checkpoint, oldest first, each with the witness cosignatures received for its size and root.
    public func allCheckpoints(in db: Database) throws -> [SignedCheckpoint] {
        try withCosignatures(String.fetchAll(db, sql: "SELECT note FROM audit_checkpoint ORDER BY id").map(Self.parse), in: db)
    }

    private static func parse(_ note: String) throws -> SignedCheckpoint {
        do { return try SignedCheckpoint(text: note) } catch let error as AuditError {
            throw StorageError.corrupt("a stored audit checkpoint does not parse (\(error.message)); run audit verify")
        }
    }
}

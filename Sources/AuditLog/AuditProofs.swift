/// An inclusion proof for one entry, as `audit prove --entry N [--size M]` prints it.
public struct AuditInclusionProof: Sendable, Hashable {
    public var leafIndex: UInt64
    public var treeSize: UInt64
    /// The entry's RFC 9162 leaf hash.
    public var leafHash: [UInt8]
    /// The audit path, leaf level first.
    public var path: [[UInt8]]

    public init(leafIndex: UInt64, treeSize: UInt64, leafHash: [UInt8], path: [[UInt8]]) {
        self.leafIndex = leafIndex
        self.treeSize = treeSize
        self.leafHash = leafHash
        self.path = path
    }

    /// Whether the proof leads to `root` (a checkpoint's root of size ``treeSize``).
    public func verify(root: [UInt8]) -> Bool {
        MerkleProofVerifier.verifyInclusion(leafIndex: leafIndex, treeSize: treeSize, leafHash: leafHash, proof: path, root: root)
    }

    /// Whether the proof leads to the root of `checkpoint` (sizes must agree).
    public func verify(against checkpoint: AuditCheckpoint) -> Bool {
        checkpoint.size == treeSize && verify(root: checkpoint.rootHash)
    }

    /// Lines for people.
    public var text: String {
        (["inclusion proof: entry \(leafIndex) in tree of size \(treeSize)", "leaf hash: \(leafHash.hexString)"]
            + path.enumerated().map { "path[\($0.offset)]: \($0.element.hexString)" }).joined(separator: "\n")
    }

    /// One JSON object: `{"type":"inclusion","leafIndex":N,"treeSize":M,"leafHash":"hex","path":["hex",…]}`.
    public var json: String {
        "{\"type\":\"inclusion\",\"leafIndex\":\(leafIndex),\"treeSize\":\(treeSize),\"leafHash\":\"\(leafHash.hexString)\",\"path\":[\(path.map { "\"\($0.hexString)\"" }.joined(separator: ","))]}"
    }
}

/// A consistency proof between two tree sizes.
public struct AuditConsistencyProof: Sendable, Hashable {
    public var oldSize: UInt64
    public var newSize: UInt64
    public var path: [[UInt8]]

    public init(oldSize: UInt64, newSize: UInt64, path: [[UInt8]]) {
        self.oldSize = oldSize
        self.newSize = newSize
        self.path = path
    }

    /// Whether the proof shows the tree with `oldRoot` is a prefix of the tree with `newRoot`.
    public func verify(oldRoot: [UInt8], newRoot: [UInt8]) -> Bool {
        MerkleProofVerifier.verifyConsistency(oldSize: oldSize, newSize: newSize, oldRoot: oldRoot, newRoot: newRoot, proof: path)
    }

    /// Whether the proof links two checkpoints (sizes must agree).
    public func verify(from old: AuditCheckpoint, to new: AuditCheckpoint) -> Bool {
        old.size == oldSize && new.size == newSize && verify(oldRoot: old.rootHash, newRoot: new.rootHash)
    }

    /// Lines for people.
    public var text: String {
        (["consistency proof: size \(oldSize) to size \(newSize)"]
            + path.enumerated().map { "path[\($0.offset)]: \($0.element.hexString)" }).joined(separator: "\n")
    }

    /// One JSON object: `{"type":"consistency","oldSize":N,"newSize":M,"path":["hex",…]}`.
    public var json: String {
        "{\"type\":\"consistency\",\"oldSize\":\(oldSize),\"newSize\":\(newSize),\"path\":[\(path.map { "\"\($0.hexString)\"" }.joined(separator: ","))]}"
    }
}

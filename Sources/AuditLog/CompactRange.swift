/// The right frontier of a Merkle tree: the roots of the perfect subtrees that make up a tree of ``size`` leaves,
/// largest (leftmost) first. O(log n) memory; appending a leaf merges equal-height subtrees.
///
/// Used by the verifier to recompute roots while streaming, and by stores to learn which interior nodes a new
/// leaf completes.
public struct CompactRange: Sendable, Hashable {
    /// Number of leaves appended.
    public private(set) var size: UInt64 = 0
    /// Perfect subtree roots, left to right, with their levels (0 = leaf).
    public private(set) var subtrees: [(level: Int, hash: [UInt8])] = []

    public init() {}

    /// A range resumed from stored subtree roots for a tree of `size` leaves, in the order of
    /// ``MerkleTree/perfectSubtrees(size:)``.
    ///
    /// - Throws: ``AuditError/invalidArgument(_:)`` when the number of hashes does not match `size`.
    public init(size: UInt64, hashes: [[UInt8]]) throws {
        let shape = MerkleTree.perfectSubtrees(size: size)
        guard shape.count == hashes.count, hashes.allSatisfy({ $0.count == 32 }) else {
            throw AuditError.invalidArgument("a tree of \(size) leaves has \(shape.count) perfect subtrees, got \(hashes.count) hashes")
        }
        self.size = size
        self.subtrees = zip(shape, hashes).map { ($0.level, $1) }
    }

    /// Appends a leaf hash; `completed` receives each interior node (level ≥ 1, index, hash) the leaf completes,
    /// lowest first.
    public mutating func append(_ leafHash: [UInt8], completed: (_ level: Int, _ index: UInt64, _ hash: [UInt8]) -> Void = { _, _, _ in }) {
        size += 1
        var level = 0
        var hash = leafHash
        while let last = subtrees.last, last.level == level {
            subtrees.removeLast()
            hash = AuditHashing.nodeHash(last.hash, hash)
            level += 1
            completed(level, (size >> UInt64(level)) - 1, hash)
        }
        subtrees.append((level, hash))
    }

    /// The RFC 9162 root of the tree so far (the empty-tree root for size 0).
    public var root: [UInt8] {
        guard var hash = subtrees.last?.hash else { return AuditHashing.emptyTreeRoot }
        for index in stride(from: subtrees.count - 2, through: 0, by: -1) {
            hash = AuditHashing.nodeHash(subtrees[index].hash, hash)
        }
        return hash
    }

    public static func == (lhs: CompactRange, rhs: CompactRange) -> Bool {
        lhs.size == rhs.size && lhs.subtrees.map(\.hash) == rhs.subtrees.map(\.hash)
            && lhs.subtrees.map(\.level) == rhs.subtrees.map(\.level)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(size)
        for subtree in subtrees { hasher.combine(subtree.hash) }
    }
}

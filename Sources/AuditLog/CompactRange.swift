/// The right frontier of a Merkle tree: the roots of the perfect subtrees that make up a tree of ``size`` leaves,
/// largest (leftmost) first. O(log n) memory; appending a leaf merges equal-height subtrees.
///
/// Used by the verifier to recompute roots while streaming, and by stores to learn which interior nodes a new
/// leaf completes. Hashes are held inline (``AuditDigest``), so appending allocates nothing once the frontier
/// has grown to its height.
public struct CompactRange: Sendable, Hashable {
    /// Number of leaves appended.
    public private(set) var size: UInt64 = 0
    /// Perfect subtree roots, left to right, with their levels (0 = leaf).
    private var nodes: [(level: Int, hash: AuditDigest)] = []

    public init() {}

    /// A range resumed from stored subtree roots for a tree of `size` leaves, in the order of
    /// ``MerkleTree/perfectSubtrees(size:)``.
    ///
    /// - Throws: ``AuditError/invalidArgument(_:)`` when the number of hashes does not match `size`.
    public init(size: UInt64, hashes: [[UInt8]]) throws {
        let shape = MerkleTree.perfectSubtrees(size: size)
        let digests = hashes.compactMap { AuditDigest($0) }
        guard shape.count == hashes.count, digests.count == hashes.count else {
            throw AuditError.invalidArgument("a tree of \(size) leaves has \(shape.count) perfect subtrees, got \(hashes.count) hashes")
        }
        self.init(size: size, shape: shape, digests: digests)
    }

    package init(size: UInt64, shape: [(level: Int, index: UInt64)], digests: [AuditDigest]) {
        self.size = size
        self.nodes = zip(shape, digests).map { ($0.level, $1) }
    }

    /// Perfect subtree roots, left to right, with their levels (0 = leaf).
    public var subtrees: [(level: Int, hash: [UInt8])] { nodes.map { ($0.level, $0.hash.bytes) } }

    /// Appends a leaf hash; `completed` receives each interior node (level ≥ 1, index, hash) the leaf completes,
    /// lowest first.
    public mutating func append(_ leafHash: [UInt8], completed: (_ level: Int, _ index: UInt64, _ hash: [UInt8]) -> Void = { _, _, _ in }) {
        guard let leaf = AuditDigest(leafHash) else {
            preconditionFailure("a leaf hash has 32 bytes; got \(leafHash.count)")
        }
        append(leaf) { level, index, hash in completed(level, index, hash.bytes) }
    }

    /// Appends a leaf hash without allocating; `completed` as in ``append(_:completed:)``.
    @inline(__always)
    package mutating func append(_ leaf: AuditDigest, completed: (_ level: Int, _ index: UInt64, _ hash: AuditDigest) throws -> Void) rethrows {
        size += 1
        var level = 0
        var hash = leaf
        while let last = nodes.last, last.level == level {
            nodes.removeLast()
            hash = AuditHashing.nodeDigest(last.hash, hash)
            level += 1
            try completed(level, (size >> UInt64(level)) - 1, hash)
        }
        nodes.append((level, hash))
    }

    /// Appends a leaf hash when no one needs the completed nodes (the verifier).
    @inline(__always)
    package mutating func append(_ leaf: AuditDigest) {
        append(leaf) { _, _, _ in }
    }

    /// The RFC 9162 root of the tree so far (the empty-tree root for size 0).
    public var root: [UInt8] { rootDigest?.bytes ?? AuditHashing.emptyTreeRoot }

    /// The root, or `nil` for the empty tree.
    package var rootDigest: AuditDigest? {
        guard var hash = nodes.last?.hash else { return nil }
        for index in stride(from: nodes.count - 2, through: 0, by: -1) {
            hash = AuditHashing.nodeDigest(nodes[index].hash, hash)
        }
        return hash
    }

    public static func == (lhs: CompactRange, rhs: CompactRange) -> Bool {
        lhs.size == rhs.size && lhs.nodes.elementsEqual(rhs.nodes) { $0.level == $1.level && $0.hash == $1.hash }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(size)
        for node in nodes { hasher.combine(node.hash) }
    }
}

/// RFC 9162 §2.1 Merkle tree computations over stored perfect-subtree hashes.
///
/// A node is addressed by `(level, index)`: it covers leaves `[index << level, (index + 1) << level)`; level 0 is a
/// leaf hash. Stores keep every completed node, so a root or proof needs O(log n) node reads and no rebuilding.
public enum MerkleTree {
    /// Reads the stored hash of the perfect subtree at `(level, index)`.
    public typealias NodeReader = (_ level: Int, _ index: UInt64) throws -> [UInt8]

    /// The perfect subtrees whose concatenation is a tree of `size` leaves, largest (leftmost) first.
    public static func perfectSubtrees(size: UInt64) -> [(level: Int, index: UInt64)] {
        perfectSubtrees(start: 0, size: size)
    }

    /// The perfect subtrees covering `[start, start + size)`; `start` must be a multiple of the largest one.
    static func perfectSubtrees(start: UInt64, size: UInt64) -> [(level: Int, index: UInt64)] {
        var result: [(level: Int, index: UInt64)] = []
        var offset = start
        var level = 63
        while level >= 0 {
            let width: UInt64 = 1 << UInt64(level)
            if size & width != 0 {
                result.append((level, offset >> UInt64(level)))
                offset += width
            }
            level -= 1
        }
        return result
    }

    /// MTH(D[start : start + size]) from stored nodes, for ranges the RFC recursion produces.
    static func rangeHash(start: UInt64, size: UInt64, node: NodeReader) throws -> [UInt8] {
        let parts = perfectSubtrees(start: start, size: size)
        guard var hash = try parts.last.map({ try node($0.level, $0.index) }) else { return AuditHashing.emptyTreeRoot }
        for part in parts.dropLast().reversed() {
            hash = AuditHashing.nodeHash(try node(part.level, part.index), hash)
        }
        return hash
    }

    /// The root of the tree of the first `size` leaves.
    public static func root(size: UInt64, node: NodeReader) throws -> [UInt8] {
        try rangeHash(start: 0, size: size, node: node)
    }

    /// The RFC 9162 §2.1.3.1 inclusion proof (audit path) of leaf `index` in the tree of `size` leaves, leaf level first.
    ///
    /// - Throws: ``AuditError/invalidArgument(_:)`` when `index >= size`; whatever `node` throws.
    public static func inclusionProof(index: UInt64, size: UInt64, node: NodeReader) throws -> [[UInt8]] {
        guard index < size else {
            throw AuditError.invalidArgument("entry \(index) is not in a tree of \(size) entries; choose an entry below \(size)")
        }
        var proof: [[UInt8]] = []
        try path(index, start: 0, size: size, node: node, into: &proof)
        return proof
    }

    private static func path(_ m: UInt64, start: UInt64, size n: UInt64, node: NodeReader, into proof: inout [[UInt8]]) throws {
        guard n > 1 else { return }
        let k = largestPowerOfTwo(below: n)
        if m < k {
            try path(m, start: start, size: k, node: node, into: &proof)
            proof.append(try rangeHash(start: start + k, size: n - k, node: node))
        } else {
            try path(m - k, start: start + k, size: n - k, node: node, into: &proof)
            proof.append(try rangeHash(start: start, size: k, node: node))
        }
    }

    /// The RFC 9162 §2.1.4.1 consistency proof between the trees of `oldSize` and `newSize` leaves.
    /// Empty when `oldSize` is 0 or equals `newSize`.
    ///
    /// - Throws: ``AuditError/invalidArgument(_:)`` when `oldSize > newSize`; whatever `node` throws.
    public static func consistencyProof(from oldSize: UInt64, to newSize: UInt64, node: NodeReader) throws -> [[UInt8]] {
        guard oldSize <= newSize else {
            throw AuditError.invalidArgument("cannot prove consistency from size \(oldSize) to the smaller size \(newSize)")
        }
        guard oldSize > 0, oldSize < newSize else { return [] }
        var proof: [[UInt8]] = []
        try subproof(oldSize, start: 0, size: newSize, complete: true, node: node, into: &proof)
        return proof
    }

    private static func subproof(
        _ m: UInt64, start: UInt64, size n: UInt64, complete: Bool, node: NodeReader, into proof: inout [[UInt8]]
    ) throws {
        if m == n {
            if !complete { proof.append(try rangeHash(start: start, size: n, node: node)) }
            return
        }
        let k = largestPowerOfTwo(below: n)
        if m <= k {
            try subproof(m, start: start, size: k, complete: complete, node: node, into: &proof)
            proof.append(try rangeHash(start: start + k, size: n - k, node: node))
        } else {
            try subproof(m - k, start: start + k, size: n - k, complete: false, node: node, into: &proof)
            proof.append(try rangeHash(start: start, size: k, node: node))
        }
    }

    /// The largest power of two strictly less than `n` (n ≥ 2).
    static func largestPowerOfTwo(below n: UInt64) -> UInt64 {
        1 << UInt64(63 - (n - 1).leadingZeroBitCount)
    }
}

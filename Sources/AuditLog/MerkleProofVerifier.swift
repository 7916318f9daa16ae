/// Verifies RFC 9162 inclusion (§2.1.3.2) and consistency (§2.1.4.2) proofs, exactly as the RFC's algorithms
/// state, with every hash required to be 32 bytes. Any malformed input is simply "does not verify".
public enum MerkleProofVerifier {
    /// Longest proof accepted: a tree of 2^64 leaves needs at most 64 hashes (plus one for consistency).
    static let maximumProofLength = 65

    /// The root implied by an inclusion proof, or `nil` when the proof cannot be valid for that index and size.
    public static func rootFromInclusionProof(
        leafIndex: UInt64, treeSize: UInt64, leafHash: [UInt8], proof: [[UInt8]]
    ) -> [UInt8]? {
        guard leafIndex < treeSize, leafHash.count == 32, proof.count <= maximumProofLength,
            proof.allSatisfy({ $0.count == 32 })
        else { return nil }
        var fn = leafIndex
        var sn = treeSize - 1
        var r = leafHash
        for p in proof {
            if sn == 0 { return nil }
            if fn & 1 == 1 || fn == sn {
                r = AuditHashing.nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = AuditHashing.nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 ? r : nil
    }

    /// Whether `proof` proves that `leafHash` is leaf `leafIndex` of the tree of `treeSize` leaves with root `root`.
    public static func verifyInclusion(
        leafIndex: UInt64, treeSize: UInt64, leafHash: [UInt8], proof: [[UInt8]], root: [UInt8]
    ) -> Bool {
        guard root.count == 32,
            let computed = rootFromInclusionProof(leafIndex: leafIndex, treeSize: treeSize, leafHash: leafHash, proof: proof)
        else { return false }
        return computed == root
    }

    /// Whether `proof` proves that the tree of `oldSize` leaves with root `oldRoot` is a prefix of the tree of
    /// `newSize` leaves with root `newRoot`.
    ///
    /// Equal sizes need an empty proof and equal roots; an old size of 0 needs an empty proof (every tree extends
    /// the empty one).
    public static func verifyConsistency(
        oldSize: UInt64, newSize: UInt64, oldRoot: [UInt8], newRoot: [UInt8], proof: [[UInt8]]
    ) -> Bool {
        guard oldRoot.count == 32, newRoot.count == 32, oldSize <= newSize, proof.count <= maximumProofLength,
            proof.allSatisfy({ $0.count == 32 })
        else { return false }
        if oldSize == newSize { return proof.isEmpty && oldRoot == newRoot }
        if oldSize == 0 { return proof.isEmpty }
        // Step 1: a non-trivial proof is never empty.
        guard !proof.isEmpty else { return false }
        // Step 2: when the old tree is a complete subtree its root is the proof's implicit first element.
        var path = proof
        if oldSize & (oldSize - 1) == 0 { path.insert(oldRoot, at: 0) }
        // Steps 3-4.
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        // Step 5.
        var fr = path[0]
        var sr = path[0]
        // Step 6.
        for c in path.dropFirst() {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                fr = AuditHashing.nodeHash(c, fr)
                sr = AuditHashing.nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = AuditHashing.nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        // Step 7.
        return fr == oldRoot && sr == newRoot && sn == 0
    }
}

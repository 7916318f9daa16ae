import AuditLog
import Sodium
import Testing
import TestSupport

/// A naive RFC 9162 reference: MTH, PATH and PROOF straight from §2.1's recursive definitions.
enum NaiveMerkle {
    static func k(_ n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }
    static func mth(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
        let n = leaves.count
        if n == 0 { return SHA256Digest.hash([]) }
        if n == 1 { return SHA256Digest.hash([0] + leaves.first!) }
        let split = leaves.startIndex + k(n)
        return SHA256Digest.hash([1] + mth(leaves[..<split]) + mth(leaves[split...]))
    }
    static func path(_ m: Int, _ leaves: ArraySlice<[UInt8]>) -> [[UInt8]] {
        let n = leaves.count
        if n <= 1 { return [] }
        let split = leaves.startIndex + k(n)
        if m < k(n) { return path(m, leaves[..<split]) + [mth(leaves[split...])] }
        return path(m - k(n), leaves[split...]) + [mth(leaves[..<split])]
    }
    static func subproof(_ m: Int, _ leaves: ArraySlice<[UInt8]>, _ b: Bool) -> [[UInt8]] {
        let n = leaves.count
        if m == n { return b ? [] : [mth(leaves)] }
        let split = leaves.startIndex + k(n)
        if m <= k(n) { return subproof(m, leaves[..<split], b) + [mth(leaves[split...])] }
        return subproof(m - k(n), leaves[split...], false) + [mth(leaves[..<split])]
    }
}

/// An in-memory node store filled through CompactRange, as the SQLite store fills its table.
struct MemoryNodes {
    var nodes: [String: [UInt8]] = [:]
    var range = CompactRange()
    init(leaves: [[UInt8]]) {
        for (index, leaf) in leaves.enumerated() {
            let leafHash = AuditHashing.leafHash(leaf)
            nodes["0/\(index)"] = leafHash
            var completed: [(Int, UInt64, [UInt8])] = []
            range.append(leafHash) { completed.append(($0, $1, $2)) }
            for (level, idx, hash) in completed { nodes["\(level)/\(idx)"] = hash }
        }
    }
    var reader: MerkleTree.NodeReader {
        { level, index in
            guard let hash = nodes["\(level)/\(index)"] else { throw AuditError.invalidArgument("no node \(level)/\(index)") }
            return hash
        }
    }
}

func testLeaves(_ count: Int) -> [[UInt8]] { (0..<count).map { Array("leaf-\($0)".utf8) } }

@Suite("RFC 9162 Merkle tree")
struct AuditMerkleTests {
    // Vectors from transparency-dev/merkle proof/verify_test.go (originally the certificate-transparency C++ tests).
    static let vectorLeaves: [[UInt8]] = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
        .map { [UInt8](hexString: $0)! }
    static let vectorRoots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ].map { [UInt8](hexString: $0)! }
    static let inclusionVectors: [(index: UInt64, size: UInt64, proof: [String])] = [
        (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
        (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
        (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
        (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    ]
    static let consistencyVectors: [(old: UInt64, new: UInt64, proof: [String])] = [
        (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
        (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
        (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
        (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    ]

    @Test func knownRootsAndProofs() throws {
        let nodes = MemoryNodes(leaves: Self.vectorLeaves)
        for size in 1...8 {
            #expect(try MerkleTree.root(size: UInt64(size), node: nodes.reader) == Self.vectorRoots[size - 1])
        }
        #expect(AuditHashing.emptyTreeRoot.hexString == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        for v in Self.inclusionVectors {
            let proof = v.proof.map { [UInt8](hexString: $0)! }
            #expect(try MerkleTree.inclusionProof(index: v.index, size: v.size, node: nodes.reader) == proof)
            #expect(MerkleProofVerifier.verifyInclusion(
                leafIndex: v.index, treeSize: v.size, leafHash: AuditHashing.leafHash(Self.vectorLeaves[Int(v.index)]),
                proof: proof, root: Self.vectorRoots[Int(v.size) - 1]))
        }
        for v in Self.consistencyVectors {
            let proof = v.proof.map { [UInt8](hexString: $0)! }
            #expect(try MerkleTree.consistencyProof(from: v.old, to: v.new, node: nodes.reader) == proof)
            #expect(MerkleProofVerifier.verifyConsistency(
                oldSize: v.old, newSize: v.new, oldRoot: Self.vectorRoots[Int(v.old) - 1], newRoot: Self.vectorRoots[Int(v.new) - 1], proof: proof))
        }
    }

    @Test func allSmallTreesMatchTheNaiveReference() throws {
        let leaves = testLeaves(64)
        let nodes = MemoryNodes(leaves: leaves)
        for n in 1...64 {
            let slice = leaves[0..<n]
            let root = NaiveMerkle.mth(slice)
            #expect(try MerkleTree.root(size: UInt64(n), node: nodes.reader) == root)
            for m in 0..<n {
                let proof = try MerkleTree.inclusionProof(index: UInt64(m), size: UInt64(n), node: nodes.reader)
                #expect(proof == NaiveMerkle.path(m, slice))
                #expect(MerkleProofVerifier.verifyInclusion(
                    leafIndex: UInt64(m), treeSize: UInt64(n), leafHash: AuditHashing.leafHash(leaves[m]), proof: proof, root: root))
                // The same proof must not verify for any other index.
                for other in 0..<n where other != m {
                    #expect(!MerkleProofVerifier.verifyInclusion(
                        leafIndex: UInt64(other), treeSize: UInt64(n), leafHash: AuditHashing.leafHash(leaves[m]), proof: proof, root: root))
                }
            }
            for m in 1...n {
                let proof = try MerkleTree.consistencyProof(from: UInt64(m), to: UInt64(n), node: nodes.reader)
                let expected = m == n ? [] : NaiveMerkle.subproof(m, slice, true)
                #expect(proof == expected)
                let oldRoot = NaiveMerkle.mth(leaves[0..<m])
                #expect(MerkleProofVerifier.verifyConsistency(oldSize: UInt64(m), newSize: UInt64(n), oldRoot: oldRoot, newRoot: root, proof: proof))
                if m < n {
                    #expect(!MerkleProofVerifier.verifyConsistency(oldSize: UInt64(m), newSize: UInt64(n), oldRoot: root, newRoot: oldRoot, proof: proof))
                    #expect(!MerkleProofVerifier.verifyConsistency(oldSize: UInt64(m), newSize: UInt64(n), oldRoot: oldRoot, newRoot: root, proof: []))
                }
            }
        }
    }

    @Test func randomMutationsNeverVerify() throws {
        var rng = SplitMix64(seed: 0x5EED)
        for _ in 0..<40 {
            let n = Int.random(in: 2...600, using: &rng)
            let leaves = testLeaves(n)
            let nodes = MemoryNodes(leaves: leaves)
            let root = nodes.range.root
            #expect(root == NaiveMerkle.mth(leaves[...]))
            let m = UInt64.random(in: 0..<UInt64(n), using: &rng)
            let leafHash = AuditHashing.leafHash(leaves[Int(m)])
            let proof = try MerkleTree.inclusionProof(index: m, size: UInt64(n), node: nodes.reader)
            #expect(MerkleProofVerifier.verifyInclusion(leafIndex: m, treeSize: UInt64(n), leafHash: leafHash, proof: proof, root: root))
            let old = UInt64.random(in: 1..<UInt64(n), using: &rng)
            let oldRoot = try MerkleTree.root(size: old, node: nodes.reader)
            let consistency = try MerkleTree.consistencyProof(from: old, to: UInt64(n), node: nodes.reader)
            #expect(MerkleProofVerifier.verifyConsistency(oldSize: old, newSize: UInt64(n), oldRoot: oldRoot, newRoot: root, proof: consistency))
            for _ in 0..<30 {
                // Flip one byte of one input.
                let bit = UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
                var p = proof, c = consistency, r = root, l = leafHash, o = oldRoot
                switch Int.random(in: 0..<5, using: &rng) {
                case 0 where !p.isEmpty:
                    let i = Int.random(in: 0..<p.count, using: &rng); p[i][Int.random(in: 0..<32, using: &rng)] ^= bit
                case 1: r[Int.random(in: 0..<32, using: &rng)] ^= bit
                case 2: l[Int.random(in: 0..<32, using: &rng)] ^= bit
                case 3 where !c.isEmpty:
                    let i = Int.random(in: 0..<c.count, using: &rng); c[i][Int.random(in: 0..<32, using: &rng)] ^= bit
                default: o[Int.random(in: 0..<32, using: &rng)] ^= bit
                }
                let inclusionOK = MerkleProofVerifier.verifyInclusion(leafIndex: m, treeSize: UInt64(n), leafHash: l, proof: p, root: r)
                let consistencyOK = MerkleProofVerifier.verifyConsistency(oldSize: old, newSize: UInt64(n), oldRoot: o, newRoot: r, proof: c)
                #expect(inclusionOK == (p == proof && r == root && l == leafHash))
                #expect(consistencyOK == (c == consistency && r == root && o == oldRoot))
            }
            // Structural mutations: truncate, extend, wrong sizes.
            #expect(!MerkleProofVerifier.verifyInclusion(leafIndex: m, treeSize: UInt64(n), leafHash: leafHash, proof: proof + [root], root: root))
            #expect(!MerkleProofVerifier.verifyInclusion(leafIndex: m, treeSize: UInt64(n) * 2, leafHash: leafHash, proof: proof, root: root))
            #expect(!MerkleProofVerifier.verifyInclusion(leafIndex: UInt64(n), treeSize: UInt64(n), leafHash: leafHash, proof: proof, root: root))
            #expect(!MerkleProofVerifier.verifyConsistency(oldSize: old, newSize: UInt64(n), oldRoot: oldRoot, newRoot: root, proof: consistency + [root]))
            #expect(!MerkleProofVerifier.verifyConsistency(oldSize: old, newSize: UInt64(n), oldRoot: oldRoot, newRoot: root, proof: Array(consistency.dropLast())))
            #expect(!MerkleProofVerifier.verifyConsistency(oldSize: UInt64(n), newSize: old, oldRoot: root, newRoot: oldRoot, proof: consistency))
        }
    }

    @Test func malformedInputsAreRejected() {
        let h = AuditHashing.leafHash([1])
        #expect(!MerkleProofVerifier.verifyInclusion(leafIndex: 0, treeSize: 0, leafHash: h, proof: [], root: h))
        #expect(!MerkleProofVerifier.verifyInclusion(leafIndex: 0, treeSize: 1, leafHash: [], proof: [], root: []))
        #expect(MerkleProofVerifier.verifyInclusion(leafIndex: 0, treeSize: 1, leafHash: h, proof: [], root: h))
        #expect(!MerkleProofVerifier.verifyInclusion(leafIndex: 0, treeSize: 2, leafHash: h, proof: [[1, 2]], root: h))
        #expect(MerkleProofVerifier.verifyConsistency(oldSize: 0, newSize: 5, oldRoot: h, newRoot: h, proof: []))
        #expect(!MerkleProofVerifier.verifyConsistency(oldSize: 0, newSize: 5, oldRoot: h, newRoot: h, proof: [h]))
        #expect(!MerkleProofVerifier.verifyConsistency(oldSize: 3, newSize: 3, oldRoot: h, newRoot: AuditHashing.emptyTreeRoot, proof: []))
        #expect(!MerkleProofVerifier.verifyConsistency(oldSize: 3, newSize: 3, oldRoot: h, newRoot: h, proof: [h]))
        #expect(!MerkleProofVerifier.verifyConsistency(oldSize: 2, newSize: 1, oldRoot: h, newRoot: h, proof: []))
    }
}

import AuditLog
import Sodium
import TestSupport
import Testing

/// An in-memory log with real Merkle proofs, signed by a test key.
struct ToyLog {
    var leaves: [[UInt8]] = []
    let signer: AuditCheckpointSigner
    let origin: String

    init(seed: UInt8 = 7, origin: String = "test.strongroom.example/audit") throws {
        signer = try AuditTestSigners.make(seed: seed, name: origin)
        self.origin = origin
    }

    mutating func append(_ count: Int, tag: String = "entry") {
        for _ in 0..<count { leaves.append(AuditHashing.leafHash(Array("\(tag) \(leaves.count)".utf8))) }
    }

    func node(_ level: Int, _ index: UInt64) -> [UInt8] {
        if level == 0 { return leaves[Int(index)] }
        return AuditHashing.nodeHash(node(level - 1, index * 2), node(level - 1, index * 2 + 1))
    }

    func checkpoint(size: Int? = nil) throws -> SignedCheckpoint {
        let n = UInt64(size ?? leaves.count)
        return signer.sign(AuditCheckpoint(origin: origin, size: n, rootHash: try MerkleTree.root(size: n, node: node)))
    }

    func proof(from old: Int, to new: Int? = nil) throws -> [[UInt8]] {
        try MerkleTree.consistencyProof(from: UInt64(old), to: UInt64(new ?? leaves.count), node: node)
    }

    func request(from old: Int, size: Int? = nil) throws -> WitnessAddCheckpoint {
        WitnessAddCheckpoint(oldSize: UInt64(old), proof: old == 0 ? [] : try proof(from: old, to: size), checkpoint: try checkpoint(size: size))
    }
}

func testCosigner(seed: UInt8 = 42, name: String = "witness.test/w1") throws -> WitnessCosigner {
    let seedBytes = try SecretBytes(count: 32) { pointer in
        for i in 0..<32 { pointer[i] = seed &+ UInt8(i) }
    }
    return try WitnessCosigner(name: name, keyPair: Ed25519.KeyPair(seed: seedBytes))
}

@Suite("Witness rules (tlog-witness add-checkpoint)")
struct WitnessRulesTests {
    @Test("a first checkpoint from old size 0, then one that extends it, are cosigned")
    func extendsIsCosigned() throws {
        var log = try ToyLog()
        log.append(5)
        let known = WitnessedLog(origin: log.origin, keys: [log.signer.verifierKey])
        guard case .cosign(let first) = WitnessRules.decide(try log.request(from: 0), known: known) else {
            Issue.record("first checkpoint refused")
            return
        }
        #expect(first.size == 5)
        log.append(8)
        let second = WitnessRules.decide(try log.request(from: 5), known: first)
        #expect(second == .cosign(updated: WitnessedLog(origin: log.origin, keys: [log.signer.verifierKey], size: 13, rootHash: try log.checkpoint().checkpoint.rootHash)))
    }

    @Test("a rewritten history with a valid log signature is refused with 422")
    func rewriteIsRefused() throws {
        var honest = try ToyLog()
        honest.append(6)
        let known = WitnessedLog(origin: honest.origin, keys: [honest.signer.verifierKey], size: 6,
            rootHash: try honest.checkpoint().checkpoint.rootHash)
        // Same key, same origin, entry 2 rewritten, then more appended: the signature is valid, the proof cannot be.
        var forged = try ToyLog()
        forged.append(6)
        forged.leaves[2] = AuditHashing.leafHash(Array("rewritten".utf8))
        forged.append(4)
        let outcome = WitnessRules.decide(try forged.request(from: 6), known: known)
        #expect(outcome == .inconsistent)
        #expect(outcome.status == 422)
        // And the honest proof over the forged checkpoint does not work either.
        var mixed = try forged.request(from: 6)
        honest.append(4)
        mixed.proof = try honest.proof(from: 6)
        #expect(WitnessRules.decide(mixed, known: known) == .inconsistent)
    }

    @Test("each refusal has the status tlog-witness assigns")
    func statuses() throws {
        var log = try ToyLog()
        log.append(10)
        let root6 = try log.checkpoint(size: 6).checkpoint.rootHash
        let known = WitnessedLog(origin: log.origin, keys: [log.signer.verifierKey], size: 6, rootHash: root6)

        let otherOrigin = try ToyLog(origin: "elsewhere.example/log")
        #expect(WitnessRules.decide(try otherOrigin.request(from: 0, size: 0), known: known).status == 404)
        #expect(WitnessRules.decide(try log.request(from: 6), known: nil).status == 404)

        let stranger = try ToyLog(seed: 99)
        var strangerLog = stranger
        strangerLog.leaves = log.leaves
        #expect(WitnessRules.decide(try strangerLog.request(from: 6), known: known) == .notSigned)

        var tampered = try log.request(from: 6)
        tampered.checkpoint.checkpoint.size = 11
        #expect(WitnessRules.decide(tampered, known: known) == .notSigned)

        var unsigned = try log.request(from: 6)
        unsigned.checkpoint.signatures = []
        #expect(WitnessRules.decide(unsigned, known: known).status == 403)

        var above = try log.request(from: 6)
        above.oldSize = 11
        #expect(WitnessRules.decide(above, known: known) == .oldSizeAboveCheckpoint)
        #expect(WitnessRules.decide(above, known: known).status == 400)

        #expect(WitnessRules.decide(try log.request(from: 4), known: known) == .conflict(latestSize: 6))
        #expect(WitnessRules.decide(try log.request(from: 0), known: known) == .conflict(latestSize: 6))

        // Same size, same root: cosigned again, nothing changes. Same size, other root: 409.
        #expect(WitnessRules.decide(try log.request(from: 6, size: 6), known: known) == .cosign(updated: known))
        var fork = try ToyLog()
        fork.append(6, tag: "fork")
        #expect(WitnessRules.decide(try fork.request(from: 6, size: 6), known: known) == .conflict(latestSize: 6))

        // A non-empty proof from 0, and a shortened proof, are inconsistent.
        var fromZero = try log.request(from: 0)
        fromZero.proof = [[UInt8](repeating: 1, count: 32)]
        let fresh = WitnessedLog(origin: log.origin, keys: [log.signer.verifierKey])
        #expect(WitnessRules.decide(fromZero, known: fresh) == .inconsistent)
        var short = try log.request(from: 6)
        short.proof.removeLast()
        #expect(WitnessRules.decide(short, known: known).status == 422)

        // A size-0 checkpoint must carry the empty tree's root.
        let zero = log.signer.sign(AuditCheckpoint(origin: log.origin, size: 0, rootHash: [UInt8](repeating: 9, count: 32)))
        #expect(WitnessRules.decide(WitnessAddCheckpoint(oldSize: 0, proof: [], checkpoint: zero), known: fresh) == .inconsistent)
    }
}

@Suite("Cosignatures (tlog-cosignature v1)")
struct CosignatureTests {
    @Test("a cosignature verifies under its key and timestamp, and nothing else")
    func verify() throws {
        var log = try ToyLog()
        log.append(3)
        let signed = try log.checkpoint()
        let cosigner = try testCosigner()
        let line = cosigner.cosign(signed.checkpoint, at: 1_796_000_000)
        #expect(line.signature.count == 72)
        #expect(cosigner.verifierKey.verifiedTimestamp(of: line, over: signed.checkpoint) == 1_796_000_000)

        let cosigned = signed.addingSignatures([line])
        #expect(cosigned.checkCosignatures(trusting: [cosigner.verifierKey]).witnesses == [cosigner.verifierKey])
        // The log's own signature still verifies and the cosignature does not confuse it.
        #expect(cosigned.checkSignatures(trusting: [log.signer.verifierKey]) == .valid(keyName: log.origin))
        // The note survives its text form.
        let parsed = try SignedCheckpoint(text: cosigned.text)
        #expect(parsed.checkCosignatures(trusting: [cosigner.verifierKey]).witnesses.count == 1)

        // Another witness's key finds nothing; the log key is not a witness key.
        let other = try testCosigner(seed: 1, name: "witness.test/w2")
        #expect(cosigned.checkCosignatures(trusting: [other.verifierKey]).witnesses.isEmpty)

        // A changed timestamp, a changed checkpoint, a flipped bit: forged.
        var retimed = line
        retimed.signature[7] ^= 1
        #expect(signed.addingSignatures([retimed]).checkCosignatures(trusting: [cosigner.verifierKey]).forged == cosigner.verifierKey)
        var moved = cosigned
        moved.checkpoint.size = 4
        let check = moved.checkCosignatures(trusting: [cosigner.verifierKey])
        #expect(check.witnesses.isEmpty)
        #expect(check.forged == cosigner.verifierKey)
    }

    @Test("the signed message is cosignature/v1, the time line, then the whole body")
    func message() throws {
        let checkpoint = AuditCheckpoint(origin: "o.example/log", size: 2, rootHash: [UInt8](repeating: 0, count: 32), extensions: ["ext"])
        let text = String(decoding: Cosignature.signedMessage(for: checkpoint, timestamp: 1679315147), as: UTF8.self)
        #expect(text == "cosignature/v1\ntime 1679315147\no.example/log\n2\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\next\n")
    }

    @Test("witness keys round-trip as type 0x04 vkeys; a checkpoint key is not a witness key")
    func keyText() throws {
        let key = try testCosigner().verifierKey
        #expect(try WitnessVerifierKey(text: key.text) == key)
        #expect(key.text.hasPrefix("witness.test/w1+\(key.keyID.hexString)+B"))
        let logKey = try AuditTestSigners.make(seed: 3).verifierKey
        #expect(throws: AuditError.malformedKeyCode) { try WitnessVerifierKey(text: logKey.text) }
        #expect(throws: AuditError.malformedKeyCode) { try AuditVerifierKey(text: key.text) }
        let parts = key.text.split(separator: "+", maxSplits: 2)
        let wrongID = "\(parts[0])+00000000+\(parts[2])"
        #expect(throws: AuditError.malformedKeyCode) { try WitnessVerifierKey(text: wrongID) }
    }
}

@Suite("add-checkpoint bodies")
struct AddCheckpointBodyTests {
    @Test("a body round-trips")
    func roundTrip() throws {
        var log = try ToyLog()
        log.append(9)
        let request = try log.request(from: 4)
        #expect(!request.proof.isEmpty)
        let parsed = try WitnessAddCheckpoint(body: request.body)
        #expect(parsed == request)
        #expect(String(decoding: request.body, as: UTF8.self).hasPrefix("old 4\n"))
    }

    @Test("malformed bodies are refused with a reason", arguments: [
        "", "old 1\n", "new 1\n\n", "old 01\n\n", "old -1\n\n", "old 1x\n\n", "old 99999999999999999999\n\n",
        "old 1\nnot base64!\n\n", "old 1\nAAAA\n\n", "old 0\n\nno checkpoint\n",
    ])
    func malformed(body: String) {
        #expect(throws: (any Error).self) { try WitnessAddCheckpoint(body: Array(body.utf8)) }
    }

    @Test("more than 63 proof lines are refused")
    func tooManyProofLines() throws {
        var log = try ToyLog()
        log.append(2)
        let request = WitnessAddCheckpoint(oldSize: 1, proof: Array(repeating: [UInt8](repeating: 0, count: 32), count: 64),
            checkpoint: try log.checkpoint())
        #expect(throws: AuditError.malformedProofCode) { try WitnessAddCheckpoint(body: request.body) }
    }

    @Test("fuzz: mutated bodies never crash and never parse into another valid request unnoticed")
    func fuzz() throws {
        var log = try ToyLog()
        log.append(21)
        let known = WitnessedLog(origin: log.origin, keys: [log.signer.verifierKey], size: 8,
            rootHash: try log.checkpoint(size: 8).checkpoint.rootHash)
        let good = try log.request(from: 8).body
        var random = SplitMix64(seed: 0x5eed)
        var cosigned = 0
        for _ in 0..<3000 {
            var body = good
            for _ in 0..<(1 + Int(random.next() % 3)) {
                let index = Int(random.next() % UInt64(body.count))
                switch random.next() % 3 {
                case 0: body[index] ^= UInt8(1 << (random.next() % 8))
                case 1: body.remove(at: index)
                default: body.insert(UInt8(truncatingIfNeeded: random.next()), at: index)
                }
            }
            guard let request = try? WitnessAddCheckpoint(body: body) else { continue }
            if case .cosign(let updated) = WitnessRules.decide(request, known: known) {
                // Only a mutation that left the checkpoint and proof intact (a no-op on meaning) may be cosigned.
                #expect(updated.size == 21)
                #expect(updated.rootHash == (try log.checkpoint().checkpoint.rootHash))
                cosigned += 1
            }
        }
        #expect(try WitnessRules.decide(WitnessAddCheckpoint(body: good), known: known) != .notSigned)
        _ = cosigned
    }
}

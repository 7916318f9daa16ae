import AuditLog
import Testing
import TestSupport

/// The signer's anchor: extension re-hashes, refuses rewritten bytes, stored hashes that disagree, a wrong position
/// and forged handovers; the file form round-trips and refuses any change, a foreign key and a malformed text.
@Suite struct AuditAnchorFormatTests {
    let signer: AuditCheckpointSigner
    let log: AuditMemoryLog

    init() throws {
        signer = try AuditTestSigners.make(seed: 3)
        var log = AuditMemoryLog()
        for index in 0..<21 { log.append(AuditMemoryLog.draft(index)) }
        self.log = log
    }

    func extend(_ anchor: inout AuditAnchor, with entry: AuditEntry, storedLeaf: [UInt8]? = nil, chain: [UInt8]? = nil) throws {
        let canonical = entry.canonicalBytes
        let leaf = storedLeaf ?? AuditHashing.leafHash(canonical)
        let stored = chain ?? entry.chainHash
        try canonical.withUnsafeBytes { bytes in
            try leaf.withUnsafeBytes { leaf in
                try stored.withUnsafeBytes { try anchor.extend(canonical: bytes, storedLeaf: leaf, storedChain: $0) }
            }
        }
    }

    func anchored(_ count: Int) throws -> AuditAnchor {
        var anchor = AuditAnchor(origin: log.origin, genesisKey: signer.verifierKey)
        for entry in log.entries.prefix(count) { try extend(&anchor, with: entry) }
        return anchor
    }

    @Test func extensionRecomputesTheRootAndChain() throws {
        let anchor = try anchored(21)
        #expect(anchor.size == 21)
        #expect(anchor.root == log.range.root)
        #expect(anchor.chain == log.entries[20].chainHash)
    }

    @Test func rewrittenBytesWrongHashesAndWrongPositionsAreRefused() throws {
        var anchor = try anchored(10)
        var changed = log.entries[10]
        changed.action = "record.delete"
        // New bytes with the old stored chain: refused.
        #expect(throws: AuditAnchorMismatch.self) { try extend(&anchor, with: changed) }
        // A stored leaf hash that does not match the bytes: refused.
        #expect(throws: AuditAnchorMismatch.self) { try extend(&anchor, with: log.entries[10], storedLeaf: [UInt8](repeating: 1, count: 32)) }
        // The entry of another position: refused.
        #expect(throws: AuditAnchorMismatch.self) { try extend(&anchor, with: log.entries[11]) }
        // The anchor is unchanged by refusals and still takes the real next entry.
        #expect(anchor.size == 10)
        try extend(&anchor, with: log.entries[10])
        #expect(anchor.size == 11)
    }

    @Test func aHandoverIsFollowedOnlyWhenTheKeyInForceSignedIt() throws {
        let next = try AuditTestSigners.make(seed: 4)
        let stranger = try AuditTestSigners.make(seed: 5)
        var good = log
        good.append(AuditKeyHandover.draft(from: signer, to: next.verifierKey, actor: AuditActor(id: "cli", role: "security-officer"), requestID: "r"))
        var anchor = try anchored(21)
        try extend(&anchor, with: good.entries[21])
        #expect(anchor.keyInForce == next.verifierKey)

        var forged = log
        forged.append(AuditKeyHandover.draft(from: stranger, to: stranger.verifierKey, actor: AuditActor(id: "x", role: "x"), requestID: "r"))
        var other = try anchored(21)
        #expect {
            try extend(&other, with: forged.entries[21])
        } throws: { ($0 as? AuditAnchorMismatch)?.kind == .forgedHandover }
        #expect(other.keyInForce == signer.verifierKey)
    }

    @Test func theFileRoundTripsAndRefusesEveryChange() throws {
        let anchor = try anchored(21)
        let text = try anchor.signedText(by: signer)
        #expect(try AuditAnchor(signedText: text, trusting: [signer.verifierKey]) == anchor)
        let empty = AuditAnchor(origin: log.origin, genesisKey: signer.verifierKey)
        #expect(try AuditAnchor(signedText: try empty.signedText(by: signer), trusting: [signer.verifierKey]) == empty)

        // Any changed byte of the body fails (signature or structure).
        let bytes = Array(text.utf8)
        var generator = SplitMix64(seed: 11)
        for _ in 0..<200 {
            var mutated = bytes
            let index = Int(generator.next() % UInt64(bytes.count - 1))
            mutated[index] ^= UInt8(1 + generator.next() % 255)
            let changed = String(decoding: mutated, as: UTF8.self)
            guard changed != text else { continue }
            #expect(throws: AuditError.self) { try AuditAnchor(signedText: changed, trusting: [signer.verifierKey]) }
        }
        // Truncated, empty, or signed by a key not trusted here.
        for cut in [0, 10, text.utf8.count / 2, text.utf8.count - 2] {
            let truncated = String(decoding: bytes.prefix(cut), as: UTF8.self)
            #expect(throws: AuditError.self) { try AuditAnchor(signedText: truncated, trusting: [signer.verifierKey]) }
        }
        let stranger = try AuditTestSigners.make(seed: 9)
        #expect(throws: AuditError.self) { try AuditAnchor(signedText: text, trusting: [stranger.verifierKey]) }
        // Only the key in force may sign the file.
        #expect(throws: AuditError.self) { try anchor.signedText(by: stranger) }
    }
}

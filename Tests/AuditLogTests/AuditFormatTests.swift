import AuditLog
import Sodium
import Testing
import TestSupport

@Suite("Canonical encoding, checkpoints and keys")
struct AuditFormatTests {
    static let sample = AuditEntry(
        seq: 1, time: AuditTime(millisecondsSince1970: 1_000),
        draft: AuditEntryDraft(
            actor: AuditActor(id: "p", role: "r"), action: "a", target: AuditTarget(subjectID: "s"), fieldsTouched: ["f"],
            decision: .allow(["x"]), requestID: "q", flags: [.breakGlass], details: ["b": "2", "a": "1"]),
        chainHash: [UInt8](repeating: 0, count: 32))

    @Test func canonicalBytesAreExactlyAsDocumented() {
        // docs/audit-format.md walks through this example byte by byte.
        let expected =
            "01" + "0000000000000001" + "00000000000003e8" + "0000000170" + "0000000172" + "0000000161"
            + "00" + "00" + "01" + "0000000173" + "00000001" + "0000000166" + "01" + "00000001" + "0000000178"
            + "00" + "0000000171" + "00000001" + "00000002" + "0000000161" + "0000000131" + "0000000162" + "0000000132"
        #expect(Self.sample.canonicalBytes.hexString == expected)
    }

    @Test func canonicalRoundTripAndStrictness() throws {
        for i in 0..<30 {
            var log = AuditMemoryLog()
            for j in 0...i { log.append(AuditMemoryLog.draft(j)) }
            let entry = log.entries[i]
            #expect(try AuditEntry(canonicalBytes: entry.canonicalBytes, chainHash: entry.chainHash) == entry)
            #expect(try AuditEntry(jsonLine: entry.jsonLine) == entry)
        }
        let bytes = Self.sample.canonicalBytes
        #expect(throws: AuditError.malformedEntryCode) { try AuditEntry(canonicalBytes: bytes + [0], chainHash: []) }
        #expect(throws: AuditError.malformedEntryCode) { try AuditEntry(canonicalBytes: Array(bytes.dropLast()), chainHash: []) }
        var badVersion = bytes
        badVersion[0] = 2
        #expect(throws: AuditError.malformedEntryCode) { try AuditEntry(canonicalBytes: badVersion, chainHash: []) }
        // Every truncation and every single-byte mutation either fails or decodes to something that re-encodes identically.
        var rng = SplitMix64(seed: 7)
        for cut in 0..<bytes.count {
            #expect(throws: AuditError.malformedEntryCode) { try AuditEntry(canonicalBytes: Array(bytes[..<cut]), chainHash: []) }
        }
        for _ in 0..<500 {
            var mutated = bytes
            mutated[Int.random(in: 0..<mutated.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            if let decoded = try? AuditEntry(canonicalBytes: mutated, chainHash: []) {
                #expect(decoded.canonicalBytes == mutated)
            }
        }
    }

    @Test func signedNoteVectorFromTheGoReference() throws {
        // golang.org/x/mod/sumdb/note's example key and note (also in C2SP signed-note implementations).
        let key = try AuditVerifierKey(text: "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
        #expect(key.keyHash.hexString == "530d903a")
        let signature = try #require(Base64Probe.decode("Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM="))
        #expect(Array(signature.prefix(4)) == key.keyHash)
        #expect(key.isValidSignature(Array(signature.dropFirst(4)), for: Array("This is an example message.\n".utf8)))
        #expect(!key.isValidSignature(Array(signature.dropFirst(4)), for: Array("This is an example message!\n".utf8)))
    }

    @Test func checkpointRoundTripAndParsing() throws {
        let signer = try AuditTestSigners.make(seed: 3)
        let checkpoint = AuditCheckpoint(origin: "strongroom.example/audit", size: 12, rootHash: AuditHashing.emptyTreeRoot, extensions: ["ext one"])
        let signed = signer.sign(checkpoint)
        #expect(signed.text.hasPrefix("strongroom.example/audit\n12\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next one\n\n\u{2014} test.strongroom.example/audit "))
        let parsed = try SignedCheckpoint(text: signed.text)
        #expect(parsed == signed)
        #expect(parsed.checkSignatures(trusting: [signer.verifierKey]) == .valid(keyName: signer.verifierKey.name))
        #expect(try AuditVerifierKey(text: signer.verifierKey.text) == signer.verifierKey)
        for bad in ["", "a\n1\n", "a\n01\nAAAA\n\n— a AAAAAAAA\n", "a\n1\nAAAA\n\n— a AAAAAAAA\n", "a\n1\n\(String(repeating: "A", count: 43))=\n— a x\n",
                    "a\n18446744073709551616\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n— a AAAAAAAA\n"] {
            #expect(throws: AuditError.malformedCheckpointCode) { try SignedCheckpoint(text: bad) }
        }
        // Random mutations never crash and never verify as a different checkpoint.
        var rng = SplitMix64(seed: 11)
        let bytes = Array(signed.text.utf8)
        for _ in 0..<300 {
            var mutated = bytes
            mutated[Int.random(in: 0..<mutated.count, using: &rng)] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            guard let text = String(validating: mutated, as: UTF8.self), let note = try? SignedCheckpoint(text: text) else { continue }
            if note.checkSignatures(trusting: [signer.verifierKey]) == .valid(keyName: signer.verifierKey.name) {
                #expect(note.checkpoint == checkpoint)
            }
        }
    }

    @Test func verifierKeyRejectsMismatchedHash() throws {
        let signer = try AuditTestSigners.make(seed: 4)
        var text = signer.verifierKey.text
        let plus = text.firstIndex(of: "+")!
        text.replaceSubrange(text.index(after: plus)...text.index(plus, offsetBy: 8), with: "00000000")
        #expect(throws: AuditError.malformedKeyCode) { try AuditVerifierKey(text: text) }
        #expect(throws: AuditError.malformedKeyCode) { try AuditVerifierKey(text: "name+00+AAAA") }
    }

    @Test func checkpointPolicy() {
        let policy = AuditCheckpointPolicy(everyEntries: 100, every: .seconds(60))
        let t0 = AuditTime(millisecondsSince1970: 0)
        #expect(policy.isDue(size: 1, lastCheckpoint: nil, now: t0))
        #expect(!policy.isDue(size: 50, lastCheckpoint: (10, t0), now: AuditTime(millisecondsSince1970: 59_999)))
        #expect(policy.isDue(size: 50, lastCheckpoint: (10, t0), now: AuditTime(millisecondsSince1970: 60_000)))
        #expect(policy.isDue(size: 110, lastCheckpoint: (10, t0), now: t0))
        #expect(!policy.isDue(size: 10, lastCheckpoint: (10, t0), now: AuditTime(millisecondsSince1970: 1_000_000)))
        #expect(!AuditCheckpointPolicy.onDemandOnly.isDue(size: 10_000, lastCheckpoint: (0, t0), now: AuditTime(millisecondsSince1970: 1_000_000)))
        #expect(AuditTime(millisecondsSince1970: 1_735_689_600_123).iso8601 == "2025-01-01T00:00:00.123Z")
    }

    @Test func tableAndJSONRendering() throws {
        var log = AuditMemoryLog()
        var draft = AuditMemoryLog.draft(0)
        draft.action = "record.read\n0  2025  forged row"
        log.append(draft)
        let table = AuditEntryTable.render(log.entries)
        #expect(table.split(separator: "\n").count == 2)
        #expect(table.contains("\\u{a}"))
        #expect(AuditEntryTable.jsonLines(log.entries).hasSuffix("}\n"))
    }
}

/// Base64 decoding for tests (the library's decoder is internal).
enum Base64Probe {
    static func decode(_ text: String) -> [UInt8]? {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var bits = 0, value = 0
        var out: [UInt8] = []
        for c in text.utf8 where c != UInt8(ascii: "=") {
            guard let index = alphabet.firstIndex(of: c) else { return nil }
            value = value << 6 | index
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((value >> bits) & 0xff))
            }
        }
        return out
    }
}

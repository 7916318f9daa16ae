import AuditLog
import Testing
import TestSupport

/// The verifier hashes stored canonical bytes directly and scans them instead of decoding: the scan must accept
/// exactly what the decoder accepts and find the same fields.
@Suite("Canonical scan and the verifier's stored-bytes path")
struct AuditCanonicalScanTests {
    static func scan(_ bytes: [UInt8]) -> AuditCanonicalFields? {
        bytes.withUnsafeBytes { try? AuditCanonicalFields(scanning: $0) }
    }

    static func expectAgreement(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        let decoded = try? AuditEntry(canonicalBytes: bytes, chainHash: [])
        let scanned = scan(bytes)
        #expect((decoded == nil) == (scanned == nil), "decoder and scan disagree on \(bytes.hexString)", sourceLocation: sourceLocation)
        guard let decoded, let scanned else { return }
        func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
        #expect(scanned.seq == decoded.seq, sourceLocation: sourceLocation)
        #expect(scanned.timeMilliseconds == decoded.time.millisecondsSince1970, sourceLocation: sourceLocation)
        #expect(text(scanned.actorID) == decoded.actor.id, sourceLocation: sourceLocation)
        #expect(text(scanned.action) == decoded.action, sourceLocation: sourceLocation)
        #expect(scanned.subjectID.map(text) == decoded.target.subjectID, sourceLocation: sourceLocation)
        #expect(scanned.flags == decoded.flags, sourceLocation: sourceLocation)
    }

    @Test func scanAgreesWithTheDecoderOnValidEntries() {
        var log = AuditMemoryLog()
        for i in 0..<60 { log.append(AuditMemoryLog.draft(i)) }
        var unicode = AuditMemoryLog.draft(1)
        unicode.actor.id = "p-é€😀"
        unicode.details = ["ключ": "значение", "a": "b"]
        log.append(unicode)
        for entry in log.entries + [AuditFormatTests.sample] {
            let bytes = entry.canonicalBytes
            Self.expectAgreement(bytes)
            #expect(Self.scan(bytes) != nil)
        }
    }

    @Test func scanRejectsWhatTheDecoderRejects() {
        // Truncations, extensions and random byte mutations (including invalid UTF-8 and unsorted detail keys).
        var rng = SplitMix64(seed: 11)
        var log = AuditMemoryLog()
        for i in 0..<12 { log.append(AuditMemoryLog.draft(i * 3)) }
        for entry in log.entries + [AuditFormatTests.sample] {
            let bytes = entry.canonicalBytes
            for cut in 0..<bytes.count { Self.expectAgreement(Array(bytes[..<cut])) }
            Self.expectAgreement(bytes + [0])
            for _ in 0..<300 {
                var mutated = bytes
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let index = Int.random(in: 0..<mutated.count, using: &rng)
                    mutated[index] = [0x00, 0x01, 0x02, 0x7f, 0x80, 0xc3, 0xff, UInt8.random(in: 0...255, using: &rng)]
                        .randomElement(using: &rng)!
                }
                Self.expectAgreement(mutated)
            }
        }
        // Unsorted detail keys: swap the two pairs of the documented sample.
        let sample = AuditFormatTests.sample.canonicalBytes
        let pairs = sample.count - 20
        let swapped = Array(sample[..<pairs]) + Array(sample[(pairs + 10)...]) + Array(sample[pairs..<(pairs + 10)])
        #expect(Self.scan(swapped) == nil)
        Self.expectAgreement(swapped)
    }

    /// A source that hands the verifier stored bytes as they are, as a database would.
    struct StoredBytesSource: AuditEntrySource {
        var rows: [(canonical: [UInt8], chain: [UInt8])]
        var signed: [SignedCheckpoint]
        func entryCount() throws -> UInt64 { UInt64(rows.count) }
        func checkpoints() throws -> [SignedCheckpoint] { signed }
        func forEachEntry(_ body: (AuditEntry) throws -> Bool) throws {
            for row in rows { guard try body(try AuditEntry(canonicalBytes: row.canonical, chainHash: row.chain)) else { return } }
        }
        func forEachCanonicalEntry(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
            for row in rows {
                let more = try row.canonical.withUnsafeBytes { c in try row.chain.withUnsafeBytes { h in try body(c, h) } }
                guard more else { return }
            }
        }
    }

    @Test func storedBytesPathDetectsTamperingAndMalformedBytes() throws {
        let signer = try AuditTestSigners.make(seed: 3)
        var log = AuditMemoryLog()
        for i in 0..<20 { log.append(AuditMemoryLog.draft(i)) }
        log.checkpoint(signer)
        let intact = StoredBytesSource(rows: log.entries.map { ($0.canonicalBytes, $0.chainHash) }, signed: log.signedCheckpoints)
        let verifier = AuditVerifier(trustedKeys: [signer.verifierKey])
        let report = verifier.verify(intact)
        #expect(report.isValid, "\(report.render())")
        #expect(report.rootHash == log.range.root)

        // A changed byte inside the stored bytes (the request id) changes the leaf hash.
        var edited = intact
        let last = edited.rows[7].canonical.count - 10
        edited.rows[7].canonical[last] ^= 0x01
        #expect(verifier.verify(edited).failure?.kind == .entryModified)
        #expect(verifier.verify(edited).failure?.seq == 7)

        // Bytes that do not scan are reported, never hashed as if valid and never a crash.
        var trailing = intact
        trailing.rows[4].canonical.append(0)
        #expect(verifier.verify(trailing).failure?.kind == .unreadable)
        #expect(verifier.verify(trailing).failure?.seq == 4)
        var empty = intact
        empty.rows[9].canonical = []
        #expect(verifier.verify(empty).failure?.kind == .unreadable)

        // A stored chain hash of the wrong length matches nothing.
        var shortChain = intact
        shortChain.rows[12].chain.removeLast()
        #expect(verifier.verify(shortChain).failure?.kind == .chainHashModified)
        #expect(verifier.verify(shortChain).failure?.seq == 12)
    }
}

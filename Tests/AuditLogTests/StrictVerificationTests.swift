import AuditLog
import Testing
import TestSupport

/// `audit verify` is strict by default: a log whose checkpoints were deleted, or whose unsigned tail is longer or older
/// than allowed, fails; the lenient mode keeps the old warnings for forensic reading.
@Suite struct StrictVerificationTests {
    let signer: AuditCheckpointSigner

    init() throws { signer = try AuditTestSigners.make(seed: 7) }

    /// 40 entries (times 1_750_000_000_000 + seq ms), signed at `signedAt` sizes.
    func log(signedAt sizes: Set<Int>) -> AuditMemoryLog {
        var log = AuditMemoryLog()
        for index in 0..<40 {
            log.append(AuditMemoryLog.draft(index))
            if sizes.contains(index + 1) { log.checkpoint(signer) }
        }
        return log
    }

    func strict(entries: UInt64 = 10, minutes: Int64 = 60, nowOffset: Int64 = 1_000) -> AuditVerifier {
        var verifier = AuditVerifier(trustedKeys: [signer.verifierKey], origin: "test.strongroom.example/audit")
        verifier.tailLimit = .init(
            entries: entries, ageMilliseconds: minutes * 60_000, now: AuditTime(millisecondsSince1970: 1_750_000_000_000 + nowOffset))
        return verifier
    }

    @Test func aFullySignedLogPasses() {
        let report = strict().verify(log(signedAt: [10, 20, 30, 40]))
        #expect(report.isValid, "\(report.render())")
        #expect(report.warnings.isEmpty)
    }

    @Test func aShortRecentTailPassesWithAWarning() {
        let report = strict().verify(log(signedAt: [10, 20, 35]))
        #expect(report.isValid, "\(report.render())")
        #expect(report.warnings.count == 1)
    }

    @Test func deletedCheckpointsFail() {
        let report = strict().verify(log(signedAt: []))
        #expect(report.failure?.kind == .unanchored)
        #expect(report.exitStatus == 1)
        // Lenient reading only warns.
        let lenient = AuditVerifier(trustedKeys: [signer.verifierKey]).verify(log(signedAt: []))
        #expect(lenient.isValid)
        #expect(!lenient.warnings.isEmpty)
    }

    @Test func aLongUnsignedTailFails() {
        // Checkpoints after 10 were deleted: 30 unsigned entries, more than the 10 allowed.
        let report = strict().verify(log(signedAt: [10]))
        #expect(report.failure?.kind == .unsignedTail)
        #expect(report.failure?.seq == 10)
    }

    @Test func anOldUnsignedTailFails() {
        // Five unsigned entries, but the first was written two hours before "now".
        let report = strict(minutes: 60, nowOffset: 2 * 3_600_000).verify(log(signedAt: [10, 20, 35]))
        #expect(report.failure?.kind == .unsignedTail)
        #expect(report.failure?.seq == 35)
        #expect(report.failure?.detail.contains("minutes ago") == true)
    }

    @Test func aCheckpointOfAnotherOriginFails() {
        var verifier = strict()
        verifier.origin = "elsewhere.example/audit"
        #expect(verifier.verify(log(signedAt: [10, 20, 30, 40])).failure?.kind == .wrongOrigin)
    }
}

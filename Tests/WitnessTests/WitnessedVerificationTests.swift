import AuditLog
import TestSupport
import Testing

/// `audit verify --witness`: the verifier's witness requirement over a log whose checkpoints carry cosignatures.
@Suite("Verification with witnesses")
struct WitnessedVerificationTests {
    let signer: AuditCheckpointSigner
    let first: WitnessCosigner
    let second: WitnessCosigner

    init() throws {
        signer = try AuditTestSigners.make(seed: 11)
        first = try testCosigner(seed: 1, name: "w1.test/witness")
        second = try testCosigner(seed: 2, name: "w2.test/witness")
    }

    /// 30 entries, checkpoints at 10, 20 and 30; `cosign(size)` says which witnesses cosign each.
    func log(_ cosign: (UInt64) -> [WitnessCosigner]) -> AuditMemoryLog {
        var log = AuditMemoryLog()
        for index in 0..<30 {
            log.append(AuditMemoryLog.draft(index))
            if (index + 1) % 10 == 0 {
                let signed = log.checkpoint(signer)
                let lines = cosign(signed.checkpoint.size).map { $0.cosign(signed.checkpoint, at: 1_750_000_000) }
                log.signedCheckpoints[log.signedCheckpoints.count - 1] = signed.addingSignatures(lines)
            }
        }
        return log
    }

    func verifier(minimum: Int = 1, strict: Bool = true) -> AuditVerifier {
        var verifier = AuditVerifier(trustedKeys: [signer.verifierKey])
        verifier.witnesses = .init(keys: [first.verifierKey, second.verifierKey], minimum: minimum)
        if strict {
            verifier.tailLimit = .init(entries: 5, ageMilliseconds: 60 * 60_000, now: AuditTime(millisecondsSince1970: 1_750_000_000_100))
        }
        return verifier
    }

    @Test("a log cosigned by the witnesses passes, and says by whom")
    func cosignedPasses() {
        let report = verifier(minimum: 2).verify(log { _ in [first, second] })
        #expect(report.isValid)
        #expect(report.latestWitnessedCheckpoint?.checkpoint.size == 30)
        #expect(report.latestWitnesses == ["w1.test/witness", "w2.test/witness"])
    }

    @Test("no cosignature at all fails as unwitnessed; without the requirement the same log passes")
    func uncosignedFails() {
        let plain = log { _ in [] }
        #expect(verifier().verify(plain).failure?.kind == .unwitnessed)
        var withoutWitnesses = verifier()
        withoutWitnesses.witnesses = nil
        #expect(withoutWitnesses.verify(plain).isValid)
    }

    @Test("fewer witnesses than required fail")
    func tooFew() {
        #expect(verifier(minimum: 2).verify(log { _ in [first] }).failure?.kind == .unwitnessed)
        #expect(verifier(minimum: 1).verify(log { _ in [first] }).isValid)
    }

    @Test("witnesses that stopped cosigning leave an unwitnessed tail that strict verification refuses")
    func staleWitnesses() {
        let stale = log { $0 == 10 ? [first] : [] }
        let report = verifier().verify(stale)
        #expect(report.failure?.kind == .unwitnessedTail)
        #expect(report.failure?.seq == 10)
        // Forensic mode accepts it with a warning.
        let lenient = verifier(strict: false).verify(stale)
        #expect(lenient.isValid)
        #expect(lenient.warnings.contains { $0.contains("witnessed checkpoint") })
    }

    @Test("a forged cosignature is named")
    func forged() {
        var tampered = log { _ in [first] }
        var note = tampered.signedCheckpoints[1]
        let index = note.signatures.firstIndex { first.verifierKey.claims($0) }!
        note.signatures[index].signature[20] ^= 0x40
        tampered.signedCheckpoints[1] = note
        let report = verifier().verify(tampered)
        #expect(report.failure?.kind == .forgedCosignature)
        #expect(report.failure?.checkpointSize == 20)
    }

    @Test("a cosignature moved onto another checkpoint does not count")
    func moved() {
        var moved = log { $0 == 10 ? [first] : [] }
        let line = moved.signedCheckpoints[0].signatures.last!
        moved.signedCheckpoints[2] = moved.signedCheckpoints[2].addingSignatures([line])
        // The line names w1 but was made over checkpoint 10: at 30 it is a forgery.
        #expect(verifier().verify(moved).failure?.kind == .forgedCosignature)
    }
}

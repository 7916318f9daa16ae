import AuditLog
import Testing
import TestSupport

/// Each attack from the spec, with the exact seq and kind the verifier must report.
@Suite("Audit verifier attacks")
struct AuditVerifierTests {
    let signer: AuditCheckpointSigner
    let log: AuditMemoryLog

    init() throws {
        signer = try AuditTestSigners.make(seed: 1)
        var log = AuditMemoryLog()
        for i in 0..<40 {
            log.append(AuditMemoryLog.draft(i))
            if (i + 1) % 10 == 0 { log.checkpoint(signer) }
        }
        self.log = log
    }

    func verify(_ log: AuditMemoryLog, since: SignedCheckpoint? = nil) -> VerificationReport {
        AuditVerifier(trustedKeys: [signer.verifierKey], origin: log.origin).verify(log, since: since)
    }

    @Test func intactLogVerifies() {
        var progressCalls = 0
        var verifier = AuditVerifier(trustedKeys: [signer.verifierKey])
        verifier.progressInterval = 8
        let report = verifier.verify(log) { done, total in
            progressCalls += 1
            #expect(done <= total)
        }
        #expect(report.isValid, "\(report.render())")
        #expect(report.entriesVerified == 40)
        #expect(report.checkpointsVerified == 4)
        #expect(report.rootHash == log.range.root)
        #expect(progressCalls >= 5)
        #expect(report.exitStatus == 0)
    }

    @Test func modifiedFieldIsNamed() {
        var tampered = log
        tampered.entries[17].action = "record.delete"
        let failure = verify(tampered).failure
        #expect(failure?.kind == .entryModified)
        #expect(failure?.seq == 17)
    }

    @Test func modifiedChainHashIsNamed() {
        var tampered = log
        tampered.entries[12].chainHash[5] ^= 1
        let failure = verify(tampered).failure
        #expect(failure?.kind == .chainHashModified)
        #expect(failure?.seq == 12)
    }

    @Test func modifiedLastEntryIsNamed() {
        var tampered = log
        tampered.entries[39].fieldsTouched = ["taxId"]
        let failure = verify(tampered).failure
        #expect(failure?.kind == .entryOrChainHashModified)
        #expect(failure?.seq == 39)
    }

    @Test func deletedMiddleEntryIsNamed() {
        var tampered = log
        tampered.entries.remove(at: 23)
        let failure = verify(tampered).failure
        #expect(failure?.kind == .missingEntry)
        #expect(failure?.seq == 23)
    }

    @Test func deletedEndEntriesAreCaughtByACheckpoint() {
        var tampered = log
        tampered.entries.removeLast(3)
        let failure = verify(tampered).failure
        #expect(failure?.kind == .truncated)
        #expect(failure?.seq == 37)
        #expect(failure?.checkpointSize == 40)
    }

    @Test func reorderedEntriesAreNamed() {
        var tampered = log
        tampered.entries.swapAt(8, 9)
        let failure = verify(tampered).failure
        #expect(failure?.kind == .outOfOrder)
        #expect(failure?.seq == 8)
    }

    @Test func insertedDuplicateIsNamed() {
        var tampered = log
        var forged = tampered.entries[14]
        forged.action = "record.export"
        tampered.entries.insert(forged, at: 15)
        let failure = verify(tampered).failure
        #expect(failure?.kind == .duplicateEntry)
        #expect(failure?.seq == 14)
    }

    @Test func insertedAndRechainedEntryIsCaughtByTheNextCheckpoint() {
        // A careful attacker inserts an entry, renumbers and recomputes every chain hash.
        var tampered = log
        var forged = tampered.entries[24]
        forged.action = "record.export"
        tampered.entries.insert(forged, at: 25)
        for index in tampered.entries.indices { tampered.entries[index].seq = UInt64(index) }
        tampered.rechain()
        let failure = verify(tampered).failure
        #expect(failure?.kind == .checkpointRootMismatch)
        #expect(failure?.checkpointSize == 30)
        #expect(failure?.seq == 20)  // the bad entry lies after the last good checkpoint (size 20)
    }

    @Test func modifiedAndRechainedEntryIsCaughtByTheNextCheckpoint() {
        var tampered = log
        tampered.entries[3].decision = .allow(["policy.forged"])
        tampered.rechain()
        let failure = verify(tampered).failure
        #expect(failure?.kind == .checkpointRootMismatch)
        #expect(failure?.checkpointSize == 10)
    }

    @Test func truncationAgainstASavedCheckpoint() {
        let saved = log.signedCheckpoints[3]  // size 40
        var rolledBack = AuditMemoryLog()
        for entry in log.entries.prefix(32) { rolledBack.append(entry.draft) }
        rolledBack.entries = Array(log.entries.prefix(32))
        rolledBack.signedCheckpoints = Array(log.signedCheckpoints.prefix(3))
        let failure = verify(rolledBack, since: saved).failure
        #expect(failure?.kind == .rolledBack)
        #expect(failure?.seq == 32)
    }

    @Test func forkAgainstASavedCheckpoint() throws {
        // The operator rewrites history after entry 19 and re-signs: checkpoints verify, the saved one does not match.
        let saved = log.signedCheckpoints[2]  // size 30
        var fork = AuditMemoryLog()
        for i in 0..<40 {
            fork.append(i == 25 ? AuditMemoryLog.draft(1000) : AuditMemoryLog.draft(i))
            if (i + 1) % 10 == 0 { fork.checkpoint(signer) }
        }
        #expect(verify(fork).isValid)
        let failure = verify(fork, since: saved).failure
        #expect(failure?.kind == .forked)
        #expect(failure?.checkpointSize == 30)
        let report = verify(log, since: saved)
        #expect(report.isValid && report.extendsSavedCheckpoint)
    }

    @Test func forgedCheckpointSignature() {
        var tampered = log
        tampered.signedCheckpoints[1].signatures[0].signature[10] ^= 0x40
        let failure = verify(tampered).failure
        #expect(failure?.kind == .forgedCheckpointSignature)
        #expect(failure?.checkpointSize == 20)
    }

    @Test func checkpointWithAlteredRootButOriginalSignature() {
        var tampered = log
        tampered.signedCheckpoints[0].checkpoint.rootHash = tampered.signedCheckpoints[1].checkpoint.rootHash
        #expect(verify(tampered).failure?.kind == .forgedCheckpointSignature)
    }

    @Test func checkpointSignedByAnotherKey() throws {
        let other = try AuditTestSigners.make(seed: 99)
        var tampered = log
        tampered.signedCheckpoints[2] = other.sign(tampered.signedCheckpoints[2].checkpoint)
        let failure = verify(tampered).failure
        #expect(failure?.kind == .untrustedCheckpoint)
        #expect(failure?.checkpointSize == 30)
    }

    @Test func checkpointForAnotherOrigin() throws {
        var tampered = log
        var body = tampered.signedCheckpoints[0].checkpoint
        body.origin = "other.example/audit"
        tampered.signedCheckpoints[0] = signer.sign(body)
        #expect(verify(tampered).failure?.kind == .wrongOrigin)
    }

    @Test func gapAtTheStartAndUnreadableSource() {
        var tampered = log
        tampered.entries.removeFirst()
        let failure = verify(tampered).failure
        #expect(failure?.kind == .missingEntry)
        #expect(failure?.seq == 0)
    }

    @Test func unsignedTailIsAWarningNotAFailure() {
        var grown = log
        grown.append(AuditMemoryLog.draft(40))
        let report = verify(grown)
        #expect(report.isValid)
        #expect(report.warnings.count == 1)
    }

    @Test func keyHandoverIsFollowed() throws {
        let next = try AuditTestSigners.make(seed: 2)
        var rotated = log
        rotated.append(AuditKeyHandover.draft(from: signer, to: next.verifierKey, actor: AuditActor(id: "officer-1", role: "security-officer"), requestID: "rot-1"))
        for i in 41..<45 { rotated.append(AuditMemoryLog.draft(i)) }
        rotated.checkpoint(next)
        let report = verify(rotated)
        #expect(report.isValid, "\(report.render())")
        #expect(report.keyHandovers.count == 1 && report.keyHandovers[0].seq == 40)
        // After the handover the old key no longer signs.
        var stale = rotated
        stale.signedCheckpoints[4] = signer.sign(stale.signedCheckpoints[4].checkpoint)
        #expect(verify(stale).failure?.kind == .untrustedCheckpoint)
    }

    @Test func fakeHandoverNotSignedByTheOldKeyIsRejected() throws {
        let attacker = try AuditTestSigners.make(seed: 66)
        var forged = log
        // The attacker signs the handover with its own key but claims the trusted key as the old one.
        var draft = AuditKeyHandover.draft(from: attacker, to: attacker.verifierKey, actor: AuditActor(id: "x", role: "system"), requestID: "r")
        draft.details["handover.oldKey"] = signer.verifierKey.text
        forged.append(draft)
        forged.checkpoint(attacker)
        let failure = verify(forged).failure
        #expect(failure?.kind == .invalidKeyHandover)
        #expect(failure?.seq == 40)
        // And a handover from a key that is not in force.
        var other = log
        other.append(AuditKeyHandover.draft(from: attacker, to: attacker.verifierKey, actor: AuditActor(id: "x", role: "system"), requestID: "r"))
        #expect(verify(other).failure?.kind == .invalidKeyHandover)
    }

    @Test func reportRendersTheFailure() {
        var tampered = log
        tampered.entries[5].requestID = "req-forged"
        let report = verify(tampered)
        #expect(report.exitStatus == 1)
        #expect(report.render().contains("entry modified at entry 5"))
    }
}

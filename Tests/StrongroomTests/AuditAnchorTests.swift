import AuditLog
import Foundation
import GRDB
import Keyring
import Sodium
import Storage
import Strongroom
import Testing
import TestSupport

/// Plays a database insider against the audit log: rewrites history with every hash recomputed and the covering
/// checkpoints deleted, forges a key handover, rolls the log back. The server must sign nothing, refuse audited work,
/// raise the alarm, and refuse to start on such a log; an untouched log keeps being signed across restarts.
@Suite struct AuditAnchorTests {
    /// Signs a checkpoint as the server's checkpoint service does.
    static func sign(_ fixture: InstallationFixture) async throws -> SignedCheckpoint? {
        let installation = fixture.installation
        try installation.checkpoints.verifyCommittedLog(reader: installation.database.pool)
        return try await installation.writer.write { db in try installation.checkpoints.checkpoint(in: db) }
    }

    static func checkpointCount(_ fixture: InstallationFixture) throws -> Int { try fixture.count("audit_checkpoint") }

    /// Waits for the alarm the signer raises from a task (every caller expects one; the limit is only a failsafe).
    static func auditAlarms(_ fixture: InstallationFixture) async throws -> [AuditEntry] {
        func alarms() throws -> [AuditEntry] {
            try fixture.auditEntries().filter { $0.action == "integrity.alarm" && $0.target.collection == "audit_entry" }
        }
        _ = try await eventually { try !alarms().isEmpty }
        return try alarms()
    }

    /// A second installation on the same directories: what a restarted server sees.
    static func reopen(_ fixture: InstallationFixture) throws -> Installation {
        try Installation(configuration: fixture.configuration)
    }

    /// A restarted server refuses this log: the installation does not open (it cannot record the rules in force on a
    /// locked log), so `serve` exits with the lock message before anything is served.
    static func expectRestartRefused(_ fixture: InstallationFixture, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: StorageError.auditLockedCode, sourceLocation: sourceLocation) {
            let restarted = try reopen(fixture)
            try restarted.checkpoints.verifyCommittedLog(reader: restarted.database.pool)
        }
    }

    static func expectLocked(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async {
        do {
            try await body()
            Issue.record("expected the audit log to be locked", sourceLocation: sourceLocation)
        } catch let error as StorageError {
            #expect(error == .auditLockedCode, sourceLocation: sourceLocation)
        } catch {
            #expect(StrongroomError.recognized(error)?.code == "audit_log_locked", "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func anUntouchedLogIsSignedAcrossRestartsAndTheStateFollows() async throws {
        let fixture = try InstallationFixture()
        _ = try await fixture.citizen("one@example.org")
        let first = try #require(try await Self.sign(fixture))
        let state = try #require(try fixture.keys.directory.readAuditSignerState())
        #expect(state.contains("size \(first.checkpoint.size)\n"))
        _ = try await fixture.citizen("two@example.org")
        let second = try #require(try await Self.sign(fixture))
        #expect(second.checkpoint.size > first.checkpoint.size)
        #expect(try fixture.keys.directory.readAuditSignerState()?.contains("size \(second.checkpoint.size)\n") == true)

        // A restart proves the log against the state file and goes on signing.
        let restarted = try Self.reopen(fixture)
        try restarted.checkpoints.verifyCommittedLog(reader: restarted.database.pool)
        let third = try await restarted.writer.write { db in try restarted.checkpoints.checkpoint(in: db) }
        #expect(third != nil)
        #expect(restarted.checkpoints.foundMismatch == nil)
        #expect(AuditVerifier(trustedKeys: [fixture.installation.checkpointSigner.verifierKey]).verify(restarted.auditStore).isValid)
    }

    @Test func aRewrittenLogWithItsCheckpointsDeletedIsNeverSigned() async throws {
        let fixture = try InstallationFixture()
        let victim = try await fixture.citizen("victim@example.org")
        let signed = try #require(try await Self.sign(fixture))
        _ = try await fixture.citizen("later@example.org")
        let checkpoints = try Self.checkpointCount(fixture)

        // The insider rewrites an entry about the victim (as if an access had never happened), recomputes every hash
        // and node, and deletes every checkpoint covering it.
        let target = try #require(try fixture.auditEntries().first { $0.target.subjectID == victim.caller.subjectID && $0.target.subjectID != nil }).seq
        try LogForger.withDatabase(path: fixture.installation.database.path) { db in
            try LogForger.rewrite(seq: target, in: db) { $0.actor = AuditActor(id: "someone-else", role: "citizen") }
            try LogForger.deleteCheckpoints(above: target, in: db)
        }
        #expect(signed.checkpoint.size > target)
        #expect(try Self.checkpointCount(fixture) < checkpoints)
        let remaining = try Self.checkpointCount(fixture)

        // The server's next checkpoint: refused, nothing signed, the alarm raised, the operator told.
        await Self.expectLocked { _ = try await Self.sign(fixture) }
        #expect(try Self.checkpointCount(fixture) == remaining)
        let alarms = try await Self.auditAlarms(fixture)
        #expect(alarms.count == 1)
        #expect(alarms.first?.details["reason"] == "audit-entry-changed")
        #expect(fixture.logs.all.contains { $0.contains("audit log integrity failure") })
        #expect(fixture.installation.checkpoints.foundMismatch?.kind == .entryChanged)

        // Fail closed: audited work is refused from now on (a sign-up, a read of the victim's profile).
        await Self.expectLocked { _ = try await fixture.citizen("new@example.org") }
        await Self.expectLocked {
            _ = try await fixture.records.profile(of: victim.accountID, caller: victim.caller, access: fixture.access())
        }
        // A restarted server refuses to start on this log.
        Self.expectRestartRefused(fixture)
    }

    @Test func aRewriteBeforeTheNextCheckpointIsCaughtAtTheRehash() async throws {
        // No checkpoint is deleted: the insider rewrites an entry the server has re-hashed but not yet signed.
        let fixture = try InstallationFixture()
        _ = try await fixture.citizen("a@example.org")
        try fixture.installation.checkpoints.verifyCommittedLog(reader: fixture.installation.database.pool)
        let last = try fixture.installation.auditStore.entryCount() - 1
        try LogForger.withDatabase(path: fixture.installation.database.path) { db in
            try LogForger.rewrite(seq: last, in: db) { $0.details["forged"] = "yes" }
        }
        await Self.expectLocked { _ = try await Self.sign(fixture) }
        #expect(try await Self.auditAlarms(fixture).count == 1)
    }

    @Test func aForgedKeyHandoverIsRefusedNotSilentlyFollowed() async throws {
        let fixture = try InstallationFixture()
        _ = try await fixture.citizen("a@example.org")
        _ = try #require(try await Self.sign(fixture))
        let before = try Self.checkpointCount(fixture)
        // The insider appends a handover to a key of their own, signed by that key (they do not have the key in force).
        let name = fixture.installation.configuration.auditKeyName
        let own = try AuditCheckpointSigner(name: name, keyPair: try Ed25519.KeyPair.generate())
        let draft = AuditKeyHandover.draft(from: own, to: own.verifierKey, actor: AuditActor(id: "cli", role: "security-officer"), requestID: "forged")
        try LogForger.withDatabase(path: fixture.installation.database.path) { db in try LogForger.append(draft, in: db) }

        await Self.expectLocked { _ = try await Self.sign(fixture) }
        #expect(try Self.checkpointCount(fixture) == before)
        #expect(try await Self.auditAlarms(fixture).first?.details["reason"] == "audit-forged-handover")
        // The verifier agrees that the handover is invalid.
        let report = AuditVerifier(trustedKeys: [fixture.installation.checkpointSigner.verifierKey]).verify(fixture.installation.auditStore)
        #expect(report.failure?.kind == .invalidKeyHandover)
    }

    @Test func aRolledBackLogIsRefused() async throws {
        let fixture = try InstallationFixture()
        _ = try await fixture.citizen("a@example.org")
        _ = try await fixture.citizen("b@example.org")
        let signed = try #require(try await Self.sign(fixture))
        // The insider deletes the newest entries, their nodes and checkpoints (a restore of an older copy looks alike).
        let keep = signed.checkpoint.size - 3
        try LogForger.withDatabase(path: fixture.installation.database.path) { db in
            let entries = try LogForger.entries(db)
            try LogForger.store(Array(entries.prefix(Int(keep))), in: db)
            try LogForger.deleteCheckpoints(above: keep, in: db)
        }
        Self.expectRestartRefused(fixture)
        #expect(fixture.installation.checkpoints.foundMismatch == nil)
        await Self.expectLocked { _ = try await Self.sign(fixture) }
        #expect(fixture.installation.checkpoints.foundMismatch?.kind == .rolledBack)
    }

    @Test func alteredStoredNodesAreRefused() async throws {
        let fixture = try InstallationFixture()
        for index in 0..<8 { _ = try await fixture.citizen("c\(index)@example.org") }
        #expect(try fixture.installation.auditStore.entryCount() >= 16)
        try LogForger.withDatabase(path: fixture.installation.database.path) { db in
            try db.execute(sql: "UPDATE audit_node SET hash = zeroblob(32) WHERE level = 4 AND idx = 0")
        }
        await Self.expectLocked { _ = try await Self.sign(fixture) }
        #expect(fixture.installation.checkpoints.foundMismatch?.kind == .treeChanged)
    }

    @Test func anAlteredOrForeignStateFileIsRefused() async throws {
        let fixture = try InstallationFixture()
        _ = try await fixture.citizen("a@example.org")
        _ = try #require(try await Self.sign(fixture))
        let directory = fixture.keys.directory
        let state = try #require(try directory.readAuditSignerState())
        // One changed line (an older size): the signature no longer verifies.
        let altered = state.replacingOccurrences(of: "\nsize ", with: "\nsize 1")
        try directory.writeAuditSignerState(altered)
        Self.expectRestartRefused(fixture)

        // A state signed by a key that is not this installation's is refused too.
        let foreign = try AuditCheckpointSigner(name: fixture.installation.configuration.auditKeyName, keyPair: try Ed25519.KeyPair.generate())
        let other = AuditAnchor(origin: fixture.installation.configuration.auditOrigin, genesisKey: foreign.verifierKey)
        try directory.writeAuditSignerState(try other.signedText(by: foreign))
        Self.expectRestartRefused(fixture)
    }

    @Test func aLogWithoutStateIsAdoptedOnlyWhenItVerifies() async throws {
        let fixture = try InstallationFixture()
        _ = try await fixture.citizen("a@example.org")
        _ = try #require(try await Self.sign(fixture))
        let directory = fixture.keys.directory
        // The fixture's public key file is not a verifier key file; write the real one, as `init` does.
        try Array((fixture.installation.checkpointSigner.verifierKey.text + "\n").utf8).write(to: directory.auditPublicKeyPath)
        try directory.removeAuditSignerState()
        let adopted = try Self.reopen(fixture)
        try adopted.checkpoints.verifyCommittedLog(reader: adopted.database.pool)
        #expect(try await adopted.writer.write { db in try adopted.checkpoints.checkpoint(in: db) } != nil)
        #expect(try directory.readAuditSignerState() != nil)

        // Without state and without any checkpoint (all deleted), nothing is adopted.
        try directory.removeAuditSignerState()
        try LogForger.withDatabase(path: fixture.installation.database.path) { db in try LogForger.deleteCheckpoints(above: 0, in: db) }
        Self.expectRestartRefused(fixture)
    }
}

extension Array where Element == UInt8 {
    /// Writes the bytes to `path` with mode 0600 (a key directory's file).
    func write(to path: String) throws {
        try Data(self).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }
}

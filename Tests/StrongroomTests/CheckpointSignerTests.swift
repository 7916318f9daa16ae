import AuditLog
import Keyring
import Storage
import Strongroom
import Testing

@Suite("Checkpoint signing across an audit key rotation")
struct CheckpointSignerTests {
    static let officer = AuthenticatedCaller(
        accountID: "cli:officer", kind: .staff, roles: ["security-officer"], office: nil, subjectID: nil, authStrength: "local")

    @Test("a running server signs with the new key right after a rotation made from the CLI, with no restart")
    func serverFollowsHandover() async throws {
        let fixture = try InstallationFixture()
        let installation = fixture.installation
        let originalKey = installation.checkpointSigner.verifierKey
        _ = try await fixture.citizen("before@example.org")
        try await installation.writer.write { db in _ = try installation.checkpoints.checkpoint(in: db) }

        // The CLI: its own key ring and database handle on the same directories.
        let cliKeyring = try Keyring.open(fixture.keys.directory)
        let cliDatabase = try StrongroomDatabase(dataDirectory: fixture.data.path)
        let rotation = try KeyOperations(keyring: cliKeyring, database: cliDatabase).rotateAuditSigningKey(
            keyName: installation.configuration.auditKeyName, origin: installation.configuration.auditOrigin, caller: Self.officer,
            requestID: "rotate")
        #expect(rotation.newKey != originalKey)

        // The server keeps appending, then signs: the checkpoint must carry the new key's signature.
        _ = try await fixture.citizen("after@example.org")
        let signed = try await installation.writer.write { db in try installation.checkpoints.checkpoint(in: db) }
        let checkpoint = try #require(signed)
        #expect(checkpoint.signatures.map(\.keyHash) == [rotation.newKey.keyHash])

        let report = AuditVerifier(trustedKeys: [originalKey]).verify(installation.auditStore)
        #expect(report.isValid, "\(report.render())")
        #expect(report.keyHandovers.count == 1)
    }

    @Test("between the handover entry and the key file's installation the staged key signs; a missing key signs nothing")
    func stagedKeyAndMissingKey() async throws {
        let fixture = try InstallationFixture()
        let installation = fixture.installation
        let originalKey = installation.checkpointSigner.verifierKey
        // Simulate a CLI that committed the handover but has not installed the new key yet.
        let cliKeyring = try Keyring.open(fixture.keys.directory)
        let oldSigner = try AuditCheckpointSigner(name: installation.configuration.auditKeyName, keyPair: try cliKeyring.auditSigningKeyPair())
        let staged = try cliKeyring.stageAuditSigningKey()
        let newSigner = try AuditCheckpointSigner(name: installation.configuration.auditKeyName, keyPair: staged)
        try await installation.writer.write { db in
            _ = try installation.auditStore.append(
                AuditKeyHandover.draft(from: oldSigner, to: newSigner.verifierKey, actor: AuditActor(id: "cli", role: "security-officer"), requestID: "r"),
                in: db)
        }
        let signed = try await installation.writer.write { db in try installation.checkpoints.checkpoint(in: db) }
        #expect(try #require(signed).signatures.map(\.keyHash) == [newSigner.verifierKey.keyHash])
        #expect(AuditVerifier(trustedKeys: [originalKey]).verify(installation.auditStore).isValid)

        // The staged key is discarded (a crashed rotation settled the wrong way): nothing is signed.
        try cliKeyring.discardPendingAuditSigningKey()
        _ = try await fixture.citizen("later@example.org")
        let none = try await installation.writer.write { db in try installation.checkpoints.checkpoint(in: db) }
        #expect(none == nil)
        #expect(AuditVerifier(trustedKeys: [originalKey]).verify(installation.auditStore).isValid)
    }

    @Test("after a root rotation from the CLI, a running server keeps serving and signing with the key it holds")
    func rootRotationWhileRunning() async throws {
        let fixture = try InstallationFixture()
        let installation = fixture.installation
        let alice = try await fixture.citizen("alice@example.org")
        _ = try await fixture.records.updateProfile(["name": .string("Alice")], caller: alice.caller, access: fixture.access())
        try await installation.writer.write { db in _ = try installation.checkpoints.checkpoint(in: db) }
        let cliKeyring = try Keyring.open(fixture.keys.directory)
        let cliDatabase = try StrongroomDatabase(dataDirectory: fixture.data.path)
        _ = try KeyOperations(keyring: cliKeyring, database: cliDatabase).rotateRoot(to: .plain, caller: Self.officer, requestID: "root")
        // Still serving: reads, writes and signed checkpoints.
        let profile = try await fixture.records.profile(of: alice.accountID, caller: alice.caller, access: fixture.access())
        #expect(profile.fields["name"]?.value == "Alice")
        _ = try await fixture.records.updateProfile(["phone": .string("+353851234567")], caller: alice.caller, access: fixture.access())
        let signed = try await installation.writer.write { db in try installation.checkpoints.checkpoint(in: db) }
        #expect(signed != nil)
        #expect(AuditVerifier(trustedKeys: [installation.checkpointSigner.verifierKey]).verify(installation.auditStore).isValid)
        // And a restart opens the rotated directory with everything readable.
        let reopened = try Installation(configuration: fixture.configuration, clock: fixture.clock)
        let again = try await reopened.records.profile(of: alice.accountID, caller: alice.caller, access: fixture.access())
        #expect(again.fields["phone"]?.value == "+353851234567")
    }
}

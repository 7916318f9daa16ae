import AuditLog
import Foundation
import GRDB
import Keyring
import Sealing
import Sodium
import Storage
import Strongroom
import TestSupport
import Testing

private let officer = AuthenticatedCaller(
    accountID: "cli:officer", kind: .staff, roles: [KeyOperations.role], office: nil, subjectID: nil, authStrength: "local")

/// Seals `count` values straight into `sealed_fields` (collection "bulk"), returning their plaintexts by record id.
func seedBulkFields(_ installation: Installation, count: Int, prefix: String = "value", start: Int = 0) throws -> [String: String] {
    var values: [String: String] = [:]
    var rows: [(String, [UInt8], UInt32)] = []
    for i in 0..<count {
        let id = String(format: "r%06d", start + i)
        let value = "\(prefix)-\(i)-\(UInt32.random(in: 0...UInt32.max))"
        let envelope = try installation.sealer.seal(Array(value.utf8), for: FieldPlace(collection: "bulk", recordID: id, field: "f"))
        rows.append((id, envelope, try FieldSealer.keyVersion(of: envelope).version))
        values[id] = value
    }
    try installation.database.write { db in
        for (id, envelope, version) in rows {
            try FieldRows.putSealed(envelope, keyVersion: version, collection: "bulk", recordID: id, field: "f", subjectID: nil, at: 0, in: db)
        }
    }
    return values
}

/// Every envelope in `bulk`, by record id.
func bulkEnvelopes(_ installation: Installation) throws -> [String: [UInt8]] {
    try installation.database.readBlocking { db in
        var out: [String: [UInt8]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT record_id, envelope FROM sealed_fields WHERE collection = 'bulk'") {
            out[row[0]] = [UInt8](row[1] as Data)
        }
        return out
    }
}

@Suite("Key operations: rotation, retirement, audit key handover")
struct KeyOperationTests {
    @Test("key operations are refused to anyone but a security officer")
    func onlySecurityOfficers() async throws {
        let fixture = try InstallationFixture()
        let operations = KeyOperations(keyring: fixture.installation.keyring, database: fixture.installation.database)
        for caller in [AuthenticatedCaller.system("op"), AuthenticatedCaller(
            accountID: "s1", kind: .staff, roles: ["caseworker"], office: "central", subjectID: nil, authStrength: "mfa")]
        {
            #expect(throws: StrongroomError.forbidden("")) { try operations.rotateDataKey(.records, caller: caller, requestID: "t") }
            #expect(throws: StrongroomError.forbidden("")) { try operations.retire(.records, below: 1, force: false, caller: caller, requestID: "t") }
            #expect(throws: StrongroomError.forbidden("")) { _ = try operations.rotateRoot(to: .plain, caller: caller, requestID: "t") }
            #expect(throws: StrongroomError.forbidden("")) {
                _ = try operations.rotateAuditSigningKey(keyName: "strongroom-audit", origin: "o", caller: caller, requestID: "t")
            }
            await #expect(throws: StrongroomError.forbidden("")) { _ = try await Rewrap(installation: fixture.installation).run(caller: caller, requestID: "t") }
        }
        #expect(try fixture.installation.keyring.currentKey(.records).version == 1)
        #expect(try fixture.auditEntries().allSatisfy { !$0.flags.contains(.keyOperation) })
    }

    @Test("a data-key rotation is audited without key bytes, and new writes use the new version at once")
    func dataRotationAudited() async throws {
        let fixture = try InstallationFixture()
        let installation = fixture.installation
        let old = try seedBulkFields(installation, count: 3)
        // The CLI works on its own key ring object, as a separate process would.
        let cliKeyring = try Keyring.open(fixture.keys.directory)
        let operations = KeyOperations(keyring: cliKeyring, database: installation.database)
        #expect(try operations.rotateDataKey(.records, caller: officer, requestID: "rot-1") == 2)
        let entry = try #require(try fixture.auditEntries().last)
        #expect(entry.action == "keys.rotate" && entry.flags.contains(.keyOperation))
        #expect(entry.details["key"] == "records" && entry.details["previous_version"] == "1" && entry.details["new_version"] == "2")
        #expect(entry.actor.role == KeyOperations.role)
        let keyHex = try cliKeyring.key(.records, version: 2).withUnsafeBytes { Array($0) }.hexString
        #expect(!entry.details.values.contains { $0.contains(keyHex) })

        // The running installation's key ring sees the new version (explicit refresh instead of waiting a second).
        installation.keyring.refreshIfChanged()
        let fresh = try seedBulkFields(installation, count: 1, prefix: "new", start: 100)
        let counts = try operations.counts().sealed
        #expect(counts == [1: 3, 2: 1])
        #expect(fresh.count == 1)
        let envelopes = try bulkEnvelopes(installation)
        #expect(envelopes.count == 4 && envelopes.keys.filter { old[$0] != nil }.count == 3)
        for (id, envelope) in envelopes where old[id] != nil {
            #expect(String(decoding: try installation.sealer.open(envelope, at: .init(collection: "bulk", recordID: id, field: "f")), as: UTF8.self) == old[id])
        }
        #expect(throws: StrongroomError.invalid("unknown_key", "")) { try operations.rotateDataKey(KeyID(rawValue: "root"), caller: officer, requestID: "t") }
    }

    @Test("retiring is refused while fields remain (with the counts); forced, those fields fail closed with a clear error")
    func retireRefusedThenForced() async throws {
        let fixture = try InstallationFixture()
        let installation = fixture.installation
        _ = try seedBulkFields(installation, count: 4)
        let operations = KeyOperations(keyring: installation.keyring, database: installation.database)
        try operations.rotateDataKey(.records, caller: officer, requestID: "t")
        let refused = #expect(throws: StrongroomError.conflict("fields_remain", "")) {
            try operations.retire(.records, below: 2, force: false, caller: officer, requestID: "t")
        }
        #expect(refused?.message.contains("v1: 4") == true)
        #expect(installation.keyring.minimumVersion(.records) == 1)
        #expect(throws: StrongroomError.invalid("unsupported_key", "")) {
            try operations.retire(.index, below: 1, force: false, caller: officer, requestID: "t")
        }
        let result = try operations.retire(.records, below: 2, force: true, caller: officer, requestID: "t")
        #expect(result.fieldsLeft == [1: 4] && result.minimum == 2)
        let entry = try #require(try fixture.auditEntries().last)
        #expect(entry.action == "keys.retire" && entry.details["forced"] == "true" && entry.details["fields_left"] == "v1=4")
        let retired = try bulkEnvelopes(installation)
        #expect(retired.count == 4)
        for (id, envelope) in retired {
            let error = #expect(throws: SealingError.keyUnavailableCode) {
                try installation.sealer.open(envelope, at: .init(collection: "bulk", recordID: id, field: "f"))
            }
            #expect(error?.message.contains("retired") == true)
        }
    }

    @Test("after an audit signing key rotation, the original public key alone verifies the whole log, new checkpoints included")
    func auditKeyHandoverVerifies() async throws {
        let fixture = try InstallationFixture()
        let installation = fixture.installation
        let name = installation.configuration.auditKeyName, origin = installation.configuration.auditOrigin
        _ = try await fixture.citizen("handover@example.org")
        let original = try AuditCheckpointSigner(name: name, keyPair: try installation.keyring.auditSigningKeyPair()).verifierKey
        let operations = KeyOperations(keyring: installation.keyring, database: installation.database)
        let rotation = try operations.rotateAuditSigningKey(keyName: name, origin: origin, caller: officer, requestID: "hand-1")
        #expect(rotation.oldKey == original && rotation.newKey != original)
        #expect(try installation.keyring.auditSigningKeyPair().publicKey == rotation.newKey.publicKey)

        // More activity, then a checkpoint by the new key, as the restarted server would sign.
        _ = try await fixture.citizen("after@example.org")
        let newSigner = try AuditCheckpointSigner(name: name, keyPair: try installation.keyring.auditSigningKeyPair())
        _ = try await installation.database.write { db in try installation.auditStore.makeCheckpoint(signer: newSigner, origin: origin, in: db) }

        let report = AuditVerifier(trustedKeys: [original]).verify(installation.auditStore)
        #expect(report.isValid, "\(report.render())")
        #expect(report.keyHandovers.map(\.key) == [rotation.newKey])
        #expect(report.checkpointsVerified >= 3)
        let handover = try #require(try fixture.auditEntries().first { $0.seq == rotation.handoverSeq })
        #expect(handover.action == "audit.key-handover" && handover.flags.contains(.keyOperation))

        // The public key file still starts from the original key; the new one is only a comment.
        let pub = try String(contentsOfFile: installation.configuration.keys.auditPublicKeyPath, encoding: .utf8)
        #expect(pub.contains("# \(rotation.newKey.text)"))
    }

    @Test("a checkpoint signed by the old key after the handover fails verification")
    func oldKeyAfterHandoverRejected() async throws {
        let fixture = try InstallationFixture()
        let installation = fixture.installation
        let name = installation.configuration.auditKeyName, origin = installation.configuration.auditOrigin
        let oldSigner = try AuditCheckpointSigner(name: name, keyPair: try installation.keyring.auditSigningKeyPair())
        _ = try await fixture.citizen("stale@example.org")
        let operations = KeyOperations(keyring: installation.keyring, database: installation.database)
        _ = try operations.rotateAuditSigningKey(keyName: name, origin: origin, caller: officer, requestID: "t")
        _ = try await fixture.citizen("stale2@example.org")
        _ = try await installation.database.write { db in try installation.auditStore.makeCheckpoint(signer: oldSigner, origin: origin, in: db) }
        #expect(!AuditVerifier(trustedKeys: [oldSigner.verifierKey]).verify(installation.auditStore).isValid)
    }

    @Test("an audit signing key left staged by a crash is installed when the log holds its handover, discarded otherwise")
    func pendingAuditKeySettled() async throws {
        let fixture = try InstallationFixture()
        let installation = fixture.installation
        let keyring = installation.keyring
        let name = installation.configuration.auditKeyName
        let operations = KeyOperations(keyring: keyring, database: installation.database)
        let old = try keyring.auditSigningKeyPair().publicKey
        // Crash before the handover committed: the staged key is discarded.
        _ = try keyring.stageAuditSigningKey()
        #expect(try operations.settlePendingAuditSigningKey(keyName: name) == false)
        #expect(try keyring.pendingAuditSigningKeyPair() == nil)
        #expect(try keyring.auditSigningKeyPair().publicKey == old)
        // Crash after the handover committed, before the key was installed: the staged key is installed.
        let staged = try keyring.stageAuditSigningKey()
        let oldSigner = try AuditCheckpointSigner(name: name, keyPair: try keyring.auditSigningKeyPair())
        let newKey = try AuditVerifierKey(name: name, publicKey: staged.publicKey)
        _ = try await installation.database.write { db in
            try installation.auditStore.append(
                AuditKeyHandover.draft(from: oldSigner, to: newKey, actor: AuditActor(id: "op", role: KeyOperations.role), requestID: "t"), in: db)
        }
        #expect(try operations.settlePendingAuditSigningKey(keyName: name) == true)
        #expect(try keyring.auditSigningKeyPair().publicKey == staged.publicKey)
    }

    @Test("a root rotation is audited with root key ids only, and the installation reopens and reads old data")
    func rootRotationAudited() async throws {
        let fixture = try InstallationFixture()
        let installation = fixture.installation
        let values = try seedBulkFields(installation, count: 5)
        let operations = KeyOperations(keyring: installation.keyring, database: installation.database)
        let oldID = installation.keyring.rootKeyID
        let rotated = try operations.rotateRoot(to: .plain, caller: officer, requestID: "root-1")
        let entry = try #require(try fixture.auditEntries().last)
        #expect(entry.action == "keys.rotate" && entry.details["kind"] == "root")
        #expect(entry.details["previous_root_id"] == oldID && entry.details["new_root_id"] == rotated.rootKeyID)
        let reopened = try Installation(configuration: fixture.configuration, clock: fixture.clock)
        let envelopes = try bulkEnvelopes(reopened)
        #expect(envelopes.count == values.count && values.count == 5)
        for (id, envelope) in envelopes {
            #expect(String(decoding: try reopened.sealer.open(envelope, at: .init(collection: "bulk", recordID: id, field: "f")), as: UTF8.self) == values[id])
        }
    }
}

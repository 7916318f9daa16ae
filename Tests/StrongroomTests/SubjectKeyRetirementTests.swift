import Foundation
import Keyring
import Strongroom
import Testing

@Suite("Retiring old versions of the key that wraps shredding keys")
struct SubjectKeyRetirementTests {
    static let officer = AuthenticatedCaller(
        accountID: "cli:officer", kind: .staff, roles: ["security-officer"], office: nil, subjectID: nil, authStrength: "local")

    @Test("refused while a shredding key is wrapped by an older version (nothing changes); allowed after rewrap")
    func retireAfterRewrap() async throws {
        let fixture = try InstallationFixture()
        let alice = try await fixture.citizen("alice@example.org")
        _ = try await fixture.records.updateProfile(["name": .string("Alice Example")], caller: alice.caller, access: fixture.access())
        let store = fixture.installation.subjectKeys
        let keyring = fixture.installation.keyring
        let operations = KeyOperations(keyring: keyring, database: fixture.installation.database, subjectKeys: store)
        #expect(try operations.rotateDataKey(SubjectKeyStore.wrappingKeyID, caller: Self.officer, requestID: "rotate") == 2)
        let wrappedByV1 = try store.countsByWrappingVersion()[1] ?? 0
        #expect(wrappedByV1 > 0)
        let retiresBefore = try fixture.auditEntries().filter { $0.action == "keys.retire" }.count

        let refused = #expect(throws: StrongroomError.self) {
            try operations.retire(SubjectKeyStore.wrappingKeyID, below: 2, force: false, caller: Self.officer, requestID: "retire")
        }
        #expect(refused?.message.contains("keys rewrap") == true)
        #expect(refused?.message.contains("v1: \(wrappedByV1)") == true)
        // Nothing changed: minimum, key ring on disk, audit log; and force does not override it.
        #expect(keyring.minimumVersion(SubjectKeyStore.wrappingKeyID) == 1)
        #expect(try Keyring.open(fixture.keys.directory).minimumVersion(SubjectKeyStore.wrappingKeyID) == 1)
        #expect(throws: StrongroomError.self) {
            try operations.retire(SubjectKeyStore.wrappingKeyID, below: 2, force: true, caller: Self.officer, requestID: "retire")
        }
        #expect(try fixture.auditEntries().filter { $0.action == "keys.retire" }.count == retiresBefore)

        _ = try await Rewrap(installation: fixture.installation).run(caller: Self.officer, requestID: "rewrap")
        #expect(try store.countsByWrappingVersion().keys.sorted() == [2])
        let retirement = try operations.retire(SubjectKeyStore.wrappingKeyID, below: 2, force: false, caller: Self.officer, requestID: "retire")
        #expect(retirement.previousMinimum == 1 && retirement.minimum == 2)
        #expect(try Keyring.open(fixture.keys.directory).minimumVersion(SubjectKeyStore.wrappingKeyID) == 2)
        let entry = try #require(try fixture.auditEntries().last { $0.action == "keys.retire" })
        #expect(entry.details["key"] == "subjects" && entry.details["minimum_version"] == "2")
        #expect(entry.flags.contains(.keyOperation))

        // A fresh process (nothing cached) still opens everything; version 1 of the wrapping key fails closed.
        let reopened = try Installation(configuration: fixture.configuration, clock: fixture.clock)
        let profile = try await reopened.records.profile(of: alice.accountID, caller: alice.caller, access: fixture.access())
        #expect(profile.fields["name"]?.value == "Alice Example")
        #expect(throws: KeyringError.retiredKeyCode) { try reopened.keyring.key(SubjectKeyStore.wrappingKeyID, version: 1) }
        // New citizens get shredding keys under the current version.
        let bob = try await fixture.citizen("bob@example.org")
        _ = try await fixture.records.updateProfile(["name": .string("Bob Example")], caller: bob.caller, access: fixture.access())
        #expect(try store.countsByWrappingVersion().keys.sorted() == [2])
    }

    @Test("a running process that has not looked at the key ring since the rotation wraps new keys under the current version")
    func staleProcessSeesRotationBeforeWrapping() async throws {
        let fixture = try InstallationFixture()
        // The CLI rotates the wrapping key from another process; this installation's key ring has not refreshed yet.
        let cli = try Keyring.open(fixture.keys.directory)
        #expect(try cli.rotate(SubjectKeyStore.wrappingKeyID) == 2)
        let carol = try await fixture.citizen("carol@example.org")
        _ = try await fixture.records.updateProfile(["name": .string("Carol Example")], caller: carol.caller, access: fixture.access())
        #expect(try fixture.installation.subjectKeys.countsByWrappingVersion().keys.sorted() == [2])
    }

    @Test("only records and subjects versions can be retired")
    func otherKeysRefused() throws {
        let fixture = try InstallationFixture()
        let operations = KeyOperations(keyring: fixture.installation.keyring, database: fixture.installation.database)
        #expect(throws: StrongroomError.self) {
            try operations.retire(.index, below: 1, force: false, caller: Self.officer, requestID: "retire")
        }
    }
}

import Foundation
import Keyring
import Strongroom
import Testing

@Suite("Rotating the key that wraps shredding keys")
struct SubjectKeyRotationTests {
    static let officer = AuthenticatedCaller(
        accountID: "cli:officer", kind: .staff, roles: ["security-officer"], office: nil, subjectID: nil, authStrength: "local")

    @Test("after rotating `subjects`, rewrap moves every shredding key to the new version and all data still opens")
    func rewrapShreddingKeys() async throws {
        let fixture = try InstallationFixture()
        let alice = try await fixture.citizen("alice@example.org")
        _ = try await fixture.records.updateProfile(["name": .string("Alice Example")], caller: alice.caller, access: fixture.access())
        let before = try fixture.installation.subjectKeys.countsByWrappingVersion()
        #expect(before.keys.sorted() == [1])
        let operations = KeyOperations(keyring: fixture.installation.keyring, database: fixture.installation.database)
        #expect(try operations.rotateDataKey(SubjectKeyStore.wrappingKeyID, caller: Self.officer, requestID: "rotate") == 2)
        let report = try await Rewrap(installation: fixture.installation).run(caller: Self.officer, requestID: "rewrap")
        #expect(report.shreddingKeysRewrapped == before.values.reduce(0, +))
        #expect(try fixture.installation.subjectKeys.countsByWrappingVersion().keys.sorted() == [2])
        // A fresh process (no cached keys) still opens everything.
        let reopened = try Installation(configuration: fixture.configuration, clock: fixture.clock)
        let profile = try await reopened.records.profile(of: alice.accountID, caller: alice.caller, access: fixture.access())
        #expect(profile.fields["name"]?.value == "Alice Example")
        #expect(try reopened.subjectKeys.rewrapToCurrentVersion() == 0, "a second run has nothing left to do")
    }
}

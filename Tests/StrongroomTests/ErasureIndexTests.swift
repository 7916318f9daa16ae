import Foundation
import GRDB
import Sealing
import Storage
import Strongroom
import TestSupport
import Testing

/// What an erasure leaves of a person beyond their sealed fields: no blind index that would confirm a guessed
/// identifier, a login index that no longer matches their address, and messages and decision reasons that no copy
/// of the database can open.
@Suite struct ErasureIndexTests {
    static let casework = "case-handling"

    /// Alice and Bob, each with a profile and a benefit application; Alice's is claimed, asked about, answered and
    /// decided, so she has messages and a decision reason too.
    struct World {
        let fixture: InstallationFixture
        let alice: AccountService.Session
        let bob: AccountService.Session
        let aliceRequest: String
        let bobRequest: String
        let caseworker: AuthenticatedCaller
    }

    static func world() async throws -> World {
        let fixture = try InstallationFixture()
        let alice = try await fixture.citizen("alice@example.org")
        let bob = try await fixture.citizen("bob@example.org")
        var ids: [String] = []
        for (session, nationalID) in [(alice, "7654321AB"), (bob, "1234567CD")] {
            _ = try await fixture.records.updateProfile(
                ["name": .string("Person \(nationalID)"), "national_id": .string(nationalID)], caller: session.caller, access: fixture.access())
            var values = ServiceSample.benefit
            values["national_id"] = .string(nationalID)
            ids.append(try await fixture.records.createRequest(
                serviceID: "benefit-application", values: values, submit: true, caller: session.caller, access: fixture.access()).id)
        }
        let caseworker = try await fixture.staff("cw.erasure@agency.example", roles: ["caseworker"], office: "central")
        let casework = fixture.access(purpose: casework)
        _ = try await fixture.records.claim(ids[0], caller: caseworker, access: casework)
        _ = try await fixture.records.requestInformation(ids[0], question: "Which employer, Alice?", caller: caseworker, access: casework)
        _ = try await fixture.records.postMessage(ids[0], body: "Alice's employer is Acme", caller: alice.caller, access: fixture.access())
        _ = try await fixture.records.submitRequest(ids[0], caller: alice.caller, access: fixture.access())
        _ = try await fixture.records.decideRequest(
            ids[0], outcome: .reject, reason: "Alice earns too much", caller: caseworker, access: fixture.access(purpose: Self.casework))
        return World(fixture: fixture, alice: alice, bob: bob, aliceRequest: ids[0], bobRequest: ids[1], caseworker: caseworker)
    }

    /// Blind index rows of the records (profile, requests, messages, decisions) that belong to `subjectID`.
    static func indexRows(of subjectID: String, in fixture: InstallationFixture) async throws -> Int {
        try await fixture.installation.database.read { db in
            try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM blind_indexes b WHERE
                  b.record_id IN (SELECT id FROM accounts WHERE subject_id = ?1)
                  OR b.record_id IN (SELECT id FROM requests WHERE subject_id = ?1)
                  OR b.record_id IN (SELECT m.id FROM messages m JOIN requests r ON r.id = m.request_id WHERE r.subject_id = ?1)
                """, arguments: [subjectID]) ?? -1
        }
    }

    @Test func erasureRemovesBlindIndexesAndReplacesTheLoginIndex() async throws {
        let world = try await Self.world()
        let fixture = world.fixture
        let alice = try #require(world.alice.caller.subjectID), bob = try #require(world.bob.caller.subjectID)
        let aliceIndexes = try await Self.indexRows(of: alice, in: fixture), bobIndexes = try await Self.indexRows(of: bob, in: fixture)
        #expect(aliceIndexes >= 1 && bobIndexes == aliceIndexes, "national_id is indexed in the request")
        let casework = fixture.access(purpose: Self.casework)
        #expect(try await fixture.records.search(field: "national_id", value: "7654321AB", caller: world.caseworker, access: casework).map(\.id) == [world.aliceRequest])
        let loginIndex: (String) async throws -> Data? = { id in
            try await fixture.installation.database.read { db in try Data.fetchOne(db, sql: "SELECT login_index FROM accounts WHERE id = ?", arguments: [id]) }
        }
        let before = try #require(try await loginIndex(world.alice.accountID))

        _ = try await fixture.records.erase(
            subjectID: alice, basis: "GDPR art. 17 test", by: .system("officer"), access: fixture.access(purpose: "legal-obligation"),
            signReceipt: false)

        #expect(try await Self.indexRows(of: alice, in: fixture) == 0, "no index of Alice's values is left")
        #expect(try await Self.indexRows(of: bob, in: fixture) == bobIndexes, "Bob's are untouched")
        #expect(try await fixture.records.search(field: "national_id", value: "7654321AB", caller: world.caseworker, access: casework).isEmpty)
        #expect(try await fixture.records.search(field: "national_id", value: "1234567CD", caller: world.caseworker, access: casework).map(\.id) == [world.bobRequest])

        // The old login index is replaced by random bytes: the address is free again, and the new account's index
        // (the real one) differs from what the erased row holds.
        let after = try #require(try await loginIndex(world.alice.accountID))
        #expect(after != before && after.count >= 16)
        try await fixture.accounts.signUp(login: "alice@example.org", password: "a new long password here", context: fixture.access())
        let again = try await fixture.accounts.logIn(
            login: "alice@example.org", password: "a new long password here", address: "198.51.100.3", context: fixture.access())
        #expect(again.accountID != world.alice.accountID)
        #expect(try await loginIndex(again.accountID) == before, "the real index is the one the erased row no longer has")
    }

    @Test func messagesAndDecisionReasonsOfAnErasedPersonCannotBeOpenedInAnyCopy() async throws {
        let world = try await Self.world()
        let fixture = world.fixture
        let alice = try #require(world.alice.caller.subjectID)
        let casework = fixture.access(purpose: Self.casework)
        let thread = try await fixture.records.messages(world.aliceRequest, caller: world.caseworker, access: casework)
        #expect(thread.compactMap(\.body).contains("Alice's employer is Acme"))
        #expect(try await fixture.records.request(world.aliceRequest, caller: world.alice.caller, access: fixture.access()).decisionReason == "Alice earns too much")
        try fixture.installation.database.checkpoint()
        let backup = TemporaryDirectory(prefix: "strongroom-backup")
        try FileManager.default.copyItem(atPath: fixture.installation.database.path, toPath: backup.appending("strongroom.sqlite"))

        _ = try await fixture.records.erase(
            subjectID: alice, basis: "GDPR art. 17 test", by: .system("officer"), access: fixture.access(purpose: "legal-obligation"),
            signReceipt: false)

        // Live: the thread keeps its shape, but no body opens; the decision reason is gone.
        let after = try await fixture.records.messages(world.aliceRequest, caller: world.caseworker, access: casework)
        #expect(after.count == thread.count && after.allSatisfy { $0.body == nil }, "\(after.map(\.body))")
        #expect(try await fixture.records.request(world.aliceRequest, caller: world.caseworker, access: casework).decisionReason == nil)
        let live = try await fixture.installation.database.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sealed_fields WHERE collection IN ('messages', 'decisions') AND subject_id = ?", arguments: [alice])
        }
        #expect(live == 0)

        // The backup: the envelopes are there, and none opens.
        let copy = try DatabaseQueue(path: backup.appending("strongroom.sqlite"))
        let rows = try await copy.read { db in
            try Row.fetchAll(db, sql: """
                SELECT collection, record_id, field, envelope FROM sealed_fields WHERE collection IN ('messages', 'decisions') AND subject_id = ?
                """, arguments: [alice])
        }
        #expect(Set(rows.map { $0["collection"] as String }) == ["messages", "decisions"], "the backup holds both kinds")
        #expect(rows.count >= 3, "the question, the answer and the reason")
        for row in rows {
            let place = FieldPlace(collection: row["collection"], recordID: row["record_id"], field: row["field"])
            #expect(throws: SealingError.self) { try fixture.installation.sealer.open([UInt8](row["envelope"] as Data), at: place) }
        }
    }
}

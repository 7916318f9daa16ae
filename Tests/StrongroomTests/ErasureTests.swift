import AuditLog
import Foundation
import GRDB
import Sealing
import Storage
import Strongroom
import TestSupport
import Testing

@Suite("Crypto-shredding: erasure and retention")
struct ErasureTests {
    /// Alice and Bob each with a profile and a benefit application.
    static func world() async throws -> (InstallationFixture, alice: AccountService.Session, bob: AccountService.Session) {
        let fixture = try InstallationFixture()
        let alice = try await fixture.citizen("alice@example.org")
        let bob = try await fixture.citizen("bob@example.org")
        for (session, marker) in [(alice, "AliceCanary"), (bob, "BobCanary")] {
            _ = try await fixture.records.updateProfile(
                ["name": .string("\(marker) Person"), "national_id": .string("1234567TW")], caller: session.caller, access: fixture.access())
            _ = try await fixture.records.createRequest(
                serviceID: "benefit-application", values: SampleRequests.values(for: "benefit-application", marker: marker)!, submit: true,
                caller: session.caller, access: fixture.access())
        }
        return (fixture, alice, bob)
    }

    @Test("a copy of the database taken before an erasure cannot reveal that subject's fields; others still open")
    func backupCopyBecomesUnreadable() async throws {
        let (fixture, alice, bob) = try await Self.world()
        try fixture.installation.database.checkpoint()
        let backup = TemporaryDirectory(prefix: "strongroom-backup")
        try FileManager.default.copyItem(atPath: fixture.installation.database.path, toPath: backup.appending("strongroom.sqlite"))

        let receipt = try await fixture.records.erase(
            subjectID: try #require(alice.caller.subjectID), basis: "GDPR art. 17 test", by: .system("officer"),
            access: fixture.access(purpose: "legal-obligation"), signReceipt: true)
        #expect(receipt.keysDestroyed >= 2)
        #expect(receipt.fieldsRemoved > 0)

        let copy = try DatabaseQueue(path: backup.appending("strongroom.sqlite"))
        let rows = try copy.read { db in
            try Row.fetchAll(db, sql: "SELECT collection, record_id, field, envelope, subject_id FROM sealed_fields")
        }
        var aliceOpened = 0, aliceRefused = 0, bobOpened = 0
        for row in rows {
            let place = FieldPlace(collection: row["collection"], recordID: row["record_id"], field: row["field"])
            let subject: String? = row["subject_id"]
            do {
                _ = try fixture.installation.sealer.open([UInt8](row["envelope"] as Data), at: place)
                if subject == alice.caller.subjectID { aliceOpened += 1 }
                if subject == bob.caller.subjectID { bobOpened += 1 }
            } catch let error as SealingError {
                #expect(error == .keyUnavailableCode)
                if subject == alice.caller.subjectID { aliceRefused += 1 }
            }
        }
        #expect(aliceOpened == 0)
        #expect(aliceRefused > 5, "the backup held Alice's login, profile and request fields")
        #expect(bobOpened > 5)
    }

    @Test("after erasure: no sealed fields, the account cannot sign in, metadata and a verifiable log remain")
    func erasureEffects() async throws {
        let (fixture, alice, bob) = try await Self.world()
        let subject = try #require(alice.caller.subjectID)
        let requestsBefore = try fixture.count("requests")
        let receipt = try await fixture.records.erase(
            subjectID: subject, basis: "GDPR art. 17 test", by: .system("officer"), access: fixture.access(purpose: "legal-obligation"),
            signReceipt: true)
        let remaining = try await fixture.installation.database.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sealed_fields WHERE subject_id = ?", arguments: [subject])
        }
        #expect(remaining == 0)
        #expect(try fixture.count("requests") == requestsBefore, "non-personal metadata stays for statistics")
        let signIn = await strongroomError {
            try await fixture.accounts.logIn(login: "alice@example.org", password: "correct horse battery staple", address: "198.51.100.3", context: fixture.access())
        }
        #expect(signIn?.code == "bad_credentials")
        let session = await strongroomError { try await fixture.accounts.authenticate(token: alice.token) }
        #expect(session?.kind == .unauthenticated)
        // Bob is untouched.
        let bobProfile = try await fixture.records.profile(of: bob.accountID, caller: bob.caller, access: fixture.access())
        #expect(bobProfile.fields["name"]?.value == "BobCanary Person")
        // The receipt is in the log, flagged, and a signed checkpoint covers it; the log still verifies.
        let entries = try fixture.auditEntries()
        let entry = try #require(entries.first { $0.seq == receipt.auditSeq })
        #expect(entry.flags.contains(.erasureReceipt))
        #expect(entry.action == "subject.erase")
        let checkpoint = try #require(try await fixture.installation.database.read { db in try fixture.installation.auditStore.latestCheckpoint(in: db) })
        #expect(checkpoint.checkpoint.size == receipt.auditSeq + 1)
        #expect(receipt.coverage == .signed(treeSize: checkpoint.checkpoint.size))
        let report = AuditVerifier(trustedKeys: [fixture.installation.checkpointSigner.verifierKey]).verify(fixture.installation.auditStore)
        #expect(report.isValid, "\(report.render())")
        #expect(!entries.map(\.jsonLine).joined().contains("AliceCanary"))
    }

    @Test("a citizen's erasure request waits for the grace period, then the sweep carries it out")
    func erasureRequestWithGracePeriod() async throws {
        let (fixture, alice, _) = try await Self.world()
        let effective = try await fixture.records.requestErasure(caller: alice.caller, access: fixture.access(purpose: "citizen-self-service"))
        #expect(effective.timeIntervalSince(fixture.clock.now) > 29 * 86_400)
        _ = try await fixture.records.runRetention(signReceipt: true)
        let profile = try await fixture.records.profile(of: alice.accountID, caller: alice.caller, access: fixture.access())
        #expect(profile.fields["name"]?.value == "AliceCanary Person", "nothing happens before the grace period ends")
        fixture.clock.advance(by: 31 * 86_400)
        let receipts = try await fixture.records.runRetention(signReceipt: true)
        #expect(receipts.contains { $0.subjectID == alice.caller.subjectID })
        let remaining = try await fixture.installation.database.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sealed_fields WHERE subject_id = ?", arguments: [alice.caller.subjectID])
        }
        #expect(remaining == 0)
    }

    @Test("the retention sweep shreds request fields whose retention ended and leaves the rest")
    func retentionSweep() async throws {
        let (fixture, alice, _) = try await Self.world()
        let requests = try await fixture.records.ownRequests(caller: alice.caller, access: fixture.access())
        let id = try #require(requests.first?.id)
        let service = try #require(fixture.installation.catalog.service("benefit-application"))
        fixture.clock.advance(by: Double(service.retention.approximateDays + 62) * 86_400)
        let receipts = try await fixture.records.runRetention(signReceipt: true)
        #expect((receipts.first?.keysDestroyed ?? 0) >= 2, "one retention-month key per citizen")
        let view = try await fixture.records.request(id, caller: alice.caller, access: fixture.access())
        #expect(view.record.fields.isEmpty)
        #expect(view.serviceID == "benefit-application", "metadata remains")
        let profile = try await fixture.records.profile(of: alice.accountID, caller: alice.caller, access: fixture.access())
        #expect(profile.fields["name"]?.value == "AliceCanary Person", "profile data is not under a retention key")
        let sweep = try fixture.auditEntries().last { $0.action == "retention.sweep" }
        #expect(sweep?.flags.contains(.erasureReceipt) == true)
    }

    @Test("erasing an unknown subject changes nothing")
    func unknownSubject() async throws {
        let fixture = try InstallationFixture()
        let before = try fixture.auditEntries().count
        let error = await strongroomError {
            try await fixture.records.erase(subjectID: "sub_nope", basis: "x", by: .system(), access: fixture.access(), signReceipt: false)
        }
        #expect(error?.kind == .notFound)
        #expect(try fixture.auditEntries().count == before)
    }
}

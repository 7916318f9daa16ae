import AuditLog
import Foundation
import GRDB
@testable import Sealing
import Sodium
@testable import Strongroom
import Synchronization
import TestSupport
import Testing

/// Erasure is final: in every process, for every later write, and even when it stops half way (issue 14, item 2).
@Suite("Erasure is final")
struct ErasureFinalityTests {
    static let casework = "case-handling"

    /// The envelope and place of one of the subject's sealed fields, as stored now.
    static func anEnvelope(of subjectID: String, in fixture: InstallationFixture) async throws -> (envelope: [UInt8], place: FieldPlace) {
        let found = try await fixture.installation.database.read { db -> (envelope: [UInt8], place: FieldPlace)? in
            try Row.fetchOne(
                db, sql: "SELECT collection, record_id, field, envelope FROM sealed_fields WHERE subject_id = ? ORDER BY collection LIMIT 1",
                arguments: [subjectID]
            ).map { row in
                ([UInt8](row["envelope"] as Data), FieldPlace(collection: row["collection"], recordID: row["record_id"], field: row["field"]))
            }
        }
        return try #require(found)
    }

    /// A citizen's benefit application, claimed by the caseworker Carol (in review).
    static func requestInReview() async throws -> (InstallationFixture, subject: String, carol: AuthenticatedCaller, request: RequestView) {
        let fixture = try InstallationFixture()
        let citizen = try await fixture.citizen("aoife@example.ie").caller
        let carol = try await fixture.staff("carol@agency.example", roles: ["caseworker"], office: fixture.configuration.defaultOffice)
        let request = try await fixture.records.createRequest(
            serviceID: "benefit-application", values: ServiceSample.benefit, submit: true, caller: citizen, access: fixture.access())
        _ = try await fixture.records.claim(request.id, caller: carol, access: fixture.access(purpose: casework))
        return (fixture, try #require(citizen.subjectID), carol, request)
    }

    @Test("a running server stops opening and sealing with an erased subject's keys within a second of the CLI's erasure")
    func otherProcessErasure() async throws {
        let (fixture, alice, bob) = try await ErasureTests.world()
        let subject = try #require(alice.caller.subjectID)
        let server = fixture.installation
        let (envelope, place) = try await Self.anEnvelope(of: subject, in: fixture)
        let (bobEnvelope, bobPlace) = try await Self.anEnvelope(of: try #require(bob.caller.subjectID), in: fixture)
        // The server has the keys cached (subject key and derived field key).
        #expect(try server.sealer.open(envelope, at: place).isEmpty == false)
        let retention = try server.subjectKeys.keyID(subject: subject, scope: "until:2099-01")

        // `strongroom subjects erase` is another process with its own store, sealer and caches over the same files.
        let cli = try Installation(configuration: fixture.configuration, clock: fixture.clock)
        let before = try server.subjectKeys.generation()
        let receipt = try await cli.records.erase(
            subjectID: subject, basis: "GDPR art. 17 test", by: .system("officer"), access: fixture.access(purpose: "legal-obligation"))
        #expect(receipt.keysDestroyed >= 3)
        #expect(try server.subjectKeys.generation() > before)

        try await Task.sleep(for: SubjectKeyStore.generationCheckInterval + .milliseconds(100))
        #expect(throws: SealingError.keyUnavailableCode) { try server.sealer.open(envelope, at: place) }
        #expect(throws: SealingError.keyUnavailableCode) {
            try server.sealer.seal(Array("new".utf8), for: place, subjectKeyID: retention)
        }
        #expect(throws: StrongroomError.subjectErased) { try server.subjectKeys.keyID(subject: subject, scope: "subject") }
        #expect(throws: StrongroomError.subjectErased) { try server.subjectKeys.keyID(subject: subject, scope: "until:2099-01") }
        // Bob is untouched in the server, and no field key derived from Alice's keys is left in its memory.
        #expect(try server.sealer.open(bobEnvelope, at: bobPlace).isEmpty == false)
        #expect(server.sealer.cachedFieldKeyCount == 1, "only Bob's, derived again after the caches were cleared")
    }

    @Test("a key read that races with its destruction is not cached again (the read finishes, the next one is refused)")
    func rereadRaceIsClosed() async throws {
        let fixture = try InstallationFixture()
        let alice = try await fixture.citizen("alice@example.org")
        let subject = try #require(alice.caller.subjectID)
        // A store with empty caches, so the next read goes to the file.
        let store = try #require(try SubjectKeyStore.existing(in: fixture.keys.directory, keyring: fixture.installation.keyring))
        let id = try store.keyID(subject: subject, scope: "subject")
        let fired = Atomic<Bool>(false)
        store.afterKeyRead.withLock { hook in
            hook = {
                // Between the read of the key row and its caching, the key is destroyed (here: in this process).
                guard !fired.exchange(true, ordering: .relaxed) else { return }
                _ = try? store.destroyAll(subject: subject)
            }
        }
        _ = try store.subjectKey(id: id)  // read before the destruction: this one call may still use it
        let didFire = fired.load(ordering: .relaxed)
        #expect(didFire)
        #expect(throws: StrongroomError(.notFound, code: "shredded", message: "")) { try store.subjectKey(id: id) }
    }

    @Test("readers racing with destructions never keep a destroyed key (many subjects, concurrent readers)")
    func concurrentReadersAndDestruction() async throws {
        let fixture = try InstallationFixture()
        let store = fixture.installation.subjectKeys
        let subjects = (0..<64).map { "sub_race\($0)" }
        let ids = try subjects.map { try store.keyID(subject: $0, scope: "subject") }
        for (subject, id) in zip(subjects, ids) {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        for _ in 0..<50 { _ = try? store.subjectKey(id: id) }
                    }
                }
                group.addTask {
                    await Task.yield()
                    _ = try? store.destroyAll(subject: subject)
                }
            }
            #expect(throws: (any Error).self) { try store.subjectKey(id: id) }
        }
    }

    @Test("after erasure a caseworker's message, request for information and decision reason are refused, audited, and write nothing")
    func noNewPersonalDataForAnErasedSubject() async throws {
        let (fixture, subject, carol, request) = try await Self.requestInReview()
        _ = try await fixture.records.erase(
            subjectID: subject, basis: "GDPR art. 17 test", by: .system("officer"), access: fixture.access(purpose: "legal-obligation"))
        let keysBefore = try fixture.installation.subjectKeys.count()
        let counts = try fixture.recordState()
        let messages = try fixture.count("messages")
        let entries = try fixture.auditEntries().count

        let message = await strongroomError {
            try await fixture.records.postMessage(request.id, body: "Any news?", caller: carol, access: fixture.access(purpose: Self.casework))
        }
        let question = await strongroomError {
            try await fixture.records.requestInformation(
                request.id, question: "Which employer?", caller: carol, access: fixture.access(purpose: Self.casework))
        }
        let decision = await strongroomError {
            try await fixture.records.decideRequest(
                request.id, outcome: .reject, reason: "Not eligible.", caller: carol, access: fixture.access(purpose: Self.casework))
        }
        for error in [message, question, decision] {
            #expect(error == StrongroomError.subjectErased)
            #expect(error?.kind == .conflict)
        }
        #expect(try fixture.recordState() == counts, "no sealed field, open field, index or row was written")
        #expect(try fixture.count("messages") == messages)
        #expect(try fixture.installation.subjectKeys.count() == keysBefore, "no key was made for the erased person")
        let refusals = try fixture.auditEntries(after: entries)
        #expect(refusals.map(\.action) == ["message.create", "case.request-info", "case.decide"])
        for entry in refusals {
            #expect(entry.decision.effect == .deny)
            #expect(entry.details["reason"] == "subject-erased")
        }
        let view = try await fixture.records.request(request.id, caller: carol, access: fixture.access(purpose: Self.casework))
        #expect(view.status == "in-review", "the refused decision changed nothing")
    }

    @Test("once an erasure's intent committed, nothing new is stored about the person, even with their keys still cached")
    func intentRefusesNewDataBeforeKeysAreDestroyed() async throws {
        let (fixture, subject, carol, request) = try await Self.requestInReview()
        _ = try await fixture.records.postMessage(request.id, body: "We are on it.", caller: carol, access: fixture.access(purpose: Self.casework))
        // The erasure stops after its intent: the keys exist, and this process has them cached.
        fixture.records.erasureFault.withLock { $0 = .afterIntent }
        await #expect(throws: InjectedErasureFailure.self) {
            try await fixture.records.erase(subjectID: subject, basis: "GDPR art. 17 test", by: .system("officer"), access: fixture.access(purpose: "legal-obligation"))
        }
        fixture.records.erasureFault.withLock { $0 = nil }
        #expect(try fixture.installation.subjectKeys.erasedAt(subject: subject) == nil)
        let counts = try fixture.recordState()
        let messages = try fixture.count("messages")
        let message = await strongroomError {
            try await fixture.records.postMessage(request.id, body: "Any news?", caller: carol, access: fixture.access(purpose: Self.casework))
        }
        let decision = await strongroomError {
            try await fixture.records.decideRequest(
                request.id, outcome: .approve, reason: "Eligible.", caller: carol, access: fixture.access(purpose: Self.casework))
        }
        #expect(message == StrongroomError.subjectErased)
        #expect(decision == StrongroomError.subjectErased)
        #expect(try fixture.recordState() == counts)
        #expect(try fixture.count("messages") == messages)
        // The sweep completes the erasure.
        let receipts = try await fixture.records.runRetention(signReceipt: false)
        #expect(receipts.contains { $0.subjectID == subject && $0.keysDestroyed >= 1 })
        #expect(try fixture.installation.subjectKeys.erasedAt(subject: subject) != nil)
    }

    @Test("erasure removes the public field values of the subject's requests too; others keep theirs")
    func openFieldsAreRemoved() async throws {
        let fixture = try InstallationFixture()
        let alice = try await fixture.citizen("alice@example.org").caller
        let bob = try await fixture.citizen("bob@example.org").caller
        var requests: [String: String] = [:]
        for (name, caller) in [("alice", alice), ("bob", bob)] {
            requests[name] = try await fixture.records.createRequest(
                serviceID: "class-registration", values: ServiceSample.classRegistration, submit: true, caller: caller,
                access: fixture.access()).id
        }
        func openValues(_ id: String?) async throws -> Int {
            try await fixture.installation.database.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM open_fields WHERE record_id = ?", arguments: [id]) ?? 0
            }
        }
        #expect(try await openValues(requests["alice"]) > 0, "class_choice is a public field")
        let receipt = try await fixture.records.erase(
            subjectID: try #require(alice.subjectID), basis: "GDPR art. 17 test", by: .system("officer"),
            access: fixture.access(purpose: "legal-obligation"))
        #expect(receipt.openFieldsRemoved > 0)
        #expect(try await openValues(requests["alice"]) == 0)
        #expect(try await openValues(requests["bob"]) > 0)
        // The request row was rewritten with its field revisions cleared and a fresh MAC: it still verifies.
        let officer = try await fixture.staff("olga@agency.example", roles: ["caseworker"], office: fixture.configuration.defaultOffice)
        let view = try await fixture.records.request(try #require(requests["alice"]), caller: officer, access: fixture.access(purpose: Self.casework))
        #expect(view.record.fields.isEmpty)
        #expect(view.serviceID == "class-registration")
        #expect(!fixture.logs.all.contains { $0.contains("integrity alarm") })
    }

    @Test("a database failure after the keys are destroyed leaves a disabled account without sessions, and the sweep completes it")
    func interruptedErasureIsCompletedByTheSweep() async throws {
        let (fixture, alice, bob) = try await ErasureTests.world()
        let subject = try #require(alice.caller.subjectID)
        fixture.records.erasureFault.withLock { $0 = .afterKeysDestroyed }
        await #expect(throws: InjectedErasureFailure.self) {
            try await fixture.records.erase(
                subjectID: subject, basis: "GDPR art. 17 test", by: .system("officer"), access: fixture.access(purpose: "legal-obligation"))
        }
        fixture.records.erasureFault.withLock { $0 = nil }

        // Keys gone and tombstoned; the account cannot be used; the rest is waiting to be completed.
        #expect(try fixture.installation.subjectKeys.erasedAt(subject: subject) != nil)
        #expect(throws: StrongroomError.subjectErased) { try fixture.installation.subjectKeys.keyID(subject: subject, scope: "subject") }
        let state = try await fixture.installation.database.read { db in
            (
                status: try String.fetchOne(db, sql: "SELECT status FROM accounts WHERE id = ?", arguments: [alice.accountID]),
                sessions: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sessions WHERE account_id = ?", arguments: [alice.accountID]) ?? -1,
                sealed: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sealed_fields WHERE subject_id = ?", arguments: [subject]) ?? -1,
                completed: try Bool.fetchOne(db, sql: "SELECT completed_at IS NOT NULL FROM erasure_requests WHERE subject_id = ?", arguments: [subject]),
                due: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM erasure_requests WHERE subject_id = ? AND effective_at <= ?",
                                      arguments: [subject, fixture.clock.now.millis]) ?? -1)
        }
        #expect(state.status == "disabled")
        #expect(state.sessions == 0)
        #expect(state.sealed > 0, "the failed transaction removed nothing")
        #expect(state.completed == false)
        #expect(state.due == 1)
        let signIn = await strongroomError {
            try await fixture.accounts.logIn(login: "alice@example.org", password: "correct horse battery staple", address: "198.51.100.3", context: fixture.access())
        }
        #expect(signIn?.code == "bad_credentials")
        let session = await strongroomError { try await fixture.accounts.authenticate(token: alice.token) }
        #expect(session?.kind == .unauthenticated)
        #expect(fixture.auditActions().contains("subject.erase-start"))
        #expect(!fixture.auditActions().contains("subject.erase"))

        // The next sweep (no grace period: an officer's erasure is due at once) completes it.
        let receipts = try await fixture.records.runRetention(signReceipt: true)
        let completion = try #require(receipts.first { $0.subjectID == subject })
        // The sweep's own part removes the fields of the keys the erasure destroyed (they were listed as unswept), the
        // erasure's completion whatever else was bound to the subject: together, everything.
        #expect(receipts.map(\.fieldsRemoved).reduce(0, +) == state.sealed)
        let after = try await fixture.installation.database.read { db in
            (
                sealed: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sealed_fields WHERE subject_id = ?", arguments: [subject]) ?? -1,
                completed: try Bool.fetchOne(db, sql: "SELECT completed_at IS NOT NULL FROM erasure_requests WHERE subject_id = ?", arguments: [subject]))
        }
        #expect(after.sealed == 0)
        #expect(after.completed == true)
        let entry = try #require(try fixture.auditEntries().first { $0.seq == completion.auditSeq })
        #expect(entry.action == "subject.erase" && entry.details["resumed"] == "true" && entry.details["basis"] == "GDPR art. 17 test")
        // Nothing more is due; Bob still reads his profile.
        #expect(try await fixture.records.runRetention(signReceipt: false).count == 1)
        let profile = try await fixture.records.profile(of: bob.accountID, caller: bob.caller, access: fixture.access())
        #expect(profile.fields["name"]?.value == "BobCanary Person")
    }

    @Test("a retention sweep whose database write failed after destroying keys is completed by the next sweep")
    func interruptedSweepIsCompleted() async throws {
        let (fixture, alice, _) = try await ErasureTests.world()
        let id = try #require(try await fixture.records.ownRequests(caller: alice.caller, access: fixture.access()).first?.id)
        let service = try #require(fixture.installation.catalog.service("benefit-application"))
        fixture.clock.advance(by: Double(service.retention.approximateDays + 62) * 86_400)
        func requestFields() async throws -> Int {
            try await fixture.installation.database.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sealed_fields WHERE collection = 'requests' AND record_id = ?", arguments: [id]) ?? -1
            }
        }
        let before = try await requestFields()
        fixture.records.erasureFault.withLock { $0 = .sweepAfterKeysDestroyed }
        await #expect(throws: InjectedErasureFailure.self) { try await fixture.records.runRetention(signReceipt: false) }
        fixture.records.erasureFault.withLock { $0 = nil }
        #expect(try await requestFields() == before, "the failed transaction removed nothing")
        #expect(try fixture.installation.subjectKeys.unsweptKeys().count >= 2)

        let receipts = try await fixture.records.runRetention(signReceipt: true)
        let sweep = try #require(receipts.first)
        #expect(sweep.keysDestroyed == 0, "the first sweep destroyed them")
        #expect(sweep.fieldsRemoved >= before)
        #expect(try await requestFields() == 0)
        #expect(try fixture.installation.subjectKeys.unsweptKeys().isEmpty)
        if case .unsigned = sweep.coverage { Issue.record("the completing sweep removed fields; a checkpoint covers its receipt") }
    }

    @Test("running the erasure again completes one that failed after its keys were destroyed")
    func interruptedErasureIsCompletedByARerun() async throws {
        let (fixture, alice, _) = try await ErasureTests.world()
        let subject = try #require(alice.caller.subjectID)
        fixture.records.erasureFault.withLock { $0 = .afterKeysDestroyed }
        _ = try? await fixture.records.erase(subjectID: subject, basis: "order 1", by: .system("officer"), access: fixture.access(purpose: "legal-obligation"))
        fixture.records.erasureFault.withLock { $0 = nil }
        let receipt = try await fixture.records.erase(
            subjectID: subject, basis: "order 1", by: .system("officer"), access: fixture.access(purpose: "legal-obligation"))
        #expect(receipt.keysDestroyed == 0, "the first run destroyed them")
        #expect(receipt.fieldsRemoved > 0)
        let remaining = try await fixture.installation.database.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sealed_fields WHERE subject_id = ?", arguments: [subject])
        }
        #expect(remaining == 0)
    }

    @Test("the receipt names the signed checkpoint that covers it, or says that none does yet")
    func receiptTellsTheTruthAboutItsCheckpoint() async throws {
        let (fixture, alice, _) = try await ErasureTests.world()
        let signed = try await fixture.records.erase(
            subjectID: try #require(alice.caller.subjectID), basis: "GDPR art. 17 test", by: .system("officer"),
            access: fixture.access(purpose: "legal-obligation"))
        #expect(signed.coverage == .signed(treeSize: signed.auditSeq + 1))

        // A process that does not hold the audit signing key in force signs nothing, and the receipt says so: here
        // the log hands over to a key whose private half is nowhere (neither installed nor staged).
        let lone = try InstallationFixture()
        let carl = try await lone.citizen("carl@example.org")
        let name = lone.installation.configuration.auditKeyName
        let current = try AuditCheckpointSigner(name: name, keyPair: try lone.installation.keyring.auditSigningKeyPair())
        let elsewhere = try AuditCheckpointSigner(name: name, keyPair: try Ed25519.KeyPair.generate())
        let handover = AuditKeyHandover.draft(
            from: current, to: elsewhere.verifierKey, actor: AuditActor(id: "cli", role: "security-officer"), requestID: "handover")
        try await lone.installation.writer.write { db in _ = try lone.installation.auditStore.append(handover, in: db) }
        let unsigned = try await lone.records.erase(
            subjectID: try #require(carl.caller.subjectID), basis: "GDPR art. 17 test", by: .system("officer"),
            access: lone.access(purpose: "legal-obligation"))
        guard case .unsigned(let reason) = unsigned.coverage else {
            Issue.record("expected no signed checkpoint, got \(unsigned.coverage)")
            return
        }
        #expect(reason.contains("signing key"))
        let latest = try await lone.installation.database.read { db in try lone.installation.auditStore.latestCheckpoint(in: db) }
        #expect((latest?.checkpoint.size ?? 0) <= unsigned.auditSeq)
    }
}

extension InstallationFixture {
    /// The actions of every audit entry, oldest first.
    func auditActions() -> [String] { ((try? auditEntries()) ?? []).map(\.action) }
}

import AuditLog
import Catalog
import Strongroom
import Testing

/// Who may not touch a case, and what a refusal leaves behind: nothing changed, the deny in the audit log.
@Suite struct CaseworkAccessTests {
    static let casework = "case-handling"

    /// A submitted benefit application (with a EUR 5.00 fee) and the staff around it.
    struct Scene {
        let fixture: InstallationFixture
        let provider: RecordingPaymentProvider
        let catalog: FeeCatalog
        let citizen: AuthenticatedCaller
        let request: RequestView
        let carol: AuthenticatedCaller

        init() async throws {
            catalog = try FeeCatalog()
            provider = try RecordingPaymentProvider()
            fixture = try InstallationFixture(paymentProvider: provider) { [path = catalog.path] in $0.catalogDirectory = path }
            citizen = try await fixture.citizen("aoife@example.ie").caller
            request = try await fixture.records.createRequest(
                serviceID: "benefit-application", values: ServiceSample.benefit, submit: true, caller: citizen, access: fixture.access())
            carol = try await fixture.staff("carol@agency.example", roles: ["caseworker"], office: fixture.configuration.defaultOffice)
        }

        func staff(_ login: String, _ role: String, office: String? = nil) async throws -> AuthenticatedCaller {
            try await fixture.staff(login, roles: [role], office: office ?? fixture.configuration.defaultOffice)
        }

        /// Runs a refused call and checks: the error, nothing changed in the records, one new deny entry by `actor`.
        func expectRefused(
            _ code: String, by actor: AuthenticatedCaller, action: String, sourceLocation: Testing.SourceLocation = #_sourceLocation,
            _ body: () async throws -> some Any
        ) async throws {
            let counts = try fixture.recordState()
            let row = try await fixture.installation.database.read { db in
                try String.fetchOne(db, sql: "SELECT status || '/' || ifnull(assignee_id, '-') || '/' || updated_at FROM requests WHERE id = ?", arguments: [request.id])
            }
            let before = try fixture.auditEntries().count
            let error = await strongroomError(sourceLocation: sourceLocation, body)
            #expect(error?.code == code, sourceLocation: sourceLocation)
            let after = try fixture.recordState()
            #expect(after == counts, "a refusal changes no record: \(after.changedTables(since: counts))", sourceLocation: sourceLocation)
            let rowAfter = try await fixture.installation.database.read { db in
                try String.fetchOne(db, sql: "SELECT status || '/' || ifnull(assignee_id, '-') || '/' || updated_at FROM requests WHERE id = ?", arguments: [request.id])
            }
            #expect(rowAfter == row, sourceLocation: sourceLocation)
            let added = try fixture.auditEntries(after: before)
            #expect(added.contains { $0.actor.id == actor.accountID && $0.action == action && $0.decision.effect == .deny },
                    "the refusal is audited as a deny", sourceLocation: sourceLocation)
            for entry in added {
                for value in ["Aoife Byrne", "1234567AB", "IE29AIBK93115212345678"] {
                    #expect(!entry.canonicalText.contains(value), sourceLocation: sourceLocation)
                }
            }
        }
    }

    @Test func aCaseworkerOfAnotherOfficeSeesNothing() async throws {
        let scene = try await Scene()
        let dave = try await scene.staff("dave@agency.example", "caseworker", office: "north")
        let records = scene.fixture.records
        try await scene.expectRefused("not_found", by: dave, action: "request.read") {
            try await records.request(scene.request.id, caller: dave, access: scene.fixture.access(purpose: Self.casework))
        }
        try await scene.expectRefused("not_found", by: dave, action: "case.claim") {
            try await records.claim(scene.request.id, caller: dave, access: scene.fixture.access(purpose: Self.casework))
        }
        try await scene.expectRefused("not_found", by: dave, action: "message.read") {
            try await records.messages(scene.request.id, caller: dave, access: scene.fixture.access(purpose: Self.casework))
        }
        // Their own office's queue is empty; the other office's queue is refused.
        let own = try await records.queue(CaseQueueFilter(), caller: dave, access: scene.fixture.access(purpose: Self.casework))
        #expect(own.isEmpty)
        try await scene.expectRefused("forbidden", by: dave, action: "case.queue") {
            try await records.queue(
                CaseQueueFilter(office: scene.fixture.configuration.defaultOffice), caller: dave, access: scene.fixture.access(purpose: Self.casework))
        }
        // A search by national id finds nothing they may see.
        let hits = try await records.search(field: "national_id", value: "1234567AB", caller: dave, access: scene.fixture.access(purpose: Self.casework))
        #expect(hits.isEmpty)
    }

    @Test func aCaseworkerWithoutAPurposeIsToldToDeclareOne() async throws {
        let scene = try await Scene()
        let records = scene.fixture.records
        try await scene.expectRefused("purpose_required", by: scene.carol, action: "request.read") {
            try await records.request(scene.request.id, caller: scene.carol, access: scene.fixture.access())
        }
        try await scene.expectRefused("purpose_required", by: scene.carol, action: "case.claim") {
            try await records.claim(scene.request.id, caller: scene.carol, access: scene.fixture.access(purpose: "supervision"))
        }
        try await scene.expectRefused("purpose_required", by: scene.carol, action: "request.search") {
            try await records.search(field: "national_id", value: "1234567AB", caller: scene.carol, access: scene.fixture.access())
        }
    }

    @Test(arguments: ["auditor", "security-officer", "administrator"])
    func oversightRolesNeverReadRequestPlaintext(role: String) async throws {
        let scene = try await Scene()
        let official = try await scene.staff("\(role)@agency.example", role)
        let records = scene.fixture.records
        for purpose in [nil, "audit", "security-operations", "administration", Self.casework] {
            try await scene.expectRefused("not_found", by: official, action: "request.read") {
                try await records.request(scene.request.id, caller: official, access: scene.fixture.access(purpose: purpose))
            }
        }
        try await scene.expectRefused("not_found", by: official, action: "message.read") {
            try await records.messages(scene.request.id, caller: official, access: scene.fixture.access(purpose: Self.casework))
        }
        try await scene.expectRefused("forbidden", by: official, action: "request.search") {
            try await records.search(field: "national_id", value: "1234567AB", caller: official, access: scene.fixture.access(purpose: Self.casework))
        }
    }

    @Test func aCitizenCannotReadAnotherCitizensRequestOrPayment() async throws {
        let scene = try await Scene()
        let bob = try await scene.fixture.citizen("bob@example.ie").caller
        let records = scene.fixture.records
        try await scene.expectRefused("not_found", by: bob, action: "request.read") {
            try await records.request(scene.request.id, caller: bob, access: scene.fixture.access())
        }
        try await scene.expectRefused("not_found", by: bob, action: "message.create") {
            try await records.postMessage(scene.request.id, body: "hello", caller: bob, access: scene.fixture.access())
        }
        let due = try #require(try await records.ownPayments(caller: scene.citizen, access: scene.fixture.access()).first)
        try await scene.expectRefused("not_found", by: bob, action: "payment.pay") {
            try await records.pay(due.id, instrument: OfflinePaymentProvider.approvingInstrument, caller: bob, access: scene.fixture.access())
        }
        // And a citizen cannot work cases.
        try await scene.expectRefused("not_found", by: bob, action: "case.claim") {
            try await records.claim(scene.request.id, caller: bob, access: scene.fixture.access())
        }
        try await scene.expectRefused("forbidden", by: scene.citizen, action: "case.decide") {
            try await records.decideRequest(scene.request.id, outcome: .approve, reason: "self-approved", caller: scene.citizen, access: scene.fixture.access())
        }
    }

    @Test func aRepeatedPaymentCallbackChangesNothing() async throws {
        let scene = try await Scene()
        let records = scene.fixture.records
        let due = try #require(try await records.ownPayments(caller: scene.citizen, access: scene.fixture.access()).first)
        let paid = try await records.pay(due.id, instrument: OfflinePaymentProvider.approvingInstrument, caller: scene.citizen, access: scene.fixture.access())
        let event = try #require(scene.provider.events.last)
        let before = try scene.fixture.auditEntries().count
        let payments = try scene.fixture.count("payments"), events = try scene.fixture.count("payment_events")
        let outcome = try await records.applyPaymentEvent(event, requestID: "retry-1")
        guard case .duplicate(let view) = outcome else {
            Issue.record("a replayed event must be reported as a duplicate, got \(outcome)")
            return
        }
        #expect(view == paid, "nothing changed: same status, same receipt")
        #expect(try scene.fixture.count("payments") == payments && scene.fixture.count("payment_events") == events)
        let added = try scene.fixture.auditEntries(after: before)
        #expect(added.count == 1)
        #expect(added.first?.action == "payment.event" && added.first?.decision.effect == .deny && added.first?.details["reason"] == "duplicate-event")

        // A forged event (another kind under the paid event's signature) and the paid event with a tampered amount are
        // refused too, and audited. (Authentic events with a wrong amount: PaymentEventTests.)
        let forged = PaymentEvent(
            eventID: "evt_forged", paymentID: due.id, kind: .refunded, amountMinor: event.amountMinor, currency: event.currency,
            providerReference: event.providerReference, signature: event.signature)
        let tampered = PaymentEvent(
            eventID: "evt_tampered", paymentID: due.id, kind: event.kind, amountMinor: event.amountMinor - 1, currency: event.currency,
            providerReference: event.providerReference, signature: event.signature)
        for (name, bad) in [("forged", forged), ("tampered", tampered)] {
            let marker = try scene.fixture.auditEntries().count
            let error = await strongroomError { try await records.applyPaymentEvent(bad, requestID: name) }
            #expect(error?.code == "invalid_signature", "\(name)")
            #expect(try await records.payment(due.id, caller: scene.citizen, access: scene.fixture.access()) == paid)
            #expect(try scene.fixture.count("payment_events") == events, "\(name)")
            let refusal = try #require(try scene.fixture.auditEntries(after: marker).first { $0.action == "payment.event" })
            #expect(refusal.decision.effect == .deny && refusal.details["reason"] == "invalid-signature", "\(name)")
        }
    }

    @Test func invalidTransitionsAreRefusedAndAudited() async throws {
        let scene = try await Scene()
        let records = scene.fixture.records
        let access = { scene.fixture.access(purpose: Self.casework) }
        // Deciding a request nobody has claimed: the policy lets only the assignee decide.
        try await scene.expectRefused("forbidden", by: scene.carol, action: "case.decide") {
            try await records.decideRequest(scene.request.id, outcome: .approve, reason: "ok", caller: scene.carol, access: access())
        }
        // Closing an undecided request.
        _ = try await records.claim(scene.request.id, caller: scene.carol, access: access())
        try await scene.expectRefused("invalid_transition", by: scene.carol, action: "case.close") {
            try await records.closeRequest(scene.request.id, caller: scene.carol, access: access())
        }
        // Another caseworker claiming a claimed request.
        let erin = try await scene.staff("erin@agency.example", "caseworker")
        try await scene.expectRefused("already_assigned", by: erin, action: "case.claim") {
            try await records.claim(scene.request.id, caller: erin, access: access())
        }
        // Asking for information twice.
        _ = try await records.requestInformation(scene.request.id, question: "Which employer?", caller: scene.carol, access: access())
        try await scene.expectRefused("invalid_transition", by: scene.carol, action: "case.request-info") {
            try await records.requestInformation(scene.request.id, question: "Again?", caller: scene.carol, access: access())
        }
        // Deciding while the citizen is asked for information.
        try await scene.expectRefused("invalid_transition", by: scene.carol, action: "case.decide") {
            try await records.decideRequest(scene.request.id, outcome: .approve, reason: "ok", caller: scene.carol, access: access())
        }
        // After a decision: no second decision, no withdrawal; closing works once.
        _ = try await records.submitRequest(scene.request.id, caller: scene.citizen, access: scene.fixture.access())
        _ = try await records.decideRequest(scene.request.id, outcome: .approve, reason: "Eligible.", caller: scene.carol, access: access())
        try await scene.expectRefused("invalid_transition", by: scene.carol, action: "case.decide") {
            try await records.decideRequest(scene.request.id, outcome: .reject, reason: "changed my mind", caller: scene.carol, access: access())
        }
        let closed = try await records.closeRequest(scene.request.id, caller: scene.carol, access: access())
        #expect(closed.status == "closed")
        try await scene.expectRefused("invalid_transition", by: scene.carol, action: "case.close") {
            try await records.closeRequest(scene.request.id, caller: scene.carol, access: access())
        }
    }

    @Test func aSupervisorAssignsAndAnotherSupervisorReviewsTheirBreakGlassRead() async throws {
        let scene = try await Scene()
        let records = scene.fixture.records
        let sue = try await scene.staff("sue@agency.example", "supervisor")
        let erin = try await scene.staff("erin@agency.example", "caseworker")
        let assigned = try await records.assign(scene.request.id, to: erin.accountID, caller: sue, access: scene.fixture.access(purpose: "supervision"))
        #expect(assigned.status == "in-review" && assigned.assigneeID == erin.accountID)
        let bad = await strongroomError {
            try await records.assign(scene.request.id, to: scene.citizen.accountID, caller: sue, access: scene.fixture.access(purpose: "supervision"))
        }
        #expect(bad?.code == "unknown_assignee")

        // A supervisor of another office breaks the glass with a justification.
        let north = try await scene.staff("nina@agency.example", "supervisor", office: "north")
        let noReason = await strongroomError { try await records.request(scene.request.id, caller: north, access: scene.fixture.access()) }
        #expect(noReason?.code == "not_found")
        // A token justification does not break the glass: a clear 400 that says what is missing, and an audited denial.
        for thin in ["x", "urgent", "need to see this record now"].prefix(2) {
            let refused = await strongroomError {
                try await records.request(scene.request.id, caller: north, access: scene.fixture.access(justification: thin))
            }
            #expect(refused?.code == "justification_too_short")
        }
        #expect(AccessContext.isSubstantive("need to see this record now"))
        #expect(!AccessContext.isSubstantive("aaaaaaaaaaaaaaaaaaaaaaaaa"))
        #expect(!AccessContext.isSubstantive("! ! ! ! ! ! ! ! ! ! ! ! ! ! ! ! ! ! ! ! ! !"))
        let glass = try await records.request(
            scene.request.id, caller: north, access: scene.fixture.access(justification: "fraud referral 2026-118 from the police"))
        #expect(glass.record.fields["national_id"]?.mask == "last4")
        let report = try await records.accessReport(caller: scene.citizen, access: scene.fixture.access())
        #expect(report.entries.contains { $0.breakGlass && $0.role == "supervisor" && $0.office == "north" && $0.action == "request.read" })

        let waiting = try await records.breakGlassAccesses(caller: sue, access: scene.fixture.access(purpose: "supervision"))
        let item = try #require(waiting.first)
        #expect(waiting.count == 1 && item.actorID == north.accountID && item.review == nil)
        // Not by the person who broke the glass, not without a purpose, and not by a caseworker.
        let own = await strongroomError {
            try await records.reviewBreakGlass(auditSeq: item.auditSeq, finding: .justified, caller: north, access: scene.fixture.access(purpose: "supervision"))
        }
        #expect(own?.code == "same_person")
        let noPurpose = await strongroomError {
            try await records.reviewBreakGlass(auditSeq: item.auditSeq, finding: .justified, caller: sue, access: scene.fixture.access())
        }
        #expect(noPurpose?.code == "purpose_required")
        let caseworker = await strongroomError {
            try await records.reviewBreakGlass(auditSeq: item.auditSeq, finding: .justified, caller: erin, access: scene.fixture.access(purpose: "supervision"))
        }
        #expect(caseworker?.code == "forbidden")
        // Two reviewers at once: exactly one review commits, the other is refused as already reviewed.
        let sam = try await scene.staff("sam2@agency.example", "supervisor", office: "central")
        let outcomes = await withTaskGroup(of: String.self) { group in
            for reviewer in [sue, sam, sue, sam] {
                group.addTask {
                    do {
                        _ = try await records.reviewBreakGlass(
                            auditSeq: item.auditSeq, finding: .justified, caller: reviewer, access: scene.fixture.access(purpose: "supervision"))
                        return "reviewed"
                    } catch let error as StrongroomError {
                        return error.code
                    } catch {
                        return "other"
                    }
                }
            }
            var all: [String] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.filter { $0 == "reviewed" }.count == 1, "\(outcomes)")
        #expect(outcomes.filter { $0 == "already_reviewed" }.count == 3, "\(outcomes)")
        let allowedReviews = try scene.fixture.auditEntries().filter {
            $0.action == "break-glass.review" && $0.decision.effect == .allow && $0.details["entry"] == String(item.auditSeq)
        }
        #expect(allowedReviews.count == 1)
        let reviewed = try #require(try await records.breakGlassAccesses(
            includeReviewed: true, caller: sue, access: scene.fixture.access(purpose: "supervision")).first)
        #expect(reviewed.review?.finding == "justified")
        #expect(try await records.breakGlassAccesses(caller: sue, access: scene.fixture.access(purpose: "supervision")).isEmpty)
        let again = await strongroomError {
            try await records.reviewBreakGlass(auditSeq: item.auditSeq, finding: .unjustified, caller: sue, access: scene.fixture.access(purpose: "supervision"))
        }
        #expect(again?.code == "already_reviewed")
        let all = try await records.breakGlassAccesses(includeReviewed: true, caller: sue, access: scene.fixture.access(purpose: "supervision"))
        #expect(all.count == 1 && all.first?.review != nil)
    }

    @Test func staffSearchRevealsOnlyWhatTheSearchPolicyAllowsAndIsAuditedWithThePurpose() async throws {
        let scene = try await Scene()
        let records = scene.fixture.records
        let before = try scene.fixture.auditEntries().count
        let hits = try await records.search(
            field: "national_id", value: "1234567 ab", caller: scene.carol, access: scene.fixture.access(purpose: Self.casework))
        let hit = try #require(hits.first)
        #expect(hits.count == 1 && hit.id == scene.request.id)
        #expect(hit.record.fields == ["full_name": .revealed("Aoife Byrne")])
        #expect(Set(hit.record.omitted).isSuperset(of: ["national_id", "bank_account", "monthly_income"]))
        let added = try scene.fixture.auditEntries(after: before)
        #expect(added.map(\.action) == ["request.search", "request.search-hit"])
        #expect(added.allSatisfy { $0.purpose == Self.casework && $0.decision.effect == .allow })
        #expect(added.last?.target.subjectID == scene.citizen.subjectID)
        for entry in added { #expect(!entry.canonicalText.contains("1234567")) }
        let invalid = await strongroomError {
            try await records.search(field: "full_name", value: "Aoife", caller: scene.carol, access: scene.fixture.access(purpose: Self.casework))
        }
        #expect(invalid?.code == "not_searchable")
    }
}

/// Bad input on the casework paths: a clear error, nothing written, nothing echoed or logged.
@Suite struct CaseworkBadInputTests {
    @Test(arguments: ["", "   \n\t ", "ring \u{7}bell", String(repeating: "x", count: 4001)])
    func badMessageBodiesAreRefusedAndWriteNothing(body: String) async throws {
        let scene = try await CaseworkAccessTests.Scene()
        try await scene.expectRefused(body.count > 4000 ? "body_too_long" : body.contains("\u{7}") ? "invalid_body" : "missing_body",
                                      by: scene.citizen, action: "message.create") {
            try await scene.fixture.records.postMessage(scene.request.id, body: body, caller: scene.citizen, access: scene.fixture.access())
        }
        #expect(try scene.fixture.count("messages") == 0)
    }

    @Test func aForgedCallbackWithFreeTextIdsLeavesOnlyPlaceholdersInTheLog() async throws {
        let scene = try await CaseworkAccessTests.Scene()
        let forged = PaymentEvent(
            eventID: "Aoife Byrne 1234567AB", paymentID: "IE29AIBK93115212345678 <script>", kind: .paid, amountMinor: 500,
            currency: "EUR", providerReference: "x", signature: "00")
        let error = await strongroomError { try await scene.fixture.records.applyPaymentEvent(forged, requestID: "forged") }
        #expect(error?.code == "invalid_signature")
        let entry = try #require(try scene.fixture.auditEntries().last)
        #expect(entry.action == "payment.event" && entry.decision.effect == .deny)
        // An unverified event's ids are the sender's words: none of them is logged (forgeries are counted, RefusalLog).
        #expect(entry.target.recordID == nil && entry.details["event"] == nil && entry.details["reason"] == "invalid-signature")
        for value in ["Aoife", "1234567AB", "IE29AIBK", "script"] { #expect(!entry.canonicalText.contains(value)) }
    }

    @Test func anUnknownQueueStatusIsNamedBackOnlyWhenItLooksLikeOne() async throws {
        let scene = try await CaseworkAccessTests.Scene()
        let access = scene.fixture.access(purpose: "case-handling")
        let pasted = await strongroomError {
            try await scene.fixture.records.queue(CaseQueueFilter(statuses: ["Aoife Byrne 1234567AB"]), caller: scene.carol, access: access)
        }
        #expect(pasted?.code == "unknown_status" && pasted?.message.contains("Aoife") == false)
        let typo = await strongroomError {
            try await scene.fixture.records.queue(CaseQueueFilter(statuses: ["lost"]), caller: scene.carol, access: access)
        }
        #expect(typo?.message.contains("`lost`") == true)
    }
}

extension AuditEntry {
    /// The entry's canonical bytes as text, to prove a value never reached the log.
    var canonicalText: String { String(decoding: canonicalBytes, as: UTF8.self) }
}

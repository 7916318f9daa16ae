import AuditLog
import Catalog
import Strongroom
import Testing

/// draft → submitted → decided / in review → withdrawn, and every transition that is not allowed.
@Suite struct RequestLifecycleTests {
    /// Everything a failed call must leave untouched: the record rows and the request as its owner sees it.
    struct Snapshot: Equatable {
        let state: RecordState
        let view: RequestView
    }

    static func snapshot(_ fixture: InstallationFixture, _ id: String, _ caller: AuthenticatedCaller) async throws -> Snapshot {
        let state = try fixture.recordState()
        let view = try await fixture.records.request(id, caller: caller, access: fixture.access())
        return Snapshot(state: state, view: view)
    }

    @Test func draftUpdateSubmitWithdraw() async throws {
        let fixture = try InstallationFixture()
        let caller = try await fixture.citizen("lifecycle@example.org").caller
        let records = fixture.records

        let draft = try await records.createRequest(
            serviceID: "benefit-application", values: ["full_name": .string("Aoife Byrne"), "household_size": .integer(2)],
            submit: false, caller: caller, access: fixture.access())
        #expect(draft.status == "draft")
        #expect(draft.submittedAt == nil)
        #expect(Set(draft.record.fields.keys) == ["full_name", "household_size"])

        // Submitting an incomplete draft says which fields are missing and changes nothing.
        let before = try await Self.snapshot(fixture, draft.id, caller)
        let incomplete = await strongroomError { try await records.submitRequest(draft.id, caller: caller, access: fixture.access()) }
        #expect(incomplete?.kind == .invalidInput)
        #expect(Set(incomplete?.fields.map(\.field) ?? []) == ["national_id", "monthly_income", "bank_account", "reason"])
        #expect(incomplete?.fields.allSatisfy { $0.code == "missing_required" } == true)
        #expect(try await Self.snapshot(fixture, draft.id, caller) == before)

        // Resume the draft: add the rest, change one, remove one.
        fixture.clock.advance(by: 30)
        var rest = ServiceSample.benefit
        rest["full_name"] = .string("Aoife M. Byrne")
        rest["household_size"] = .null
        let updated = try await records.updateRequest(draft.id, values: rest, caller: caller, access: fixture.access())
        #expect(updated.status == "draft")
        #expect(updated.updatedAt == fixture.clock.now)
        #expect(updated.record.fields["full_name"] == .revealed("Aoife M. Byrne"))
        #expect(updated.record.fields["household_size"] == nil)
        #expect(updated.record.fields["national_id"] == .revealed("1234567AB"))
        let putBack = try await records.updateRequest(draft.id, values: ["household_size": .integer(4)], caller: caller, access: fixture.access())
        #expect(putBack.record.fields["household_size"] == .revealed("4"))

        // An invalid value in an update is refused and changes nothing.
        let snapshot = try await Self.snapshot(fixture, draft.id, caller)
        let bad = await strongroomError {
            try await records.updateRequest(draft.id, values: ["household_size": .integer(99)], caller: caller, access: fixture.access())
        }
        #expect(bad?.kind == .invalidInput && bad?.fields.map(\.field) == ["household_size"])
        #expect(try await Self.snapshot(fixture, draft.id, caller) == snapshot)

        fixture.clock.advance(by: 30)
        let submitted = try await records.submitRequest(draft.id, caller: caller, access: fixture.access())
        #expect(submitted.status == "submitted")
        #expect(submitted.submittedAt == fixture.clock.now)
        #expect(submitted.record == putBack.record)

        fixture.clock.advance(by: 30)
        let withdrawn = try await records.withdrawRequest(draft.id, caller: caller, access: fixture.access())
        #expect(withdrawn.status == "withdrawn")
        #expect(withdrawn.updatedAt == fixture.clock.now)
        let listed = try await records.ownRequests(caller: caller, access: fixture.access())
        #expect(listed.map(\.status) == ["withdrawn"])

        // Withdrawn is final.
        for (name, call) in Self.transitions(fixture, draft.id, caller) {
            let frozen = try await Self.snapshot(fixture, draft.id, caller)
            let error = await strongroomError { try await call() }
            #expect(error?.kind == .conflict, "\(name) after withdrawal")
            #expect(error?.code == "invalid_transition", "\(name) after withdrawal")
            #expect(try await Self.snapshot(fixture, draft.id, caller) == frozen, "\(name) after withdrawal changed something")
        }
    }

    static func transitions(
        _ fixture: InstallationFixture, _ id: String, _ caller: AuthenticatedCaller
    ) -> [(String, @Sendable () async throws -> RequestView)] {
        let records = fixture.records
        let access = fixture.access()
        return [
            ("update", { try await records.updateRequest(id, values: ["reason": .string("A different reason entirely")], caller: caller, access: access) }),
            ("submit", { try await records.submitRequest(id, caller: caller, access: access) }),
            ("withdraw", { try await records.withdrawRequest(id, caller: caller, access: access) }),
        ]
    }

    @Test func submittedRequestCannotBeChangedOrSubmittedAgain() async throws {
        let fixture = try InstallationFixture()
        let caller = try await fixture.citizen("twice@example.org").caller
        let request = try await fixture.records.createRequest(
            serviceID: "benefit-application", values: ServiceSample.benefit, submit: true, caller: caller, access: fixture.access())
        #expect(request.status == "submitted")
        for (name, call) in Self.transitions(fixture, request.id, caller) where name != "withdraw" {
            let before = try await Self.snapshot(fixture, request.id, caller)
            let mark = try fixture.auditEntries().count
            let error = await strongroomError { try await call() }
            #expect(error?.kind == .conflict, "\(name)")
            #expect(error?.code == "invalid_transition", "\(name)")
            #expect(try await Self.snapshot(fixture, request.id, caller) == before, "\(name) changed something")
            // The refused attempt is audited as a deny.
            let denied = try fixture.auditEntries(after: mark).filter { $0.action == "request.\(name)" }
            #expect(denied.map(\.decision.effect) == [.deny], "\(name)")
        }
    }

    @Test func decidedRequestCannotBeWithdrawnOrChanged() async throws {
        let fixture = try InstallationFixture()
        let caller = try await fixture.citizen("decided@example.org").caller
        let request = try await fixture.records.createRequest(
            serviceID: "change-of-address", values: ServiceSample.changeOfAddress, submit: true, caller: caller, access: fixture.access())
        #expect(request.status == "decided" && request.outcome == "approved")
        for (name, call) in Self.transitions(fixture, request.id, caller) {
            let before = try await Self.snapshot(fixture, request.id, caller)
            let error = await strongroomError { try await call() }
            #expect(error?.kind == .conflict, "\(name)")
            #expect(error?.code == "invalid_transition", "\(name)")
            #expect(try await Self.snapshot(fixture, request.id, caller) == before, "\(name) changed something")
        }
    }

    @Test func draftCannotBeWithdrawnButStaysADraft() async throws {
        let fixture = try InstallationFixture()
        let caller = try await fixture.citizen("draftwithdraw@example.org").caller
        let draft = try await fixture.records.createRequest(
            serviceID: "fee-payment", values: ["payment_reference": .string("RT-00123456")], submit: false, caller: caller,
            access: fixture.access())
        let error = await strongroomError { try await fixture.records.withdrawRequest(draft.id, caller: caller, access: fixture.access()) }
        #expect(error?.code == "invalid_transition")
        #expect(try await fixture.records.request(draft.id, caller: caller, access: fixture.access()).status == "draft")
    }

    @Test func unknownServiceIsNotFoundAndWritesNothing() async throws {
        let fixture = try InstallationFixture()
        let caller = try await fixture.citizen("unknown@example.org").caller
        let before = try fixture.recordState()
        for service in ["no-such-service", "", "../benefit-application", "Benefit-Application", "profile"] {
            for submit in [true, false] {
                let error = await strongroomError {
                    try await fixture.records.createRequest(
                        serviceID: service, values: ServiceSample.benefit, submit: submit, caller: caller, access: fixture.access())
                }
                #expect(error?.kind == .notFound, "\(service)")
                #expect(error?.code == "unknown_service", "\(service)")
            }
        }
        #expect(try fixture.recordState() == before)
    }

    @Test func unknownRequestIDIsNotFound() async throws {
        let fixture = try InstallationFixture()
        let caller = try await fixture.citizen("noreq@example.org").caller
        for (name, call) in Self.transitions(fixture, "req_doesnotexist", caller) {
            let error = await strongroomError { try await call() }
            #expect(error?.kind == .notFound, "\(name)")
        }
        let read = await strongroomError { try await fixture.records.request("req_doesnotexist", caller: caller, access: fixture.access()) }
        #expect(read?.kind == .notFound)
    }

    static let badInputs: [(String, [String: FieldInput], String, String)] = [
        ("unknown field", ServiceSample.replacing(ServiceSample.feePayment, "favourite_colour", with: .string("blue")), "favourite_colour", "unknown_field"),
        ("field of another service", ServiceSample.replacing(ServiceSample.feePayment, "national_id", with: .string("1234567AB")), "national_id", "unknown_field"),
        ("removed field", ServiceSample.replacing(ServiceSample.feePayment, "employer_name", with: .string("Acme")), "employer_name", "unknown_field"),
        ("wrong type", ServiceSample.replacing(ServiceSample.feePayment, "payment_reference", with: .integer(12)), "payment_reference", "wrong_type"),
        ("object for text", ServiceSample.replacing(ServiceSample.feePayment, "payer_email", with: .object([:])), "payer_email", "wrong_type"),
        ("bad email", ServiceSample.replacing(ServiceSample.feePayment, "payer_email", with: .string("not-an-email")), "payer_email", "invalid_email"),
        ("amount too large", ServiceSample.replacing(ServiceSample.feePayment, "amount", with: .decimal("50000.01")), "amount", "out_of_range"),
        ("control character", ServiceSample.replacing(ServiceSample.feePayment, "payment_reference", with: .string("RT-0012\u{0}3456")), "payment_reference", "invalid_text"),
    ]

    @Test(arguments: badInputs.indices)
    func badInputIsRejectedWithAFieldProblem(_ index: Int) async throws {
        let (name, values, field, code) = Self.badInputs[index]
        let fixture = try InstallationFixture()
        let caller = try await fixture.citizen("bad@example.org").caller
        let before = try fixture.recordState()
        for submit in [true, false] {
            let error = await strongroomError {
                try await fixture.records.createRequest(
                    serviceID: "fee-payment", values: values, submit: submit, caller: caller, access: fixture.access())
            }
            #expect(error?.kind == .invalidInput, "\(name)")
            #expect(error?.fields.map(\.field) == [field], "\(name)")
            #expect(error?.fields.map(\.code) == [code], "\(name)")
        }
        #expect(try fixture.recordState() == before, "\(name)")
    }

    @Test func unknownFieldInADraftUpdateIsRejected() async throws {
        let fixture = try InstallationFixture()
        let caller = try await fixture.citizen("draftunknown@example.org").caller
        let draft = try await fixture.records.createRequest(
            serviceID: "fee-payment", values: ["payment_reference": .string("RT-00123456")], submit: false, caller: caller,
            access: fixture.access())
        let before = try await Self.snapshot(fixture, draft.id, caller)
        fixture.clock.advance(by: 5)  // so that a touched `updated_at` shows in the snapshot
        for values in [["nope": .string("x")], ["nope": .null]] as [[String: FieldInput]] {
            let error = await strongroomError {
                try await fixture.records.updateRequest(draft.id, values: values, caller: caller, access: fixture.access())
            }
            #expect(error?.kind == .invalidInput)
            #expect(error?.fields.map(\.field) == ["nope"])
        }
        #expect(try await Self.snapshot(fixture, draft.id, caller) == before)
    }

    @Test func unknownProfileFieldIsRejected() async throws {
        let fixture = try InstallationFixture()
        let caller = try await fixture.citizen("profileunknown@example.org").caller
        _ = try await fixture.records.updateProfile(["name": .string("Aoife")], caller: caller, access: fixture.access())
        let before = try fixture.recordState()
        for values in [["shoe_size": .integer(42)], ["shoe_size": .null], ["email": .string("nope")]] as [[String: FieldInput]] {
            let error = await strongroomError { try await fixture.records.updateProfile(values, caller: caller, access: fixture.access()) }
            #expect(error?.kind == .invalidInput)
        }
        #expect(try fixture.recordState() == before)
        #expect(try await fixture.records.profile(of: caller.accountID, caller: caller, access: fixture.access()).fields == ["name": .revealed("Aoife")])
    }

    /// Two submissions of one draft racing: exactly one wins, the request is decided once, one auto-decision entry.
    @Test func concurrentSubmissionsOfOneDraftDecideOnce() async throws {
        let fixture = try InstallationFixture()
        let caller = try await fixture.citizen("racer@example.org").caller
        let records = fixture.records
        for round in 0..<5 {
            let draft = try await records.createRequest(
                serviceID: "fee-payment", values: ServiceSample.feePayment, submit: false, caller: caller, access: fixture.access())
            let outcomes = await withTaskGroup(of: String.self) { group in
                for n in 0..<4 {
                    group.addTask {
                        do {
                            _ = try await records.submitRequest(draft.id, caller: caller, access: AccessContext(requestID: "race-\(round)-\(n)"))
                            return "ok"
                        } catch let error as StrongroomError {
                            return error.code
                        } catch {
                            return "unexpected: \(error)"
                        }
                    }
                }
                var outcomes: [String] = []
                for await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            #expect(outcomes.filter { $0 == "ok" }.count == 1, "\(outcomes)")
            #expect(outcomes.allSatisfy { ["ok", "invalid_transition", "concurrent_change"].contains($0) }, "\(outcomes)")
            let decisions = try fixture.auditEntries().filter { $0.action == "request.auto-decide" && $0.target.recordID == draft.id }
            #expect(decisions.count == 1)
            let view = try await records.request(draft.id, caller: caller, access: fixture.access())
            #expect(view.status == "decided" && view.outcome == "approved")
        }
    }
}

import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Strongroom
import StrongroomAPI
import Testing

/// The casework, payment and privacy routes over HTTP: the same rules as the service layer, as JSON.
@Suite("HTTP casework, payments and privacy routes")
struct CaseworkRouteTests {
    static let benefit = #"""
        {"service":"benefit-application","submit":true,"fields":{"full_name":"Aoife Byrne","national_id":"1234567AB",
         "monthly_income":"1450.00","household_size":3,"bank_account":"IE29AIBK93115212345678","reason":"Reduced hours at work since May."}}
        """#

    /// Signs in a staff member over HTTP with their one-time code.
    static func staffToken(_ fixture: APIFixture, _ client: some TestClientProtocol, login: String, role: String, office: String = "central") async throws -> (token: String, id: String) {
        let enrolment = try await fixture.installation.accounts.addStaff(
            login: login, roles: [role], office: office, by: .system(), context: AccessContext(requestID: "t"))
        let code = try fixture.installation.accounts.unsafeCurrentOneTimeCode(accountID: enrolment.accountID)
        let session = try await client.json(.post, "/v1/sessions", body: #"{"login":"\#(login)","password":"\#(enrolment.password)","code":"\#(code)"}"#)
        #expect(session.status == .created)
        return (try #require(session.json["token"] as? String), enrolment.accountID)
    }

    @Test("queue → claim → review (masked) → request info → resubmit → decide → the citizen sees the reason and who looked")
    func reviewCycle() async throws {
        let fixture = try APIFixture()
        try await fixture.application().test(.router) { client in
            let citizen = try await client.citizenToken("aoife@example.ie")
            let created = try await client.json(.post, "/v1/requests", token: citizen, body: Self.benefit)
            #expect(created.status == .created)
            let id = try #require(created.json["id"] as? String)
            let carol = try await Self.staffToken(fixture, client, login: "carol@agency.example", role: "caseworker")

            let noPurpose = try await client.json(.get, "/v1/cases", token: carol.token)
            #expect(noPurpose.status == .forbidden && noPurpose.json["error"] as? String == "purpose_required")
            let queue = try await client.json(.get, "/v1/cases?status=submitted&assignee=none", token: carol.token, purpose: "case-handling")
            #expect(queue.status == .ok)
            let items = try #require(queue.json["items"] as? [[String: Any]])
            #expect(items.map { $0["id"] as? String } == [id])
            #expect(items.first?["fields"] == nil, "a queue carries no field values")
            let badQuery = try await client.json(.get, "/v1/cases?status=lost", token: carol.token, purpose: "case-handling")
            #expect(badQuery.status == .badRequest && badQuery.json["error"] as? String == "unknown_status")

            let claimed = try await client.json(.post, "/v1/cases/\(id)/claim", token: carol.token, purpose: "case-handling")
            #expect(claimed.status == .ok && claimed.json["status"] as? String == "in-review" && claimed.json["assignee"] as? String == carol.id)
            let fields = try #require(claimed.json["fields"] as? [String: [String: Any]])
            #expect(fields["full_name"]?["value"] as? String == "Aoife Byrne")
            #expect(fields["national_id"]?["value"] == nil && fields["national_id"]?["mask"] as? String == "last4")

            let asked = try await client.json(
                .post, "/v1/cases/\(id)/request-info", token: carol.token, purpose: "case-handling", body: #"{"message":"Which employer?"}"#)
            #expect(asked.status == .ok && asked.json["status"] as? String == "info-requested")
            let thread = try await client.json(.get, "/v1/requests/\(id)/messages", token: citizen)
            let messages = try #require(thread.json["items"] as? [[String: Any]])
            #expect(messages.first?["body"] as? String == "Which employer?" && messages.first?["kind"] as? String == "info-request")
            let answer = try await client.json(.post, "/v1/requests/\(id)/messages", token: citizen, body: #"{"body":"Acme Ltd."}"#)
            #expect(answer.status == .created)
            let resubmitted = try await client.json(.post, "/v1/requests/\(id)/submit", token: citizen)
            #expect(resubmitted.json["status"] as? String == "submitted")

            let badOutcome = try await client.json(
                .post, "/v1/cases/\(id)/decision", token: carol.token, purpose: "case-handling", body: #"{"outcome":"maybe","reason":"x"}"#)
            #expect(badOutcome.status == .badRequest)
            let decided = try await client.json(
                .post, "/v1/cases/\(id)/decision", token: carol.token, purpose: "case-handling",
                body: #"{"outcome":"approve","reason":"Eligible for a household of 3."}"#)
            #expect(decided.status == .ok && decided.json["outcome"] as? String == "approved")
            let seen = try await client.json(.get, "/v1/requests/\(id)", token: citizen)
            #expect(seen.json["decision_reason"] as? String == "Eligible for a household of 3.")
            #expect(seen.json["assignee"] == nil)

            let report = try await client.json(.get, "/v1/me/access-report", token: citizen)
            #expect(report.status == .ok)
            let lines = try #require(report.json["items"] as? [[String: Any]]).filter { $0["accessor"] as? String == "staff" }
            #expect(!lines.isEmpty && lines.allSatisfy { $0["role"] as? String == "caseworker" && $0["office"] as? String == "central" })
            #expect(!String(describing: report.json).contains(carol.id), "the report never names the staff member")

            let export = try await client.json(.get, "/v1/me/export", token: citizen)
            #expect(export.status == .ok && export.json["format"] as? String == "strongroom-export-v1")
            #expect(export.headers[.contentDisposition]?.contains("attachment") == true)
            let exported = try #require(export.json["requests"] as? [[String: Any]])
            #expect((exported.first?["fields"] as? [String: String])?["national_id"] == "1234567AB")

            let closed = try await client.json(.post, "/v1/cases/\(id)/close", token: carol.token, purpose: "case-handling")
            #expect(closed.json["status"] as? String == "closed")
            let again = try await client.json(.post, "/v1/cases/\(id)/close", token: carol.token, purpose: "case-handling")
            #expect(again.status == .conflict && again.json["error"] as? String == "invalid_transition")
        }
    }

    @Test("reveal: the assigned caseworker sees one masked field in full; others get 404; a decision names a standard reason")
    func revealAndReasonCode() async throws {
        let fixture = try APIFixture()
        try await fixture.application().test(.router) { client in
            let citizen = try await client.citizenToken("aoife@example.ie")
            let id = try #require(try await client.json(.post, "/v1/requests", token: citizen, body: Self.benefit).json["id"] as? String)
            let carol = try await Self.staffToken(fixture, client, login: "carol@agency.example", role: "caseworker")
            let dara = try await Self.staffToken(fixture, client, login: "dara@agency.example", role: "caseworker")
            let reveal = "/v1/cases/\(id)/reveal"
            // Not hers yet: the rule reveals only to the assignee.
            let early = try await client.json(.post, reveal, token: carol.token, purpose: "case-handling", body: #"{"field":"national_id"}"#)
            #expect(early.status == .forbidden && !String(describing: early.json).contains("1234567AB"))
            _ = try await client.json(.post, "/v1/cases/\(id)/claim", token: carol.token, purpose: "case-handling")
            let shown = try await client.json(.post, reveal, token: carol.token, purpose: "case-handling", body: #"{"field":"national_id"}"#)
            #expect(shown.status == .ok && shown.json["value"] as? String == "1234567AB" && shown.json["field"] as? String == "national_id")
            for bad in [#"{}"#, #"{"field":""}"#, #"{"field":7}"#, #"{"field":"national_id","x":1}"#, "not json"] {
                let answer = try await client.json(.post, reveal, token: carol.token, purpose: "case-handling", body: bad)
                #expect(answer.status == .badRequest, "\(bad)")
            }
            let unmasked = try await client.json(.post, reveal, token: carol.token, purpose: "case-handling", body: #"{"field":"full_name"}"#)
            #expect(unmasked.status == .badRequest && unmasked.json["error"] as? String == "field_not_revealable")
            let noPurpose = try await client.json(.post, reveal, token: carol.token, body: #"{"field":"national_id"}"#)
            #expect(noPurpose.status == .forbidden && noPurpose.json["error"] as? String == "purpose_required")
            let other = try await client.json(.post, reveal, token: dara.token, purpose: "case-handling", body: #"{"field":"national_id"}"#)
            #expect(other.status == .forbidden && !String(describing: other.json).contains("1234567AB"))
            let nobody = try await client.json(.post, "/v1/cases/req_nothere/reveal", token: carol.token, purpose: "case-handling", body: #"{"field":"national_id"}"#)
            #expect(nobody.status == .notFound)
            let asCitizen = try await client.json(.post, reveal, token: citizen, body: #"{"field":"national_id"}"#)
            #expect(asCitizen.status == .forbidden || asCitizen.status == .notFound)

            // Give it back to the queue (only its assignee), then take it again.
            let notHers = try await client.json(.post, "/v1/cases/\(id)/release", token: dara.token, purpose: "case-handling")
            #expect(notHers.status == .conflict && notHers.json["error"] as? String == "not_assigned")
            let released = try await client.json(.post, "/v1/cases/\(id)/release", token: carol.token, purpose: "case-handling")
            #expect(released.status == .ok && released.json["status"] as? String == "submitted" && released.json["assignee"] == nil)
            _ = try await client.json(.post, "/v1/cases/\(id)/claim", token: carol.token, purpose: "case-handling")

            // The decision: a standard reason of the wrong outcome is refused; the right one decides without words.
            let wrong = try await client.json(.post, "/v1/cases/\(id)/decision", token: carol.token, purpose: "case-handling",
                                              body: #"{"outcome":"approve","reason_code":"income-above-threshold"}"#)
            #expect(wrong.status == .badRequest && wrong.json["error"] as? String == "unknown_reason_code")
            let notString = try await client.json(.post, "/v1/cases/\(id)/decision", token: carol.token, purpose: "case-handling",
                                                  body: #"{"outcome":"approve","reason_code":3}"#)
            #expect(notString.status == .badRequest && notString.json["error"] as? String == "invalid_reason_code")
            let decided = try await client.json(.post, "/v1/cases/\(id)/decision", token: carol.token, purpose: "case-handling",
                                                body: #"{"outcome":"approve","reason_code":"income-below-threshold"}"#)
            #expect(decided.status == .ok && decided.json["decision_reason_code"] as? String == "income-below-threshold")
            let seen = try await client.json(.get, "/v1/requests/\(id)", token: citizen)
            #expect(seen.json["decision_reason_code"] as? String == "income-below-threshold" && seen.json["decision_reason"] == nil)
        }
    }

    @Test("a fee is paid with the test provider; a replayed callback changes nothing; a forged one is 401")
    func paymentsAndCallbacks() async throws {
        let fixture = try APIFixture()
        try await fixture.application().test(.router) { client in
            let citizen = try await client.citizenToken("aoife@example.ie")
            let created = try await client.json(.post, "/v1/requests", token: citizen, body: #"""
                {"service":"fee-payment","submit":true,"fields":{"payment_reference":"RT-00123456","amount":"125.40","payer_email":"a@example.ie"}}
                """#)
            #expect(created.status == .created)
            let payment = try #require(created.json["payment"] as? [String: Any])
            #expect(payment["status"] as? String == "pending")
            let paymentID = try #require(payment["id"] as? String)
            let mine = try await client.json(.get, "/v1/me/payments", token: citizen)
            #expect((mine.json["items"] as? [[String: Any]])?.first?["amount_minor"] as? Int == 12_540, "the amount entered: 125.40")

            let other = try await client.citizenToken("bob@example.ie")
            let stolen = try await client.json(.post, "/v1/payments/\(paymentID)/pay", token: other, body: #"{"instrument":"test-card-ok"}"#)
            #expect(stolen.status == .notFound)
            let paid = try await client.json(.post, "/v1/payments/\(paymentID)/pay", token: citizen, body: #"{"instrument":"test-card-ok"}"#)
            #expect(paid.status == .ok && paid.json["status"] as? String == "paid")
            let receipt = try #require(paid.json["receipt"] as? [String: Any])
            #expect((receipt["number"] as? String)?.hasPrefix("R-") == true)
            let twice = try await client.json(.post, "/v1/payments/\(paymentID)/pay", token: citizen, body: #"{"instrument":"test-card-ok"}"#)
            #expect(twice.status == .conflict && twice.json["error"] as? String == "invalid_transition")

            // Replay the provider's event: 200, applied false, nothing changed. The provider answers the charge's
            // idempotency key with the event it signed then, as a retried callback would carry it.
            let (event, key, events) = try await fixture.installation.database.read { db in
                (try String.fetchOne(db, sql: "SELECT event_id FROM payment_events WHERE payment_id = ?", arguments: [paymentID]),
                 try String.fetchOne(db, sql: "SELECT idempotency_key FROM payments WHERE id = ?", arguments: [paymentID]),
                 try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM payment_events") ?? -1)
            }
            let signed = try await fixture.provider.charge(
                paymentID: paymentID, amount: Money(minorUnits: 12_540, currency: try #require(Currency(code: "EUR"))),
                instrument: OfflinePaymentProvider.approvingInstrument, idempotencyKey: try #require(key))
            #expect(signed.eventID == event, "the provider's answer to the same key is the event that was applied")
            let callback = #"{"event_id":"\#(signed.eventID)","payment_id":"\#(paymentID)","kind":"paid","amount_minor":\#(signed.amountMinor),"currency":"\#(signed.currency)","provider_reference":"\#(signed.providerReference)","signature":"\#(signed.signature)"}"#
            let replayed = try await client.json(.post, "/v1/payments/events", body: callback)
            #expect(replayed.status == .ok && replayed.json["applied"] as? Bool == false)
            #expect((replayed.json["payment"] as? [String: Any])?["status"] as? String == "paid")
            let eventsAfter = try await fixture.installation.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM payment_events") }
            #expect(eventsAfter == events)
            let forged = #"{"event_id":"\#(signed.eventID)","payment_id":"\#(paymentID)","kind":"refunded","amount_minor":12540,"currency":"EUR","provider_reference":"x","signature":"00"}"#
            let refused = try await client.json(.post, "/v1/payments/events", body: forged)
            #expect(refused.status == .unauthorized && refused.json["error"] as? String == "invalid_signature")
            let malformed = try await client.json(.post, "/v1/payments/events", body: #"{"event_id":1}"#)
            #expect(malformed.status == .badRequest)
            let after = try await client.json(.get, "/v1/payments/\(paymentID)", token: citizen)
            #expect(after.json["status"] as? String == "paid")
        }
    }

    @Test("staff search needs a purpose, reveals only the search plan, and break-glass review works over HTTP")
    func searchAndBreakGlass() async throws {
        let fixture = try APIFixture()
        try await fixture.application().test(.router) { client in
            let citizen = try await client.citizenToken("aoife@example.ie")
            let created = try await client.json(.post, "/v1/requests", token: citizen, body: Self.benefit)
            let id = try #require(created.json["id"] as? String)
            let carol = try await Self.staffToken(fixture, client, login: "carol@agency.example", role: "caseworker")
            let body = #"{"field":"national_id","value":"1234567 ab"}"#
            let noPurpose = try await client.json(.post, "/v1/search", token: carol.token, body: body)
            #expect(noPurpose.status == .forbidden && noPurpose.json["error"] as? String == "purpose_required")
            let found = try await client.json(.post, "/v1/search", token: carol.token, purpose: "case-handling", body: body)
            let hits = try #require(found.json["items"] as? [[String: Any]])
            #expect(hits.count == 1 && hits.first?["id"] as? String == id)
            #expect((hits.first?["fields"] as? [String: Any]).map { Set($0.keys) } == ["full_name"])

            // A supervisor of another office breaks the glass; an auditor lists and reviews it.
            let nina = try await Self.staffToken(fixture, client, login: "nina@agency.example", role: "supervisor", office: "north")
            var headers: HTTPFields = [.authorization: "Bearer \(nina.token)"]
            headers[HTTPField.Name("Strongroom-Justification")!] = "fraud referral 2026-118"
            let glass = try await client.execute(uri: "/v1/requests/\(id)", method: .get, headers: headers) { $0.status }
            #expect(glass == .ok)
            let auditor = try await Self.staffToken(fixture, client, login: "audrey@agency.example", role: "auditor")
            let list = try await client.json(.get, "/v1/audit/break-glass", token: auditor.token, purpose: "audit")
            let items = try #require(list.json["items"] as? [[String: Any]])
            #expect(items.count == 1 && items.first?["actor"] as? String == nina.id)
            let grant = try #require(items.first?["grant"] as? [String: Any], "the access names its grant")
            #expect(grant["justification"] as? String == "fraud referral 2026-118", "the reviewer reads the justification")
            #expect(grant["opened_by_this_access"] as? Bool == true)
            let seq = try #require(items.first?["audit_seq"] as? Int)
            let reviewed = try await client.json(
                .post, "/v1/audit/break-glass/\(seq)/review", token: auditor.token, purpose: "audit", body: #"{"finding":"justified"}"#)
            #expect(reviewed.status == .ok)
            let empty = try await client.json(.get, "/v1/audit/break-glass", token: auditor.token, purpose: "audit")
            #expect((empty.json["items"] as? [Any])?.isEmpty == true)
            let caseworker = try await client.json(.get, "/v1/audit/break-glass", token: carol.token, purpose: "audit")
            #expect(caseworker.status == .forbidden)
        }
    }
}

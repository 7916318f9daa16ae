import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Strongroom
import StrongroomAPI
import Testing
import TestSupport

/// Seeded fuzzing of the casework, payment-callback and search bodies and queue queries: every answer is a 2xx or a
/// deliberate 4xx with a JSON error, never a 500, and no fuzzed callback ever changes a payment.
@Suite("HTTP casework fuzzing")
struct CaseworkRouteFuzzTests {
    static let fragments = [
        "{", "}", "[", "]", ",", ":", "\"", "null", "true", "false", "0", "-1", "1e309", "250", "\"paid\"", "\"refunded\"",
        "\"event_id\"", "\"payment_id\"", "\"kind\"", "\"amount_minor\"", "\"currency\"", "\"EUR\"", "\"provider_reference\"",
        "\"signature\"", "\"field\"", "\"value\"", "\"national_id\"", "\"outcome\"", "\"approve\"", "\"reason\"", "\"message\"",
        "\"assignee\"", "\"finding\"", "\"justified\"", "\"\\u0000\"", "\"\u{202E}\"", String(repeating: "a", count: 300),
    ]

    static func body(_ rng: inout SplitMix64) -> String {
        if rng.next() % 4 == 0 {
            // A well-formed object with fuzzed values under the real keys.
            let keys = ["event_id", "payment_id", "kind", "amount_minor", "currency", "provider_reference", "signature", "field", "value",
                        "outcome", "reason", "message", "assignee", "finding", "body", "instrument"]
            let chosen = keys.filter { _ in rng.next() % 2 == 0 }
            let values = chosen.map { key in "\"\(key)\":\(fragments[Int(rng.next() % UInt64(fragments.count))])" }
            return "{" + values.joined(separator: ",") + "}"
        }
        return (0..<Int(rng.next() % 12)).map { _ in fragments[Int(rng.next() % UInt64(fragments.count))] }.joined()
    }

    @Test func fuzzedBodiesAndQueriesNeverFailTheServer() async throws {
        let fixture = try APIFixture()
        try await fixture.application().test(.router) { client in
            let citizen = try await client.citizenToken("aoife@example.ie")
            let created = try await client.json(.post, "/v1/requests", token: citizen, body: #"""
                {"service":"fee-payment","submit":true,"fields":{"payment_reference":"RT-00123456","amount":"125.40","payer_email":"a@example.ie"}}
                """#)
            let paymentID = try #require((created.json["payment"] as? [String: Any])?["id"] as? String)
            let requestID = try #require(created.json["id"] as? String)
            let carol = try await CaseworkRouteTests.staffToken(fixture, client, login: "carol@agency.example", role: "caseworker")
            let routes: [(HTTPRequest.Method, String, String?)] = [
                (.post, "/v1/payments/events", nil), (.post, "/v1/search", carol.token),
                (.post, "/v1/cases/\(requestID)/decision", carol.token), (.post, "/v1/cases/\(requestID)/request-info", carol.token),
                (.post, "/v1/cases/\(requestID)/assign", carol.token), (.post, "/v1/cases/\(requestID)/reveal", carol.token), (.post, "/v1/requests/\(requestID)/messages", citizen),
                (.post, "/v1/payments/\(paymentID)/pay", citizen), (.post, "/v1/audit/break-glass/1/review", carol.token),
            ]
            var rng = SplitMix64(seed: 0xCA5E)
            var statuses: [Int: Int] = [:]
            for round in 0..<400 {
                let (method, uri, token) = routes[round % routes.count]
                let response = try await client.json(method, uri, token: token, purpose: "case-handling", body: Self.body(&rng))
                statuses[response.status.code, default: 0] += 1
                #expect(response.status.code < 500, "round \(round): \(uri) answered \(response.status.code)")
                if response.status.code >= 400 { #expect(response.json["error"] is String, "round \(round): \(uri) error without a code") }
            }
            let queries = ["status=", "status=,,", "min_age_days=-1", "min_age_days=99999999999999999999", "limit=0", "limit=abc",
                           "assignee=%00", "office=%E2%80%AE", "service=nope", "x=1", "status=submitted&status=draft"]
            for query in queries {
                let response = try await client.json(.get, "/v1/cases?\(query)", token: carol.token, purpose: "case-handling")
                #expect(response.status.code < 500, "\(query) answered \(response.status.code)")
            }
            // Nothing fuzzed moved the fee: it is still pending, with no provider event applied.
            let payment = try await client.json(.get, "/v1/payments/\(paymentID)", token: citizen)
            #expect(payment.json["status"] as? String == "pending")
            let events = try await fixture.installation.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM payment_events") }
            #expect(events == 0)
            #expect(statuses.keys.allSatisfy { $0 < 500 })
        }
    }
}

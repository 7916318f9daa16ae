import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Strongroom
import StrongroomAPI
import Testing

@Suite("HTTP routes")
struct RouteTests {
    @Test func healthAndCatalog() async throws {
        let fixture = try APIFixture()
        try await fixture.application().test(.router) { client in
            let health = try await client.json(.get, "/healthz")
            #expect(health.status == .ok)
            #expect(health.json["status"] as? String == "ok")
            #expect(health.headers[HTTPField.Name("Strongroom-Request-ID")!] != nil)
            let services = try await client.json(.get, "/v1/services")
            let items = try #require(services.json["items"] as? [[String: Any]])
            #expect(Set(items.compactMap { $0["id"] as? String }).isSuperset(of: ["benefit-application", "change-of-address"]))
            let one = try await client.json(.get, "/v1/services/change-of-address")
            #expect((one.json["fields"] as? [[String: Any]])?.isEmpty == false)
            let missing = try await client.json(.get, "/v1/services/nope")
            #expect(missing.status == .notFound)
            #expect(missing.json["error"] as? String == "unknown_service")
        }
    }

    @Test("a citizen signs up, fills a profile, applies, and sees the status")
    func citizenJourney() async throws {
        let fixture = try APIFixture()
        try await fixture.application().test(.router) { client in
            let token = try await client.citizenToken("alice@example.org")
            let profile = try await client.json(.patch, "/v1/me/profile", token: token, body: """
                {"fields": {"name": "Alice Example", "national_id": "1234567TW", "date_of_birth": "1990-01-01",
                 "postal_address": {"line1": "1 Main St", "city": "Cork", "postcode": "40100", "country": "IE"}}}
                """)
            #expect(profile.status == .ok)
            #expect(((profile.json["fields"] as? [String: Any])?["name"] as? [String: Any])?["value"] as? String == "Alice Example")
            let created = try await client.json(.post, "/v1/requests", token: token, body: """
                {"service": "benefit-application", "submit": true, "fields": {"full_name": "Alice Example", "national_id": "1234567TW",
                 "monthly_income": "1250.00", "household_size": 3, "bank_account": "IE29AIBK93115212345678",
                 "reason": "lost my job and need support"}}
                """)
            #expect(created.status == .created)
            #expect(created.json["status"] as? String == "submitted")
            let id = try #require(created.json["id"] as? String)
            let read = try await client.json(.get, "/v1/requests/\(id)", token: token)
            #expect(read.status == .ok)
            #expect(((read.json["fields"] as? [String: Any])?["monthly_income"] as? [String: Any])?["value"] as? String == "EUR 1250.00")
            let list = try await client.json(.get, "/v1/requests", token: token)
            #expect((list.json["items"] as? [[String: Any]])?.count == 1)
            let withdrawn = try await client.json(.post, "/v1/requests/\(id)/withdraw", token: token)
            #expect(withdrawn.json["status"] as? String == "withdrawn")
            let again = try await client.json(.post, "/v1/requests/\(id)/withdraw", token: token)
            #expect(again.status == .conflict)
            #expect(again.json["error"] as? String == "invalid_transition")
            let out = try await client.json(.delete, "/v1/sessions/current", token: token)
            #expect(out.status == .noContent)
            let after = try await client.json(.get, "/v1/requests", token: token)
            #expect(after.status == .unauthorized)
        }
    }

    @Test("another citizen's request is 404, not 403")
    func otherCitizenSees404() async throws {
        let fixture = try APIFixture()
        try await fixture.application().test(.router) { client in
            let alice = try await client.citizenToken("alice@example.org")
            let bob = try await client.citizenToken("bob@example.org")
            let created = try await client.json(.post, "/v1/requests", token: alice, body: #"{"service":"report-submission","fields":{"summary":"a draft summary"}}"#)
            let id = try #require(created.json["id"] as? String)
            let peek = try await client.json(.get, "/v1/requests/\(id)", token: bob)
            #expect(peek.status == .notFound)
            let nothing = try await client.json(.get, "/v1/requests/req_doesnotexist", token: bob)
            #expect(nothing.status == .notFound)
            #expect(peek.json["message"] as? String == nothing.json["message"] as? String)
        }
    }

    @Test("bad input gets a clear 4xx and changes nothing", arguments: [
        ("{bad json", "invalid_json"),
        ("[1,2,3]", "invalid_json"),
        (#"{"service":"benefit-application","surprise":1}"#, "unknown_key"),
        (#"{"fields":{}}"#, "missing_service"),
        (#"{"service":"benefit-application","fields":{"full_name":42}}"#, "invalid_fields"),
        (#"{"service":"benefit-application","fields":{"nope":"x"}}"#, "invalid_fields"),
        (#"{"service":"benefit-application","submit":"yes"}"#, "invalid_submit"),
        (#"{"service":"benefit-application","fields":[1]}"#, "invalid_fields"),
        (#"{"service":"no-such-service"}"#, "unknown_service"),
    ])
    func badInput(body: String, code: String) async throws {
        let fixture = try APIFixture()
        try await fixture.application().test(.router) { client in
            let token = try await client.citizenToken("alice@example.org")
            let before = try await fixture.installation.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM requests") }
            let response = try await client.json(.post, "/v1/requests", token: token, body: body)
            #expect((400..<500).contains(response.status.code))
            #expect(response.json["error"] as? String == code)
            #expect((response.json["message"] as? String)?.isEmpty == false)
            let after = try await fixture.installation.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM requests") }
            #expect(before == after)
        }
    }

    @Test("JSON nested 30,000 levels deep is a 400 that changes nothing, and so is 33; a string full of brackets is not nesting")
    func deeplyNestedJSON() async throws {
        let fixture = try APIFixture()
        try await fixture.application().test(.router) { client in
            let token = try await client.citizenToken("alice@example.org")
            let before = try await fixture.installation.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM requests") }
            for depth in [30_000, 33] {
                let nested = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
                let body = #"{"service":"benefit-application","fields":{"full_name":"#  + nested + "}}"
                let response = try await client.json(.post, "/v1/requests", token: token, body: body)
                #expect(response.status == .badRequest)
                #expect(response.json["error"] as? String == "invalid_json")
            }
            let brackets = #"{"service":"report-submission","fields":{"summary":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ \" {{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{"}}"#
            let accepted = try await client.json(.post, "/v1/requests", token: token, body: brackets)
            #expect(accepted.status == .created, "\(accepted.json)")
            let after = try await fixture.installation.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM requests") }
            #expect(after == (before ?? 0) + 1)
        }
    }

    @Test func invalidUTF8AndOversizedBodies() async throws {
        let fixture = try APIFixture()
        try await fixture.application().test(.router) { client in
            let token = try await client.citizenToken("alice@example.org")
            var headers: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(token)"]
            let invalid = try await client.execute(
                uri: "/v1/requests", method: .post, headers: headers, body: ByteBuffer(bytes: [0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])
            ) { $0.status }
            #expect(invalid == .badRequest)
            headers[.contentType] = "application/json"
            let huge = "{\"service\":\"benefit-application\",\"fields\":{\"reason\":\"" + String(repeating: "x", count: 200_000) + "\"}}"
            let big = try await client.execute(uri: "/v1/requests", method: .post, headers: headers, body: ByteBuffer(string: huge)) { $0.status }
            #expect(big == .contentTooLarge)
        }
    }

    @Test("missing, garbage and revoked tokens are 401", arguments: [nil, "garbage", String(repeating: "A", count: 43)])
    func unauthenticated(token: String?) async throws {
        let fixture = try APIFixture()
        try await fixture.application().test(.router) { client in
            let response = try await client.json(.get, "/v1/me/profile", token: token)
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate] == "Bearer")
        }
    }

    @Test("sign-in errors do not reveal whether an account exists")
    func uniformSignInErrors() async throws {
        let fixture = try APIFixture()
        try await fixture.application().test(.router) { client in
            _ = try await client.citizenToken("alice@example.org")
            let wrong = try await client.json(.post, "/v1/sessions", body: #"{"login":"alice@example.org","password":"wrong password here"}"#)
            let unknown = try await client.json(.post, "/v1/sessions", body: #"{"login":"nobody@example.org","password":"wrong password here"}"#)
            #expect(wrong.status == .unauthorized && unknown.status == .unauthorized)
            #expect(wrong.json["error"] as? String == unknown.json["error"] as? String)
            #expect(wrong.json["message"] as? String == unknown.json["message"] as? String)
            let again = try await client.json(.post, "/v1/accounts", body: #"{"login":"alice@example.org","password":"another long password"}"#)
            #expect(again.status == .accepted)
        }
    }

    @Test("a staff sign-in without a one-time code is refused")
    func staffNeedCode() async throws {
        let fixture = try APIFixture()
        let enrolment = try await fixture.installation.accounts.addStaff(
            login: "carol@agency.example", roles: ["caseworker"], office: "central", by: .system(), context: AccessContext(requestID: "t"))
        try await fixture.application().test(.router) { client in
            let response = try await client.json(.post, "/v1/sessions", body: #"{"login":"carol@agency.example","password":"\#(enrolment.password)"}"#)
            #expect(response.status == .unauthorized)
            #expect(response.json["error"] as? String == "mfa_required")
            let code = try fixture.installation.accounts.unsafeCurrentOneTimeCode(accountID: enrolment.accountID)
            let ok = try await client.json(.post, "/v1/sessions", body: #"{"login":"carol@agency.example","password":"\#(enrolment.password)","code":"\#(code)"}"#)
            #expect(ok.status == .created)
        }
    }

    @Test("erasure: 401 without a session, 202 with the date for a citizen, asked twice keeps the date")
    func erasureRequest() async throws {
        let fixture = try APIFixture()
        try await fixture.application().test(.router) { client in
            let anonymous = try await client.json(.post, "/v1/me/erasure")
            #expect(anonymous.status == .unauthorized)
            let count = { try await fixture.installation.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM erasure_requests") } }
            #expect(try await count() == 0, "nothing written for a refused request")
            let token = try await client.citizenToken("alice@example.org")
            let first = try await client.json(.post, "/v1/me/erasure", token: token)
            #expect(first.status == .accepted)
            let date = try #require(first.json["effective_at"] as? String)
            let again = try await client.json(.post, "/v1/me/erasure", token: token)
            #expect(again.json["effective_at"] as? String == date)
            #expect(try await count() == 1)
        }
    }
}

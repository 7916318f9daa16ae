import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// `DELETE /v1/sessions` signs out everywhere: both of a citizen's sessions answer 401 afterwards.
@Suite struct SessionRouteTests {
    @Test func signingOutEverywhereOverHTTP() async throws {
        let fixture = try APIFixture()
        try await fixture.application().test(.router) { client in
            let first = try await client.citizenToken("everywhere@example.ie")
            let second = try #require(try await client.json(
                .post, "/v1/sessions", body: #"{"login":"everywhere@example.ie","password":"correct horse battery staple"}"#).json["token"] as? String)
            #expect(try await client.json(.get, "/v1/me/profile", token: second).status == .ok)
            #expect(try await client.json(.delete, "/v1/sessions", token: first).status == .noContent)
            for token in [first, second] {
                #expect(try await client.json(.get, "/v1/me/profile", token: token).status == .unauthorized)
            }
            #expect(try await client.json(.delete, "/v1/sessions", token: first).status == .unauthorized)
            #expect(try await client.json(.delete, "/v1/sessions").status == .unauthorized)
        }
    }
}

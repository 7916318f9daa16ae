import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Strongroom
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

    /// Bad bodies to `POST /v1/me/password` are refused with a clear 400 and change nothing; the old password still
    /// signs in and the session still works.
    @Test func badPasswordChangeBodiesChangeNothing() async throws {
        let fixture = try APIFixture()
        try await fixture.application().test(.router) { client in
            let token = try await client.citizenToken("badchange@example.ie")
            let hash: () async throws -> String? = {
                try await fixture.installation.database.read { db in try String.fetchOne(db, sql: "SELECT password_hash FROM accounts") }
            }
            let before = try await hash()
            let bodies: [(String, String)] = [
                (#"{"current_password":"correct horse battery staple"}"#, "missing_passwords"),
                (#"{"current_password":"correct horse battery staple","new_password":12}"#, "missing_passwords"),
                (#"{"current_password":"correct horse battery staple","new_password":"short"}"#, "weak_password"),
                (#"{"current_password":"correct horse battery staple","new_password":"a long enough new one","extra":1}"#, "unknown_key"),
                (#"{"current_password":"#, "invalid_json"),
            ]
            for (body, code) in bodies {
                let answer = try await client.json(.post, "/v1/me/password", token: token, body: body)
                #expect(answer.status == .badRequest, "\(body)")
                #expect(answer.json["error"] as? String == code, "\(body): \(answer.json)")
                #expect(!(answer.json["message"] as? String ?? "").isEmpty)
            }
            let wrong = try await client.json(
                .post, "/v1/me/password", token: token, body: #"{"current_password":"not my password at all","new_password":"a long enough new one"}"#)
            #expect(wrong.status == .unauthorized)
            #expect(try await client.json(.post, "/v1/me/password", body: #"{"current_password":"x","new_password":"y"}"#).status == .unauthorized)
            #expect(try await hash() == before)
            #expect(try await client.json(.get, "/v1/me/profile", token: token).status == .ok)
            _ = try await client.citizenToken("badchange@example.ie")
        }
    }

    /// A login that has failed too often answers 429 with `Retry-After`, the same for a login that has no account.
    @Test func aWaitingLoginAnswers429WithRetryAfter() async throws {
        // A clock that stands still: the wait left is exactly the wait, however slowly the machine runs.
        let fixture = try APIFixture(clock: ManualServiceClock()) {
            $0.loginFailureLimit = 2
            $0.loginDelayBaseSeconds = 90
            $0.loginDelayCapSeconds = 600
        }
        try await fixture.application().test(.router) { client in
            _ = try await client.citizenToken("waits@example.ie")
            var answers: [[String]] = []
            for login in ["waits@example.ie", "nobody-here@example.ie"] {
                for attempt in 0..<3 {
                    let answer = try await client.json(
                        .post, "/v1/sessions", body: #"{"login":"\#(login)","password":"wrong guess \#(attempt)"}"#)
                    answers.append([
                        String(answer.status.code), answer.json["error"] as? String ?? "", answer.json["message"] as? String ?? "",
                        answer.headers[.retryAfter] ?? "-",
                    ])
                }
            }
            #expect(answers[0] == ["401", "bad_credentials", "the sign-in details are not correct", "-"])
            #expect(answers[2] == ["429", "too_many_attempts", "too many sign-in attempts; wait 2 minutes and try again", "90"])
            #expect(Array(answers[0..<3]) == Array(answers[3..<6]), "known and unknown logins answer alike: \(answers)")
        }
    }
}

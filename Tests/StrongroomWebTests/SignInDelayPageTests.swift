import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Strongroom
import Testing

/// The sign-in pages say in words how long a login must wait, with the same words for every login.
@Suite struct SignInDelayPageTests {
    static let password = "correct horse battery staple"

    static func configure(_ configuration: inout StrongroomConfiguration) {
        configuration.loginFailureLimit = 2
        configuration.loginDelayBaseSeconds = 90
        configuration.loginDelayCapSeconds = 600
    }

    @Test func theCitizenSignInPageSaysHowLongToWait() async throws {
        // A clock that stands still: the wait left is exactly the wait, however slowly the machine runs.
        let fixture = try await WebFixture(clock: ManualServiceClock(), Self.configure)
        try await fixture.installation.accounts.signUp(login: "waiting@example.ie", password: Self.password, context: AccessContext(requestID: "t"))
        try await fixture.application().test(.router) { client in
            var answers: [String: (status: HTTPResponse.Status, retryAfter: String?, message: String)] = [:]
            for login in ["waiting@example.ie", "nobody-at-all@example.ie"] {
                var browser = Browser()
                _ = try await browser.get(client, "/sign-in?lang=en")
                for attempt in 0..<2 {
                    let wrong = try await browser.post(client, "/sign-in", [("login", login), ("password", "wrong guess \(attempt)"), ("return", "")])
                    #expect(wrong.status == .badRequest && wrong.body.contains("The email address or password is not right"))
                }
                let waiting = try await browser.post(client, "/sign-in", [("login", login), ("password", Self.password), ("return", "")])
                let message = "There have been too many attempts to sign in. Wait 2 minutes, then try again."
                #expect(waiting.body.contains(message), "\(waiting.body)")
                // In the error summary, tied to the login field, on the sign-in form (not a dead-end error page).
                #expect(waiting.body.contains("href=\"#login\"") && waiting.body.contains("name=\"password\""))
                answers[login] = (waiting.status, waiting.headers[.retryAfter], message)
                // In Hungarian too.
                _ = try await browser.get(client, "/sign-in?lang=hu")
                let hungarian = try await browser.post(client, "/sign-in", [("login", login), ("password", Self.password), ("return", "")])
                #expect(hungarian.body.contains("Várjon 2 percet, majd próbálja újra."), "\(hungarian.body)")
            }
            let known = try #require(answers["waiting@example.ie"]), unknown = try #require(answers["nobody-at-all@example.ie"])
            #expect(known.status == .tooManyRequests && known.retryAfter == "90")
            #expect(known.status == unknown.status && known.retryAfter == unknown.retryAfter)
        }
    }

    @Test func theStaffSignInPageSaysHowLongAndTheOwnerWithACodeGetsIn() async throws {
        let fixture = try await WebFixture(clock: ManualServiceClock(), Self.configure)
        let enrolment = try await fixture.installation.accounts.addStaff(
            login: "held@agency.example", roles: ["caseworker"], office: "central", by: .system(), context: AccessContext(requestID: "t"))
        try await fixture.application().test(.router) { client in
            var attacker = Browser()
            _ = try await attacker.get(client, "/staff/sign-in?lang=en")
            for attempt in 0..<3 {
                _ = try await attacker.post(client, "/staff/sign-in", [("login", "held@agency.example"), ("password", "guess \(attempt)"), ("code", "000000")])
            }
            let held = try await attacker.post(
                client, "/staff/sign-in", [("login", "held@agency.example"), ("password", "guess 9"), ("code", "000000")])
            #expect(held.status == .tooManyRequests && held.headers[.retryAfter] != nil)
            #expect(held.body.contains("There have been too many attempts to sign in. Wait"), "\(held.body)")
            #expect(held.body.contains("your right password with the code your app shows now signs you in"))
            // The owner, from another browser, with the right password and the current code.
            var owner = Browser()
            _ = try await owner.get(client, "/staff/sign-in?lang=en")
            let code = try fixture.installation.accounts.unsafeCurrentOneTimeCode(accountID: enrolment.accountID)
            let signedIn = try await owner.post(
                client, "/staff/sign-in", [("login", "held@agency.example"), ("password", enrolment.password), ("code", code)])
            #expect(signedIn.status == .seeOther && signedIn.location?.hasPrefix("/staff/purpose") == true)
        }
    }
}

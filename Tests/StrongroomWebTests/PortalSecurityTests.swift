import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Strongroom
import StrongroomAPI
import StrongroomWeb
import Testing

/// The portal's own defences, tried as an attacker would: another site's form, a missing or wrong token, a stolen
/// return address, a cookie that does not decide anything, another citizen's request.
@Suite struct PortalSecurityTests {
    static let csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    @Test func everyPageCarriesTheSecurityHeaders() async throws {
        let fixture = try await WebFixture()
        try await fixture.application().test(.router) { client in
            var browser = Browser()
            for path in ["/", "/sign-in", "/sign-up", "/services/change-of-address", "/accessibility", "/privacy-notice", "/no-such-page-here"] {
                let page = try await browser.get(client, path)
                #expect(page.headers[HTTPField.Name("Content-Security-Policy")!] == Self.csp, "\(path)")
                #expect(page.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff", "\(path)")
                #expect(page.headers[HTTPField.Name("Referrer-Policy")!] == "same-origin", "\(path)")
                #expect(page.headers[HTTPField.Name("X-Frame-Options")!] == "DENY", "\(path)")
                if path != "/no-such-page-here" {
                    #expect(page.headers[.cacheControl] == "no-store", "\(path)")
                    #expect(page.body.contains("<html lang=\""), "\(path)")
                    // No inline script and no inline style: the CSP forbids both, so a page relying on them breaks.
                    #expect(!page.body.contains("<script>"), "\(path)")
                    #expect(!page.body.contains(" style="), "\(path)")
                }
            }
            try await browser.signUpAndIn(client, login: "headers@example.org")
            for path in ["/requests", "/profile", "/profile/edit", "/privacy", "/privacy/access", "/privacy/erasure"] {
                let page = try await browser.get(client, path)
                #expect(page.status == .ok, "\(path)")
                #expect(page.headers[.cacheControl] == "no-store", "\(path)")
                #expect(page.headers[HTTPField.Name("Content-Security-Policy")!] == Self.csp, "\(path)")
            }
        }
    }

    @Test func strictTransportSecurityOnlyBehindTLS() async throws {
        let fixture = try await WebFixture()
        try await fixture.application().test(.router) { client in
            var browser = Browser()
            let page = try await browser.get(client, "/")
            #expect(page.headers[HTTPField.Name("Strict-Transport-Security")!] == nil)
        }
        let behindTLS = try await Portal(installation: fixture.installation, tls: true)
        let app = Application(router: buildRouter(installation: fixture.installation, additionalRoutes: [behindTLS.routes]))
        try await app.test(.router) { client in
            var browser = Browser()
            let page = try await browser.get(client, "/sign-in")
            #expect(page.headers[HTTPField.Name("Strict-Transport-Security")!] == "max-age=31536000; includeSubDomains")
        }
    }

    @Test func unknownAddressesGetTheRightKindOfNotFound() async throws {
        let fixture = try await WebFixture()
        try await fixture.application().test(.router) { client in
            var browser = Browser()
            let page = try await browser.get(client, "/no/such/page")
            #expect(page.status == .notFound)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            let api = try await browser.get(client, "/v1/no-such-route")
            #expect(api.status == .notFound)
            #expect(api.headers[.contentType]?.hasPrefix("application/json") == true, "API clients keep their JSON errors")
        }
    }

    @Test func sessionCookieIsHostBoundSecureHttpOnlyAndNewAtEverySignIn() async throws {
        let fixture = try await WebFixture()
        try await fixture.application().test(.router) { client in
            var browser = Browser()
            try await browser.signUpAndIn(client, login: "cookie@example.org")
            let first = try #require(browser.cookies["__Host-sr-session"])
            _ = try await browser.get(client, "/sign-in")
            // Signed in already: the sign-in page sends the person on; sign in again from a fresh page.
            var again = Browser()
            _ = try await again.get(client, "/sign-in")
            let response = try await again.post(client, "/sign-in", [("login", "cookie@example.org"), ("password", "correct horse battery staple")])
            let setCookie = try #require(response.headers[values: .setCookie].first { $0.hasPrefix("__Host-sr-session=") })
            #expect(setCookie.contains("; Path=/"))
            #expect(setCookie.contains("; Secure"))
            #expect(setCookie.contains("; HttpOnly"))
            #expect(setCookie.contains("; SameSite=Lax"))
            #expect(!setCookie.contains("Domain="))
            #expect(again.cookies["__Host-sr-session"] != first, "every sign-in gets a new session id")
        }
    }

    @Test func crossSitePostsAndMissingOrWrongTokensAreRefusedAndChangeNothing() async throws {
        let fixture = try await WebFixture()
        try await fixture.application().test(.router) { client in
            var browser = Browser()
            try await browser.signUpAndIn(client, login: "csrf@example.org")
            _ = try await browser.get(client, "/profile/edit")
            let change = [("f.family_name", "Forged")]
            let crossSite = try await browser.post(client, "/profile/edit", change, headers: [HTTPField.Name("Sec-Fetch-Site")!: "cross-site"])
            #expect(crossSite.status == .forbidden)
            let otherOrigin = try await browser.post(client, "/profile/edit", change, headers: [.origin: "http://evil.example"])
            #expect(otherOrigin.status == .forbidden)
            let noToken = try await browser.post(client, "/profile/edit", change, csrf: "")
            #expect(noToken.status == .forbidden)
            let wrongToken = try await browser.post(client, "/profile/edit", change, csrf: String(repeating: "0", count: 64))
            #expect(wrongToken.status == .forbidden)
            // The anonymous token of the sign-in form is not the session's.
            let anonymous = try #require(browser.cookies["__Host-sr-csrf"])
            let anonymousToken = try await browser.post(client, "/profile/edit", change, csrf: anonymous)
            #expect(anonymousToken.status == .forbidden)
            let profile = try await browser.get(client, "/profile")
            #expect(!profile.body.contains("Forged"))
            // Nothing changes on GET either: the state-changing paths answer GET with 404/405, never act.
            let viaGet = try await browser.get(client, "/sign-out")
            #expect(viaGet.status != .seeOther)
            #expect(try await browser.get(client, "/requests").status == .ok, "still signed in")
            // The right token works.
            let real = try await browser.post(client, "/profile/edit", change)
            #expect(real.status == .seeOther)
        }
    }

    @Test func aFormThatIsNotFormEncodingIsRefusedAndChangesNothing() async throws {
        let fixture = try await WebFixture()
        try await fixture.application().test(.router) { client in
            var browser = Browser()
            try await browser.signUpAndIn(client, login: "badform@example.org")
            _ = try await browser.get(client, "/profile/edit")
            let cookie = browser.cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ")
            let bodies: [(type: String, body: String)] = [
                ("application/json", #"{"csrf":"\#(browser.csrf)","f.family_name":"Json"}"#),
                ("application/x-www-form-urlencoded", "csrf=\(browser.csrf)&f.family_name=%ZZbroken"),
                ("application/x-www-form-urlencoded", "csrf=\(browser.csrf)&f.family_name=%C3"),
            ]
            for (type, body) in bodies {
                let status = try await client.execute(
                    uri: "/profile/edit", method: .post, headers: [.contentType: type, .cookie: cookie], body: ByteBuffer(string: body)
                ) { $0.status }
                #expect(status == .badRequest, "\(type): \(body)")
            }
            let profile = try await browser.get(client, "/profile")
            #expect(!profile.body.contains("Json"))
            #expect(!profile.body.contains("broken"))
        }
    }

    @Test func signInFormIsProtectedToo() async throws {
        let fixture = try await WebFixture()
        try await fixture.application().test(.router) { client in
            var browser = Browser()
            _ = try await browser.get(client, "/sign-up")
            _ = try await browser.post(client, "/sign-up", [("login", "login-csrf@example.org"), ("password", "correct horse battery staple"), ("password_confirm", "correct horse battery staple")])
            _ = try await browser.get(client, "/sign-in")
            let forced = try await browser.post(
                client, "/sign-in", [("login", "login-csrf@example.org"), ("password", "correct horse battery staple")], csrf: "")
            #expect(forced.status == .forbidden)
            #expect(browser.cookies["__Host-sr-session"] == nil)
        }
    }

    @Test func returnAddressesStayInsideThePortal() async throws {
        let fixture = try await WebFixture()
        try await fixture.application().test(.router) { client in
            var browser = Browser()
            _ = try await browser.get(client, "/sign-up")
            _ = try await browser.post(client, "/sign-up", [("login", "redirect@example.org"), ("password", "correct horse battery staple"), ("password_confirm", "correct horse battery staple")])
            for target in ["//evil.example/x", "https://evil.example/", "/\\evil.example", "/v1/me/export", "javascript:alert(1)"] {
                var fresh = Browser()
                _ = try await fresh.get(client, "/sign-in")
                let page = try await fresh.post(
                    client, "/sign-in", [("login", "redirect@example.org"), ("password", "correct horse battery staple"), ("return", target)])
                #expect(page.status == .seeOther)
                #expect(page.location == "/requests", "\(target) must not be followed")
            }
            var good = Browser()
            _ = try await good.get(client, "/sign-in")
            let page = try await good.post(
                client, "/sign-in", [("login", "redirect@example.org"), ("password", "correct horse battery staple"), ("return", "/profile")])
            #expect(page.location == "/profile")
        }
    }

    @Test func signedOutVisitorsAreSentToSignInAndBack() async throws {
        let fixture = try await WebFixture()
        try await fixture.application().test(.router) { client in
            var browser = Browser()
            let page = try await browser.get(client, "/privacy/access")
            #expect(page.status == .seeOther)
            #expect(page.location == "/sign-in?return=%2Fprivacy%2Faccess")
            // A made-up session cookie is not a session.
            browser.cookies["__Host-sr-session"] = "forged-token-of-my-own"
            let forged = try await browser.get(client, "/requests")
            #expect(forged.status == .seeOther)
            #expect(browser.cookies["__Host-sr-session"] == nil, "the bad cookie is cleared")
        }
    }

    @Test func anotherCitizensRequestIsNotFound() async throws {
        let fixture = try await WebFixture()
        try await fixture.application().test(.router) { client in
            var owner = Browser()
            try await owner.signUpAndIn(client, login: "owner@example.org")
            let started = try await owner.post(client, "/services/change-of-address/start", [])
            let step = try #require(started.location)
            let stepRange = try #require(step.range(of: "/step/"))
            let requestPath = String(step[..<stepRange.lowerBound])
            var other = Browser()
            try await other.signUpAndIn(client, login: "other@example.org")
            for path in [requestPath, requestPath + "/check", step] {
                let page = try await other.get(client, path)
                #expect(page.status == .notFound, "\(path)")
            }
            _ = try await other.get(client, "/requests")
            let posted = try await other.post(client, step, [("f.new_address.line1", "Mine now"), ("action", "continue")])
            #expect(posted.status == .notFound)
        }
    }
}

import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Strongroom
import StrongroomWeb
import Testing

/// Citizen journeys over HTTP through the pages (the browser suite drives the same pages in Chromium).
@Suite struct JourneyTests {
    static func requestPath(_ stepLocation: String?) throws -> String {
        let location = try #require(stepLocation)
        let range = try #require(location.range(of: "/step/"))
        return String(location[..<range.lowerBound])
    }

    @Test func changeOfAddressFromStartToAutomaticApproval() async throws {
        let fixture = try await WebFixture()
        try await fixture.application().test(.router) { client in
            var browser = Browser()
            try await browser.signUpAndIn(client, login: "mover@example.org")
            _ = try await browser.get(client, "/services/change-of-address")
            let started = try await browser.post(client, "/services/change-of-address/start", [])
            #expect(started.status == .seeOther)
            let request = try Self.requestPath(started.location)
            _ = try await browser.get(client, request + "/step/1")
            // Step 1 asks for the new address and its postcode together (`page: new_address` in the catalog).
            // A wrong postcode: the page comes back with the summary, the message and the typed value; nothing stored.
            let addressFields = [
                ("f.new_address.line1", "7 Quay Lane"), ("f.new_address.city", "Northhaven"),
                ("f.new_address.postcode", "40100"), ("f.new_address.country", "IE"),
            ]
            let wrong = try await browser.post(client, request + "/step/1", addressFields + [("f.postcode", "ABCDE"), ("action", "continue")])
            #expect(wrong.status == .badRequest)
            #expect(wrong.body.contains("<title>Hiba: "))
            #expect(wrong.body.contains(##"href="#f-postcode""##))
            #expect(wrong.body.contains(#"id="f-postcode-error""#))
            #expect(wrong.body.contains(#"value="ABCDE""#))
            #expect(wrong.body.contains(#"value="7 Quay Lane""#), "the other answers on the page are kept")
            let check = try await browser.get(client, request + "/check")
            #expect(!check.body.contains("ABCDE"))
            #expect(!check.body.contains("7 Quay Lane"), "a page with an error stores none of its answers")
            // Required, left empty: the same page says so.
            let empty = try await browser.post(client, request + "/step/1", addressFields + [("f.postcode", ""), ("action", "continue")])
            #expect(empty.status == .badRequest)

            let address = try await browser.post(client, request + "/step/1", addressFields + [("f.postcode", "40100"), ("action", "continue")])
            #expect(address.location == request + "/step/2")
            let badDate = try await browser.post(client, request + "/step/2", [
                ("f.move_date.year", "2026"), ("f.move_date.month", "2"), ("f.move_date.day", "30"), ("action", "continue"),
            ])
            #expect(badDate.status == .badRequest)
            #expect(badDate.body.contains(##"href="#f-move_date-year""##))
            let today = CalendarDate.today()
            _ = try await browser.post(client, request + "/step/2", [
                ("f.move_date.year", String(today.year)), ("f.move_date.month", String(today.month)), ("f.move_date.day", String(today.day)),
                ("action", "continue"),
            ])
            let last = try await browser.post(client, request + "/step/3", [("f.contact_email", "mover@example.org"), ("action", "continue")])
            #expect(last.location == request + "/check")

            let answers = try await browser.get(client, request + "/check")
            #expect(answers.body.contains("7 Quay Lane"))
            #expect(answers.body.contains(request + "/step/2?from=check"))
            #expect(answers.body.contains(request + "/step/1?from=check"))
            // No declaration: refused with its own message.
            let undeclared = try await browser.post(client, request + "/submit", [])
            #expect(undeclared.status == .badRequest)
            #expect(undeclared.body.contains(##"href="#declaration""##))
            let sent = try await browser.post(client, request + "/submit", [("declaration", "yes")])
            #expect(sent.location == request + "/submitted")
            let confirmation = try await browser.get(client, request + "/submitted?lang=en")
            #expect(confirmation.body.contains("Request sent"))
            #expect(confirmation.body.contains("REQ-"))
            #expect(confirmation.body.contains("approved"), "the automatic decision is shown at once")
            let page = try await browser.get(client, request)
            #expect(page.body.contains("Approved"))
            #expect(page.body.contains("<html lang=\"en\""))
        }
    }

    @Test func aDraftIsSavedAndResumedAfterSigningOut() async throws {
        let fixture = try await WebFixture()
        try await fixture.application().test(.router) { client in
            var browser = Browser()
            try await browser.signUpAndIn(client, login: "draft@example.org")
            let started = try await browser.post(client, "/services/benefit-application/start", [])
            let request = try Self.requestPath(started.location)
            _ = try await browser.get(client, request + "/step/1")
            let saved = try await browser.post(client, request + "/step/1", [("f.full_name", "Kovács Anna"), ("action", "save-and-leave")])
            #expect(saved.location?.hasPrefix("/requests?saved=") == true)
            let list = try await browser.get(client, "/requests")
            #expect(list.body.contains(request + "/check"))
            _ = try await browser.post(client, "/sign-out", [])
            #expect(try await browser.get(client, request + "/step/1").status == .seeOther)
            _ = try await browser.get(client, "/sign-in")
            _ = try await browser.post(client, "/sign-in", [("login", "draft@example.org"), ("password", "correct horse battery staple")])
            let resumed = try await browser.get(client, request + "/step/1")
            #expect(resumed.body.contains(#"value="Kovács Anna""#))
        }
    }

    @Test func answersSentAfterTheSessionEndedAreKeptThroughSignIn() async throws {
        let fixture = try await WebFixture()
        try await fixture.application().test(.router) { client in
            var browser = Browser()
            try await browser.signUpAndIn(client, login: "slow@example.org")
            let started = try await browser.post(client, "/services/benefit-application/start", [])
            let request = try Self.requestPath(started.location)
            _ = try await browser.get(client, request + "/step/1")
            // The session ends (here: revoked, as the idle limit would) while the page is open.
            let token = try #require(browser.cookies["__Host-sr-session"])
            try await fixture.installation.accounts.logOut(token: token, context: AccessContext(requestID: "test"))
            let carried = try await browser.post(client, request + "/step/1", [("f.full_name", "Szabó Éva"), ("action", "continue")])
            #expect(carried.status == .ok)
            #expect(carried.body.contains(#"name="f.full_name" value="Szabó Éva""#), "the answer goes back inside the sign-in form")
            #expect(carried.body.contains(#"name="resume""#))
            // A wrong password keeps carrying it.
            let wrong = try await browser.post(client, "/sign-in", [
                ("login", "slow@example.org"), ("password", "not the password at all"), ("resume", request + "/step/1"),
                ("f.full_name", "Szabó Éva"),
            ])
            #expect(wrong.body.contains(#"name="f.full_name" value="Szabó Éva""#))
            let signedIn = try await browser.post(client, "/sign-in", [
                ("login", "slow@example.org"), ("password", "correct horse battery staple"), ("resume", request + "/step/1"),
                ("f.full_name", "Szabó Éva"),
            ])
            #expect(signedIn.location == request + "/step/1?saved=1")
            let step = try await browser.get(client, request + "/step/1")
            #expect(step.body.contains(#"value="Szabó Éva""#), "saved once signed in again")
        }
    }

    @Test func anotherSitesFormIsNotCarriedThroughSignIn() async throws {
        let fixture = try await WebFixture()
        try await fixture.application().test(.router) { client in
            var browser = Browser()
            try await browser.signUpAndIn(client, login: "victim@example.org")
            let started = try await browser.post(client, "/services/benefit-application/start", [])
            let request = try Self.requestPath(started.location)
            let token = try #require(browser.cookies["__Host-sr-session"])
            try await fixture.installation.accounts.logOut(token: token, context: AccessContext(requestID: "test"))
            // Without the old session's token (a forged form), nothing is carried: plain sign-in redirect.
            let forged = try await browser.post(client, request + "/step/1", [("f.full_name", "Planted")], csrf: String(repeating: "a", count: 64))
            #expect(forged.status == .seeOther)
            #expect(!forged.body.contains("Planted"))
        }
    }

    @Test func theProfileFillsInServiceForms() async throws {
        let fixture = try await WebFixture()
        try await fixture.application().test(.router) { client in
            var browser = Browser()
            try await browser.signUpAndIn(client, login: "prefill@example.org")
            _ = try await browser.get(client, "/profile/edit")
            let saved = try await browser.post(client, "/profile/edit", [
                ("f.family_name", "Kovács"), ("f.given_names", "Anna"), ("f.email", "anna@example.org"),
            ])
            #expect(saved.location == "/profile?saved=1")
            let profile = try await browser.get(client, "/profile")
            #expect(profile.body.contains("Kovács"))
            let started = try await browser.post(client, "/services/benefit-application/start", [])
            let request = try Self.requestPath(started.location)
            let hungarian = try await browser.get(client, request + "/step/1?lang=hu")
            #expect(hungarian.body.contains(#"value="Kovács Anna""#), "Hungarian order: family name first")
            let english = try await browser.get(client, request + "/step/1?lang=en")
            #expect(english.body.contains(#"value="Anna Kovács""#))
            // A bad profile value comes back with its error and changes nothing.
            _ = try await browser.get(client, "/profile/edit")
            let bad = try await browser.post(client, "/profile/edit", [("f.family_name", "Kovács"), ("f.email", "not an address")])
            #expect(bad.status == .badRequest)
            #expect(bad.body.contains(##"href="#f-email""##))
            #expect(try await browser.get(client, "/profile").body.contains("anna@example.org"))
        }
    }

    @Test func languageIsChosenBySwitchThenCookieThenBrowser() async throws {
        let fixture = try await WebFixture()
        try await fixture.application().test(.router) { client in
            var browser = Browser()
            #expect(try await browser.get(client, "/").body.contains(#"<html lang="hu""#), "the agency's first language")
            var english = Browser()
            let accepted = try await english.get(client, "/", headers: [.acceptLanguage: "en-GB,en;q=0.9,hu;q=0.5"])
            #expect(accepted.body.contains(#"<html lang="en""#))
            #expect(accepted.body.contains(#"hreflang="hu""#))
            let switched = try await english.get(client, "/?lang=hu", headers: [.acceptLanguage: "en"])
            #expect(switched.body.contains(#"<html lang="hu""#))
            let remembered = try await english.get(client, "/sign-in", headers: [.acceptLanguage: "en"])
            #expect(remembered.body.contains(#"<html lang="hu""#), "the switch is remembered")
            #expect(remembered.headers[HTTPField.Name("Content-Language")!] == "hu")
            let unknown = try await english.get(client, "/?lang=xx")
            #expect(unknown.body.contains(#"<html lang="hu""#))
        }
    }

    @Test func theProfilesLanguageComesBeforeTheBrowsersAtSignIn() async throws {
        let fixture = try await WebFixture()
        try await fixture.application().test(.router) { client in
            var browser = Browser()
            try await browser.signUpAndIn(client, login: "nyelv@example.org")
            let form = try await browser.get(client, "/profile/edit?lang=hu")
            #expect(form.body.contains(#"name="f.language" value="en""#) && form.body.contains("Az oldalak és üzenetek nyelve"))
            // A language the portal does not offer is refused with the field's error, and nothing is saved.
            let refused = try await browser.post(client, "/profile/edit", [("f.family_name", "Nagy"), ("f.language", "xx")])
            #expect(refused.status == .badRequest)
            #expect(refused.body.contains(##"href="#f-language-0""##) || refused.body.contains(##"href="#f-language""##))
            #expect(!(try await browser.get(client, "/profile").body.contains("Nagy")))
            let saved = try await browser.post(client, "/profile/edit", [("f.family_name", "Nagy"), ("f.language", "en")])
            #expect(saved.location == "/profile?saved=1")
            #expect(saved.headers[values: .setCookie].contains { $0.hasPrefix("__Host-sr-lang=en;") }, "saving applies the language at once")
            let profile = try await browser.get(client, "/profile")
            #expect(profile.body.contains(#"<html lang="en""#) && profile.body.contains("English"))

            // Another browser that remembers Hungarian: after signing in, the profile's English applies.
            var other = Browser()
            _ = try await other.get(client, "/?lang=hu")
            _ = try await other.get(client, "/sign-in")
            let signedIn = try await other.post(client, "/sign-in", [("login", "nyelv@example.org"), ("password", "correct horse battery staple"), ("return", "")])
            #expect(signedIn.status == .seeOther)
            #expect(try await other.get(client, "/requests").body.contains(#"<html lang="en""#))
            // The switch still works afterwards.
            #expect(try await other.get(client, "/requests?lang=hu").body.contains(#"<html lang="hu""#))
            #expect(try await other.get(client, "/requests").body.contains(#"<html lang="hu""#))
        }
    }

    @Test func messagesWithdrawalAccessReportExportAndErasure() async throws {
        let fixture = try await WebFixture()
        try await fixture.application().test(.router) { client in
            var browser = Browser()
            try await browser.signUpAndIn(client, login: "rights@example.org")
            let started = try await browser.post(client, "/services/benefit-application/start", [])
            let request = try Self.requestPath(started.location)
            let answers: [[(String, String)]] = [
                [("f.full_name", "Nagy Péter")], [("f.national_id", "1234567TA")],
                [("f.monthly_income", "950,50"), ("f.household_size", "3")], [("f.bank_account", "IE29AIBK93115212345678")],
                [("f.reason", "Our household income fell this year.")],
            ]
            for (index, fields) in answers.enumerated() {
                let page = try await browser.post(client, request + "/step/\(index + 1)", fields + [("action", "continue")])
                #expect(page.status == .seeOther, "step \(index + 1): \(page.body.contains("error-summary") ? "errors" : "")")
            }
            let check = try await browser.get(client, request + "/check?lang=hu")
            #expect(check.body.contains("950,50\u{00A0}€"))
            _ = try await browser.post(client, request + "/submit", [("declaration", "yes")])
            let sent = try await browser.post(client, request + "/messages", [("message", "I can send my payslips.")])
            #expect(sent.location == request + "?sent=1#messages")
            let emptyMessage = try await browser.post(client, request + "/messages", [("message", "   ")])
            #expect(emptyMessage.status == .badRequest)
            let page = try await browser.get(client, request)
            #expect(page.body.contains("I can send my payslips."))

            let report = try await browser.get(client, "/privacy/access")
            #expect(report.status == .ok)
            let export = try await browser.get(client, "/privacy/export")
            #expect(export.status == .ok)
            #expect(export.headers[HTTPField.Name("Content-Disposition")!]?.hasPrefix("attachment;") == true)
            #expect(export.body.contains("Nagy Péter"))

            _ = try await browser.get(client, request + "/withdraw")
            let withdrawn = try await browser.post(client, request + "/withdraw", [])
            #expect(withdrawn.location == request + "?withdrawn=1")
            #expect(try await browser.get(client, request).body.contains("Visszavonva"))

            _ = try await browser.get(client, "/privacy/erasure")
            let unconfirmed = try await browser.post(client, "/privacy/erasure", [])
            #expect(unconfirmed.status == .badRequest)
            let scheduled = try await browser.post(client, "/privacy/erasure", [("confirm", "yes")])
            #expect(scheduled.status == .ok)
        }
    }
}

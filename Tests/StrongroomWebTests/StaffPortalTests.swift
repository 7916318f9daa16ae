import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Catalog
import Strongroom
import StrongroomWeb
import TestSupport
import Testing

/// The staff pages over the real router: sign-in with a one-time code, the purpose chosen once per task, the queue,
/// the case page with masked fields, claim, request for information, decision, and the boundaries between citizens'
/// and staff's pages.
@Suite struct StaffPortalTests {
    static let benefit: [String: FieldInput] = [
        "full_name": .string("Aoife Byrne"), "national_id": .string("1234567AB"), "monthly_income": .decimal("1450.00"),
        "household_size": .integer(3), "bank_account": .string("IE29AIBK93115212345678"), "reason": .string("Reduced hours at work since May."),
    ]

    /// A citizen with a submitted benefit application (it goes to review), made through the service layer.
    static func submittedRequest(_ fixture: WebFixture, login: String) async throws -> (id: String, citizen: AuthenticatedCaller) {
        let context = AccessContext(requestID: "test")
        try await fixture.installation.accounts.signUp(login: login, password: "correct horse battery staple", context: context)
        let session = try await fixture.installation.accounts.logIn(login: login, password: "correct horse battery staple", address: "127.0.0.1", context: context)
        let view = try await fixture.installation.records.createRequest(
            serviceID: "benefit-application", values: benefit, submit: true, caller: session.caller, access: context)
        #expect(view.status == "submitted")
        return (view.id, session.caller)
    }

    /// A caseworker of the central office, signed in through the staff sign-in page; returns the browser on /staff/purpose.
    static func caseworker(
        _ fixture: WebFixture, _ client: some TestClientProtocol, login: String, roles: Set<String> = ["caseworker"], office: String? = "central"
    ) async throws -> Browser {
        let enrolment = try await fixture.installation.accounts.addStaff(
            login: login, roles: roles, office: office, by: .system(), context: AccessContext(requestID: "test"))
        var browser = Browser()
        _ = try await browser.get(client, "/staff/sign-in?lang=en")
        // A wrong code is refused with the same words as a wrong password.
        let wrong = try await browser.post(client, "/staff/sign-in", [("login", login), ("password", enrolment.password), ("code", "000000")])
        #expect(wrong.status == .badRequest && wrong.body.contains("not a staff account"))
        let code = try fixture.installation.accounts.unsafeCurrentOneTimeCode(accountID: enrolment.accountID)
        let signedIn = try await browser.post(client, "/staff/sign-in", [("login", login), ("password", enrolment.password), ("code", code)])
        #expect(signedIn.status == .seeOther && signedIn.location?.hasPrefix("/staff/purpose") == true, "\(signedIn.status) \(signedIn.location ?? "")")
        // The purpose page, as the redirect leads there (it also carries the new session's form token).
        #expect(try await browser.get(client, "/staff/purpose").status == .ok)
        return browser
    }

    @Test func aCaseworkerClaimsReadsMaskedAsksAndDecides() async throws {
        let fixture = try await WebFixture()
        let (id, citizen) = try await Self.submittedRequest(fixture, login: "aoife@example.ie")
        try await fixture.application().test(.router) { client in
            var staff = try await Self.caseworker(fixture, client, login: "carol@agency.example")
            // Without a purpose, every staff page asks for one first, and nothing is read.
            let before = try await staff.get(client, "/staff/cases/\(id)?lang=en")
            #expect(before.status == .seeOther && before.location == "/staff/purpose?return=%2Fstaff%2Fcases%2F\(id)")
            let purposes = try await staff.get(client, "/staff/purpose")
            #expect(purposes.body.contains(#"value="case-handling""#))
            #expect(!purposes.body.contains(#"value="citizen-self-service""#) && !purposes.body.contains(#"value="audit""#), "only the caseworker's purposes")
            let refused = try await staff.post(client, "/staff/purpose", [("purpose", "audit")])
            #expect(refused.status == .badRequest)
            let chosen = try await staff.post(client, "/staff/purpose", [("purpose", "case-handling"), ("return", "/staff")])
            #expect(chosen.status == .seeOther && chosen.location == "/staff")
            #expect(chosen.headers[values: .setCookie].contains { $0.hasPrefix("__Host-sr-purpose=case-handling;") && $0.contains("HttpOnly") && $0.contains("Secure") })

            // The queue shows metadata only: the reference, never a field value.
            let queue = try await staff.get(client, "/staff")
            #expect(queue.status == .ok)
            #expect(queue.body.contains("/staff/cases/\(id)") && queue.body.contains("Unassigned (1)"))
            #expect(!queue.body.contains("Aoife") && !queue.body.contains("1234567AB"))
            #expect(queue.body.contains("Purpose of use:") && queue.body.contains("Case handling"))
            #expect(queue.headers[.cacheControl] == "no-store")

            // The case page: the policies mask the national id and the bank account.
            let page = try await staff.get(client, "/staff/cases/\(id)")
            #expect(page.body.contains("Aoife Byrne"))
            #expect(!page.body.contains("1234567AB") && !page.body.contains("IE29AIBK93115212345678"), "masked fields are not shown whole")
            #expect(page.body.contains("Take this case"))
            #expect(!page.body.contains("Record the decision"), "only the assignee decides")

            let claimed = try await staff.post(client, "/staff/cases/\(id)/claim", [])
            #expect(claimed.location == "/staff/cases/\(id)?done=claimed")
            let mine = try await staff.get(client, claimed.location!)
            #expect(mine.body.contains("Record the decision") && mine.body.contains("The case is assigned to you."))

            // An empty question is an error on the page, and changes nothing.
            let empty = try await staff.post(client, "/staff/cases/\(id)/request-info", [("question", "  ")])
            #expect(empty.status == .badRequest && empty.body.contains(##"href="#question""##))
            let asked = try await staff.post(client, "/staff/cases/\(id)/request-info", [("question", "Please send your latest payslip.")])
            #expect(asked.location == "/staff/cases/\(id)?done=asked")
            let citizenView = try await fixture.installation.records.request(id, caller: citizen, access: AccessContext(requestID: "t"))
            #expect(citizenView.status == "info-requested")
            let messages = try await fixture.installation.records.messages(id, caller: citizen, access: AccessContext(requestID: "t"))
            #expect(messages.contains { $0.body == "Please send your latest payslip." && $0.kind == "info-request" })

            // The citizen answers and resubmits; the caseworker decides with a reason.
            _ = try await fixture.installation.records.postMessage(id, body: "Payslip attached by post.", caller: citizen, access: AccessContext(requestID: "t"))
            _ = try await fixture.installation.records.submitRequest(id, caller: citizen, access: AccessContext(requestID: "t"))
            let answered = try await staff.get(client, "/staff/cases/\(id)")
            #expect(answered.body.contains("Payslip attached by post.") && answered.body.contains("The citizen"))
            let noReason = try await staff.post(client, "/staff/cases/\(id)/decision", [("outcome", "approve"), ("reason", "")])
            #expect(noReason.status == .badRequest && noReason.body.contains(##"href="#reason""##))
            let decided = try await staff.post(client, "/staff/cases/\(id)/decision", [("outcome", "approve"), ("reason", "Income below the limit.")])
            #expect(decided.location == "/staff/cases/\(id)?done=decided")
            let final = try await fixture.installation.records.request(id, caller: citizen, access: AccessContext(requestID: "t"))
            #expect(final.status == "decided" && final.outcome == "approved" && final.decisionReason == "Income below the limit.")

            // The citizen's access report names the caseworker's role and the purpose chosen.
            let report = try await fixture.installation.records.accessReport(caller: citizen, access: AccessContext(requestID: "t"))
            #expect(report.entries.contains { $0.role.contains("caseworker") && $0.purpose == "case-handling" })
        }
    }

    @Test func citizensAndStaffStayOnTheirOwnSide() async throws {
        let fixture = try await WebFixture()
        let (id, _) = try await Self.submittedRequest(fixture, login: "sean@example.ie")
        try await fixture.application().test(.router) { client in
            // A signed-out visitor is sent to the staff sign-in, and back afterwards.
            var nobody = Browser()
            let away = try await nobody.get(client, "/staff/cases/\(id)")
            #expect(away.status == .seeOther && away.location == "/staff/sign-in?return=%2Fstaff%2Fcases%2F\(id)")
            // The session-timeout script sends to /sign-in; a staff page's return goes to the staff sign-in.
            let script = try await nobody.get(client, "/sign-in?expired=1&return=%2Fstaff")
            #expect(script.location == "/staff/sign-in?expired=1&return=%2Fstaff")

            // A citizen's session: the staff pages do not exist, and a citizen account cannot sign in there.
            var citizen = Browser()
            try await citizen.signUpAndIn(client, login: "niamh@example.ie")
            #expect(try await citizen.get(client, "/staff").status == .notFound)
            #expect(try await citizen.get(client, "/staff/cases/\(id)").status == .notFound)
            var other = Browser()
            _ = try await other.get(client, "/staff/sign-in")
            let asCitizen = try await other.post(client, "/staff/sign-in", [("login", "niamh@example.ie"), ("password", "correct horse battery staple"), ("code", "123456")])
            #expect(asCitizen.status == .badRequest && asCitizen.headers[values: .setCookie].allSatisfy { !$0.hasPrefix("__Host-sr-session=") || $0.contains("Max-Age=0") })

            // A staff session on the citizen's pages is sent to the staff side.
            var staff = try await Self.caseworker(fixture, client, login: "dara@agency.example")
            #expect(try await staff.get(client, "/requests").location == "/staff")
            // A forged purpose cookie (one the caseworker's roles may not use) counts as none.
            staff.cookies["__Host-sr-purpose"] = "audit"
            #expect(try await staff.get(client, "/staff").location?.hasPrefix("/staff/purpose") == true)
            // A cross-site claim is refused and changes nothing.
            staff.cookies["__Host-sr-purpose"] = "case-handling"
            _ = try await staff.get(client, "/staff/cases/\(id)")
            let forged = try await staff.post(client, "/staff/cases/\(id)/claim", [], headers: [HTTPField.Name("Sec-Fetch-Site")!: "cross-site"])
            #expect(forged.status == .forbidden)
            let noToken = try await staff.post(client, "/staff/cases/\(id)/claim", [], csrf: "")
            #expect(noToken.status == .forbidden)
            let queue = try await staff.get(client, "/staff?queue=unassigned")
            #expect(queue.body.contains("Unassigned (1)"), "the case is still unassigned")
        }
    }

    @Test func aSupervisorBreaksTheGlassAndAnAuditorReviewsIt() async throws {
        let fixture = try await WebFixture()
        let (id, citizen) = try await Self.submittedRequest(fixture, login: "ciara@example.ie")
        try await fixture.application().test(.router) { client in
            // A supervisor of another office: the case is not open to them, and the page does not say whether it exists.
            var supervisor = try await Self.caseworker(fixture, client, login: "sorcha@agency.example", roles: ["supervisor"], office: "north")
            _ = try await supervisor.post(client, "/staff/purpose", [("purpose", "supervision")])
            let closed = try await supervisor.get(client, "/staff/cases/\(id)")
            #expect(closed.status == .notFound && closed.body.contains("break the glass") && !closed.body.contains("Ciara"))
            let short = try await supervisor.post(client, "/staff/cases/\(id)/break-glass", [("justification", "urgent")])
            #expect(short.status == .badRequest && short.body.contains(##"href="#justification""##))
            let reason = "The citizen phoned about an eviction notice due tomorrow"
            let opened = try await supervisor.post(client, "/staff/cases/\(id)/break-glass", [("justification", reason)])
            #expect(opened.location == "/staff/cases/\(id)?done=opened")
            // The grant stands in for the justification on the next pages, within its time limit.
            let page = try await supervisor.get(client, "/staff/cases/\(id)")
            #expect(page.status == .ok && page.body.contains("Aoife Byrne") && !page.body.contains("1234567AB"))

            // A caseworker may not see the review screen.
            var carol = try await Self.caseworker(fixture, client, login: "carol@agency.example")
            _ = try await carol.post(client, "/staff/purpose", [("purpose", "case-handling")])
            #expect(try await carol.get(client, "/staff/break-glass").status == .notFound)

            // An auditor reads the reason and records a finding.
            var auditor = try await Self.caseworker(fixture, client, login: "aidan@agency.example", roles: ["auditor"], office: nil)
            _ = try await auditor.post(client, "/staff/purpose", [("purpose", "audit")])
            let waiting = try await auditor.get(client, "/staff/break-glass")
            #expect(waiting.status == .ok && waiting.body.contains(reason) && waiting.body.contains("supervisor (north)"))
            #expect(!waiting.body.contains("Aoife"), "the review screen shows the access, not the record")
            let seq = try #require(waiting.body.range(of: #"/staff/break-glass/(\d+)/review"#, options: .regularExpression).map { String(waiting.body[$0]) })
            let noFinding = try await auditor.post(client, seq, [])
            #expect(noFinding.status == .badRequest)
            let reviewed = try await auditor.post(client, seq, [("finding", "justified")])
            #expect(reviewed.location == "/staff/break-glass?done=reviewed")
            // Each access under the grant is its own entry to review; the one reviewed has left the waiting list.
            #expect(!(try await auditor.get(client, "/staff/break-glass").body.contains(seq)))
            #expect(try await auditor.get(client, "/staff/break-glass?all=1").body.contains("Justified"))

            // The citizen's access report marks the break-glass read.
            let report = try await fixture.installation.records.accessReport(caller: citizen, access: AccessContext(requestID: "t"))
            #expect(report.entries.contains { $0.breakGlass && $0.role.contains("supervisor") })
        }
    }

    @Test func aSupervisorAssignsAndReassignsWithinTheOffice() async throws {
        let fixture = try await WebFixture()
        let (id, citizen) = try await Self.submittedRequest(fixture, login: "niamh@example.ie")
        try await fixture.application().test(.router) { client in
            // Two caseworkers of the central office, one of the north office, and the central office's supervisor.
            var carol = try await Self.caseworker(fixture, client, login: "carol@agency.example")
            _ = try await carol.post(client, "/staff/purpose", [("purpose", "case-handling")])
            var conor = try await Self.caseworker(fixture, client, login: "conor@agency.example")
            _ = try await conor.post(client, "/staff/purpose", [("purpose", "case-handling")])
            _ = try await Self.caseworker(fixture, client, login: "dave@agency.example", office: "north")
            var sam = try await Self.caseworker(fixture, client, login: "sam@agency.example", roles: ["supervisor"])
            _ = try await sam.post(client, "/staff/purpose", [("purpose", "supervision")])

            // A caseworker is offered no assignment; a forged assignment from one is refused and changes nothing.
            let carolsPage = try await carol.get(client, "/staff/cases/\(id)")
            #expect(carolsPage.status == .ok && !carolsPage.body.contains("Assign the case"))
            let carolsId = try #require(try await fixture.installation.accounts.listStaff(by: .system(), context: AccessContext(requestID: "t"))
                .first { $0.login == "carol@agency.example" }?.accountID)
            let forged = try await carol.post(client, "/staff/cases/\(id)/assign", [("assignee", carolsId)])
            #expect(forged.status == .notFound || forged.status == .forbidden, "\(forged.status)")
            #expect(try await fixture.installation.records.request(id, caller: citizen, access: AccessContext(requestID: "t")).status == "submitted")

            // The supervisor sees the office's caseworkers and supervisors (by login), not the north office's.
            let page = try await sam.get(client, "/staff/cases/\(id)")
            #expect(page.status == .ok && page.body.contains("Assign the case"))
            #expect(page.body.contains("carol@agency.example") && page.body.contains("conor@agency.example"))
            #expect(page.body.contains("sam@agency.example (You)") && !page.body.contains("dave@agency.example"))
            let none = try await sam.post(client, "/staff/cases/\(id)/assign", [("assignee", "")])
            #expect(none.status == .badRequest && none.body.contains(##"href="#assignee""##))
            let north = try #require(try await fixture.installation.accounts.listStaff(by: .system(), context: AccessContext(requestID: "t"))
                .first { $0.login == "dave@agency.example" }?.accountID)
            let outside = try await sam.post(client, "/staff/cases/\(id)/assign", [("assignee", north)])
            #expect(outside.status == .badRequest, "a caseworker of another office is refused")

            let assigned = try await sam.post(client, "/staff/cases/\(id)/assign", [("assignee", carolsId)])
            #expect(assigned.location == "/staff/cases/\(id)?done=assigned")
            let after = try await sam.get(client, assigned.location!)
            #expect(after.body.contains("The case is assigned.") && after.body.contains("<dd>carol@agency.example</dd>"))
            #expect(!after.body.contains("Take this case"), "a case assigned to someone is reassigned, not taken")
            #expect(try await carol.get(client, "/staff?queue=mine").body.contains("/staff/cases/\(id)"))

            // Reassigned to Conor: it leaves Carol's queue, and Conor can decide.
            let conorsId = try #require(try await fixture.installation.accounts.listStaff(by: .system(), context: AccessContext(requestID: "t"))
                .first { $0.login == "conor@agency.example" }?.accountID)
            _ = try await sam.post(client, "/staff/cases/\(id)/assign", [("assignee", conorsId)])
            #expect(!(try await carol.get(client, "/staff?queue=mine").body.contains("/staff/cases/\(id)")))
            #expect(try await conor.get(client, "/staff/cases/\(id)").body.contains("Record the decision"))
        }
    }

    @Test func internalNotesStayBetweenStaff() async throws {
        let fixture = try await WebFixture()
        let (id, citizen) = try await Self.submittedRequest(fixture, login: "roisin@example.ie")
        let note = "Called the employer to confirm the reduced hours."
        try await fixture.application().test(.router) { client in
            var carol = try await Self.caseworker(fixture, client, login: "carol@agency.example")
            _ = try await carol.post(client, "/staff/purpose", [("purpose", "case-handling")])
            let empty = try await carol.post(client, "/staff/cases/\(id)/notes", [("note", " ")])
            #expect(empty.status == .badRequest && empty.body.contains(##"href="#note""##))
            let added = try await carol.post(client, "/staff/cases/\(id)/notes", [("note", note)])
            #expect(added.location == "/staff/cases/\(id)?done=noted#notes")
            let page = try await carol.get(client, "/staff/cases/\(id)")
            #expect(page.body.contains(note) && page.body.contains("Internal notes"))
            // Another caseworker of the office reads it, by role; the note is not in the conversation with the citizen.
            var conor = try await Self.caseworker(fixture, client, login: "conor@agency.example")
            _ = try await conor.post(client, "/staff/purpose", [("purpose", "case-handling")])
            let seen = try await conor.get(client, "/staff/cases/\(id)")
            #expect(seen.body.contains(note) && seen.body.contains("A colleague (caseworker"))
            let conversation = try #require(seen.body.range(of: #"id="messages"[\s\S]*?</section>"#, options: .regularExpression))
            #expect(!seen.body[conversation].contains(note))
            // The case history, from the audit log: the citizen's submission, the rules' referral, Carol's note (by role), Conor's own view.
            let history = try #require(seen.body.range(of: #"id="history"[\s\S]*?</section>"#, options: .regularExpression))
            let lines = String(seen.body[history])
            #expect(lines.contains("Started the request") && lines.contains("The citizen") && lines.contains("Decided automatically"), "\(lines)")
            #expect(lines.contains("Wrote an internal note") && lines.contains("Caseworker, central office"), "\(lines)")
            #expect(lines.contains("Read a request") && lines.contains("You") && lines.contains("Case handling"), "\(lines)")
            #expect(!lines.contains(note) && !lines.contains("Aoife"), "the history names data, never values")
            // Opening the page again and again is one line with a count, the messages read with each view on it.
            _ = try await conor.get(client, "/staff/cases/\(id)")
            let third = try await conor.get(client, "/staff/cases/\(id)")
            let again = String(third.body[try #require(third.body.range(of: #"id="history"[\s\S]*?</section>"#, options: .regularExpression))])
            #expect(again.contains("Read a request <span class=\"muted\">(3 times)</span>"), "\(again)")
            #expect(!again.contains("Read messages"), "a page view's message read joins its line")
            #expect(third.body.contains("Take this case"), "an unassigned case can be taken")
        }
        // The citizen: not in their messages, nor in their data export; a citizen cannot write one.
        let context = AccessContext(requestID: "t")
        let theirs = try await fixture.installation.records.messages(id, caller: citizen, access: context)
        #expect(!theirs.contains { $0.body == note || $0.kind == "note" })
        let export = try await fixture.installation.records.export(caller: citizen, access: context)
        #expect(!String(describing: export).contains(note))
        await #expect(throws: StrongroomError.self) {
            _ = try await fixture.installation.records.postNote(id, body: "A citizen's note", caller: citizen, access: context)
        }
        // The case history is staff's: a citizen is refused (their access report is theirs), and the refusal is audited.
        await #expect(throws: StrongroomError.self) {
            _ = try await fixture.installation.records.caseTimeline(id, caller: citizen, access: context)
        }
        // Sealed at rest: the note's text is nowhere in the database file.
        #expect(try fixture.databaseBytesContain(note) == false)
    }

    @Test func overdueAndReadyQueuesFollowTheCatalogsTimeLimit() async throws {
        let clock = ManualServiceClock(Date())
        let fixture = try await WebFixture(clock: clock)
        let (late, _) = try await Self.submittedRequest(fixture, login: "una@example.ie")
        // Benefit applications are to be decided within 20 days (Catalog/benefit-application.yaml).
        #expect(fixture.installation.catalog.service("benefit-application")?.decideWithin?.description == "20d")
        clock.advance(by: 22 * 86_400)
        let (recent, _) = try await Self.submittedRequest(fixture, login: "orla@example.ie")
        try await fixture.application().test(.router) { client in
            var carol = try await Self.caseworker(fixture, client, login: "carol@agency.example")
            _ = try await carol.post(client, "/staff/purpose", [("purpose", "case-handling")])
            let overdue = try await carol.get(client, "/staff?queue=overdue")
            #expect(overdue.status == .ok && overdue.body.contains("Overdue (1)"))
            #expect(overdue.body.contains("/staff/cases/\(late)") && !overdue.body.contains("/staff/cases/\(recent)"))
            #expect(overdue.body.contains(">overdue</span>"))
            // The age filter: submitted at least 14 days ago leaves only the late one in every queue.
            let old = try await carol.get(client, "/staff?queue=unassigned&age=14")
            #expect(old.body.contains("/staff/cases/\(late)") && !old.body.contains("/staff/cases/\(recent)"))
            #expect(old.body.contains(#"href="/staff?queue=open&amp;age=14""#), "the tabs keep the filter")
            // Claimed, the late one is ready to decide; asked for information, it waits for the citizen instead.
            _ = try await carol.post(client, "/staff/cases/\(late)/claim", [])
            #expect(try await carol.get(client, "/staff?queue=ready").body.contains("/staff/cases/\(late)"))
            _ = try await carol.post(client, "/staff/cases/\(late)/request-info", [("question", "Please send your payslip.")])
            let ready = try await carol.get(client, "/staff?queue=ready")
            #expect(ready.body.contains("Ready to decide (0)") && ready.body.contains("Waiting for the citizen (1)"), "\(ready.body)")
        }
    }

    @Test func searchByABlindIndexedFieldShowsOnlyWhatTheSearchRevealsAndKeepsTheValueOutOfURLs() async throws {
        let fixture = try await WebFixture()
        let (id, _) = try await Self.submittedRequest(fixture, login: "saoirse@example.ie")
        try await fixture.application().test(.router) { client in
            var carol = try await Self.caseworker(fixture, client, login: "carol@agency.example")
            _ = try await carol.post(client, "/staff/purpose", [("purpose", "case-handling")])
            let form = try await carol.get(client, "/staff/search")
            #expect(form.status == .ok && form.body.contains(#"method="post" action="/staff/search""#) && form.body.contains(#"value="national_id""#))
            #expect(form.body.contains(#"href="/staff/search""#), "the navigation offers the search")
            let missing = try await carol.post(client, "/staff/search", [("field", "national_id"), ("value", " ")])
            #expect(missing.status == .badRequest && missing.body.contains(##"href="#value""##))
            let unknown = try await carol.post(client, "/staff/search", [("field", "monthly_income"), ("value", "1450")])
            #expect(unknown.status == .badRequest && unknown.body.contains(##"href="#field""##))
            // Normalised as the catalog says: case and spaces do not matter.
            let found = try await carol.post(client, "/staff/search", [("field", "national_id"), ("value", "1234567ab ")])
            #expect(found.status == .ok && found.body.contains("1 request found.") && found.body.contains("/staff/cases/\(id)"))
            #expect(found.body.contains("Aoife Byrne"), "the search reveals the name")
            // (The income as it would be shown, with its separators: a bare "1450" also turns up by chance in the page's
            // random tokens and ids.)
            #expect(!found.body.contains("IE29AIBK93115212345678") && !found.body.contains("1450.00") && !found.body.contains("1,450.00"),
                    "and nothing else")
            #expect(found.headers[.cacheControl] == "no-store")
            let nothing = try await carol.post(client, "/staff/search", [("field", "national_id"), ("value", "9999999ZZ")])
            #expect(nothing.body.contains("0 requests found.") || nothing.body.contains("No request of your office matches."))
            // A caseworker of another office finds nothing; the search is audited with the purpose.
            var dave = try await Self.caseworker(fixture, client, login: "dave@agency.example", office: "north")
            _ = try await dave.post(client, "/staff/purpose", [("purpose", "case-handling")])
            let elsewhere = try await dave.post(client, "/staff/search", [("field", "national_id"), ("value", "1234567AB")])
            #expect(elsewhere.status == .ok && !elsewhere.body.contains("/staff/cases/\(id)") && !elsewhere.body.contains("Aoife"))
        }
    }

    @Test func anAdministratorAddsStaffWithAnEnrolmentShownOnceAndDisablesThem() async throws {
        let fixture = try await WebFixture()
        try await fixture.application().test(.router) { client in
            var ada = try await Self.caseworker(fixture, client, login: "ada@agency.example", roles: ["administrator"], office: nil)
            _ = try await ada.post(client, "/staff/purpose", [("purpose", "administration")])
            #expect(try await ada.get(client, "/staff").location == "/staff/people")
            let list = try await ada.get(client, "/staff/people")
            #expect(list.status == .ok && list.body.contains("ada@agency.example (You)") && list.body.contains("1 account."))
            // Mistakes are errors on the page and create nothing.
            let noOffice = try await ada.post(client, "/staff/people", [("login", "ciaran@agency.example"), ("roles", "caseworker")])
            #expect(noOffice.status == .badRequest && noOffice.body.contains(##"href="#office""##) && noOffice.body.contains(#"value="ciaran@agency.example""#))
            let noRole = try await ada.post(client, "/staff/people", [("login", "ciaran@agency.example"), ("roles", "root")])
            #expect(noRole.status == .badRequest && noRole.body.contains(##"href="#roles""##))
            let badLogin = try await ada.post(client, "/staff/people", [("login", "not an address"), ("roles", "auditor")])
            #expect(badLogin.status == .badRequest && badLogin.body.contains(##"href="#login""##))
            #expect(try await fixture.installation.accounts.listStaff(by: .system(), context: AccessContext(requestID: "t")).count == 1)

            // The enrolment: password and authenticator secret on the POST's own answer, not cached.
            let created = try await ada.post(
                client, "/staff/people", [("login", "Ciaran@Agency.example"), ("roles", "caseworker"), ("roles", "supervisor"), ("office", "central")])
            #expect(created.status == .ok && created.body.contains("Account created") && created.body.contains("otpauth://totp/"))
            #expect(created.headers[.cacheControl] == "no-store")
            let password = try #require(created.body.range(of: #"(?<=<dt>Initial password</dt><dd><code class="secret">)[^<]+"#, options: .regularExpression)
                .map { String(created.body[$0]) })
            let taken = try await ada.post(client, "/staff/people", [("login", "ciaran@agency.example"), ("roles", "auditor")])
            #expect(taken.status == .badRequest && taken.body.contains("Another account already uses this address"))

            // The new caseworker signs in with what was shown.
            let ciaran = try #require(try await fixture.installation.accounts.listStaff(by: .system(), context: AccessContext(requestID: "t"))
                .first { $0.login == "ciaran@agency.example" })
            #expect(ciaran.roles == ["caseworker", "supervisor"] && ciaran.office == "central")
            var browser = Browser()
            _ = try await browser.get(client, "/staff/sign-in")
            let code = try fixture.installation.accounts.unsafeCurrentOneTimeCode(accountID: ciaran.accountID)
            let signedIn = try await browser.post(client, "/staff/sign-in", [("login", "ciaran@agency.example"), ("password", password), ("code", code)])
            #expect(signedIn.location?.hasPrefix("/staff/purpose") == true, "\(signedIn.status)")
            _ = try await browser.get(client, "/staff/purpose")

            // Disabled: the list says so and the session ends.
            let disabled = try await ada.post(client, "/staff/people/disable", [("login", "ciaran@agency.example")])
            #expect(disabled.location == "/staff/people?done=disabled")
            #expect(try await ada.get(client, "/staff/people?done=disabled").body.contains("Disabled"))
            let after = try await browser.get(client, "/staff/purpose")
            #expect(after.status == .seeOther && after.location?.hasPrefix("/staff/sign-in") == true)
            let unknown = try await ada.post(client, "/staff/people/disable", [("login", "nobody@agency.example")])
            #expect(unknown.status == .badRequest)
        }
    }

    @Test func anAuditorBrowsesFiltersAndVerifiesTheLog() async throws {
        let fixture = try await WebFixture()
        let (id, citizenCaller) = try await Self.submittedRequest(fixture, login: "eimear@example.ie")
        try await fixture.application().test(.router) { client in
            var carol = try await Self.caseworker(fixture, client, login: "carol@agency.example")
            _ = try await carol.post(client, "/staff/purpose", [("purpose", "case-handling")])
            _ = try await carol.post(client, "/staff/cases/\(id)/claim", [])
            #expect(try await carol.get(client, "/staff/audit").status == .notFound, "caseworkers do not read the log")

            var audrey = try await Self.caseworker(fixture, client, login: "audrey@agency.example", roles: ["auditor"], office: nil)
            _ = try await audrey.post(client, "/staff/purpose", [("purpose", "audit")])
            let all = try await audrey.get(client, "/staff/audit")
            #expect(all.status == .ok && all.body.contains("<code>case.claim</code>") && all.body.contains("<code>request.create</code>"))
            #expect(!all.body.contains("Aoife") && !all.body.contains("1234567AB"), "the log holds no values")
            // The subject filter: only entries about that data subject.
            let subject = try #require(citizenCaller.subjectID)
            let aboutThem = try await audrey.get(client, "/staff/audit?subject=\(subject)")
            #expect(aboutThem.status == .ok && aboutThem.body.contains("<code>case.claim</code>"))
            let aboutNobody = try await audrey.get(client, "/staff/audit?subject=sub_nobody")
            #expect(aboutNobody.status == .ok && !aboutNobody.body.contains("<code>case.claim</code>"))
            #expect(try await audrey.get(client, "/staff/audit?subject=%3Cb%3E").status == .badRequest)
            let claims = try await audrey.get(client, "/staff/audit?action=case.claim")
            #expect(claims.body.contains("<code>case.claim</code>") && !claims.body.contains("<code>request.create</code>"))
            let bad = try await audrey.get(client, "/staff/audit?action=%3Cscript%3E&from=yesterday")
            #expect(bad.status == .badRequest && bad.body.contains(##"href="#action""##) && bad.body.contains(##"href="#from""##))
            #expect(!bad.body.contains("<script>"))
            // The verification runs in the background: the answer is the page with its progress, then its report.
            let started = try await audrey.post(client, "/staff/audit/verify", [])
            #expect(started.location == "/staff/audit?done=verifying#verification")
            await fixture.installation.verificationJob.waitUntilIdle()
            let verified = try await audrey.get(client, "/staff/audit")
            #expect(verified.status == .ok && verified.body.contains("The log verifies"), "\(verified.body.prefix(3000))")
            let region = try await audrey.get(client, "/staff/audit/verification")
            #expect(region.status == .ok && region.body.contains("The log verifies") && !region.body.contains("<html"))
            // Without the form token or across sites nothing starts.
            #expect(try await audrey.post(client, "/staff/audit/verify", [], csrf: "").status == .forbidden)
            // Reading and verifying are in the log themselves, the verification with its start and its outcome.
            let reads = try await audrey.get(client, "/staff/audit?action=audit.verify")
            #expect(reads.body.contains("<code>audit.verify</code>"))
            let entries = try await fixture.installation.database.read { db in try LogForger.entries(db) }.filter { $0.action == "audit.verify" }
            #expect(entries.map { $0.details["phase"] } == ["start", "end"] && entries.last?.details["valid"] == "yes")
            // A caseworker cannot start one, nor watch one.
            #expect(try await carol.post(client, "/staff/audit/verify", []).status == .notFound)
            #expect(try await carol.get(client, "/staff/audit/verification").status == .notFound)
        }
    }

    /// Every role against every staff screen: the screens a role's rules do not open answer 404 (or send a signed-out
    /// visitor to the staff sign-in), never with data.
    @Test func theRoleByScreenMatrix() async throws {
        let fixture = try await WebFixture()
        let (id, _) = try await Self.submittedRequest(fixture, login: "matrix@example.ie")
        try await fixture.application().test(.router) { client in
            let screens = ["/staff", "/staff/cases/\(id)", "/staff/break-glass", "/staff/search", "/staff/people", "/staff/audit", "/staff/keys"]
            // role → (office, purpose, the status of each screen)
            let expected: [(role: String, office: String?, purpose: String, statuses: [HTTPResponse.Status])] = [
                ("caseworker", "central", "case-handling", [.ok, .ok, .notFound, .ok, .notFound, .notFound, .notFound]),
                ("supervisor", "central", "supervision", [.ok, .ok, .ok, .ok, .notFound, .notFound, .notFound]),
                ("auditor", nil, "audit", [.seeOther, .notFound, .ok, .notFound, .notFound, .ok, .notFound]),
                ("security-officer", nil, "security-operations", [.seeOther, .notFound, .notFound, .notFound, .notFound, .notFound, .ok]),
                ("administrator", nil, "administration", [.seeOther, .notFound, .notFound, .notFound, .ok, .notFound, .notFound]),
            ]
            for (index, row) in expected.enumerated() {
                var browser = try await Self.caseworker(fixture, client, login: "staff\(index)@agency.example", roles: [row.role], office: row.office)
                let chosen = try await browser.post(client, "/staff/purpose", [("purpose", row.purpose)])
                #expect(chosen.status == .seeOther, "\(row.role) may choose \(row.purpose)")
                for (screen, status) in zip(screens, row.statuses) {
                    let page = try await browser.get(client, screen)
                    #expect(page.status == status, "\(row.role) on \(screen): \(page.status)")
                    #expect(!page.body.contains("Aoife") && !page.body.contains("1234567AB") || [HTTPResponse.Status.ok].contains(page.status) && screen.contains("/cases/"),
                            "\(row.role) on \(screen) shows a field value")
                }
            }
            var citizen = Browser()
            try await citizen.signUpAndIn(client, login: "matrix-citizen@example.ie")
            for screen in screens + ["/staff/purpose"] {
                #expect(try await citizen.get(client, screen).status == .notFound, "a citizen on \(screen)")
            }
            var nobody = Browser()
            for screen in screens + ["/staff/purpose"] {
                #expect(try await nobody.get(client, screen).location?.hasPrefix("/staff/sign-in") == true, "signed out on \(screen)")
            }
        }
    }
}

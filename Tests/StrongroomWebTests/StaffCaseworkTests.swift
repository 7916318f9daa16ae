import AuditLog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Strongroom
import StrongroomWeb
import TestSupport
import Testing

/// The case page's later tools: revealing a masked field as its own audited access, closing a decided case, the
/// "recently handled by me" queue and the status filter, and the banner staff see while a break-glass grant lasts.
@Suite struct StaffCaseworkTests {
    /// Every audit entry of the installation, oldest first.
    static func auditEntries(_ fixture: WebFixture) async throws -> [AuditEntry] {
        try await fixture.installation.database.read { db in try LogForger.entries(db) }
    }

    @Test func theAssignedCaseworkerRevealsOneMaskedFieldAsAnAccessOfItsOwn() async throws {
        let fixture = try await WebFixture()
        let (id, citizen) = try await StaffPortalTests.submittedRequest(fixture, login: "aoife@example.ie")
        try await fixture.application().test(.router) { client in
            var carol = try await StaffPortalTests.caseworker(fixture, client, login: "carol@agency.example")
            _ = try await carol.post(client, "/staff/purpose", [("purpose", "case-handling")])
            // Before the case is hers, no rule lets her reveal: no button, and a forged form is refused as not there.
            let unclaimed = try await carol.get(client, "/staff/cases/\(id)")
            #expect(unclaimed.status == .ok && !unclaimed.body.contains("/reveal"))
            let early = try await carol.post(client, "/staff/cases/\(id)/reveal", [("field", "national_id")])
            #expect(early.status == .notFound && !early.body.contains("1234567AB"))

            _ = try await carol.post(client, "/staff/cases/\(id)/claim", [])
            let page = try await carol.get(client, "/staff/cases/\(id)")
            #expect(page.body.contains(#"action="/staff/cases/\#(id)/reveal""#))
            #expect(page.body.contains(#"name="field" value="national_id""#) && page.body.contains(#"name="field" value="bank_account""#))
            #expect(!page.body.contains("1234567AB"))

            // Without the form token nothing is revealed and nothing is recorded.
            let before = try await Self.auditEntries(fixture).filter { $0.action == "request.reveal" }.count
            let forged = try await carol.post(client, "/staff/cases/\(id)/reveal", [("field", "national_id")], csrf: "")
            #expect(forged.status == .forbidden && !forged.body.contains("1234567AB"))
            let crossSite = try await carol.post(
                client, "/staff/cases/\(id)/reveal", [("field", "national_id")], headers: [HTTPField.Name("Sec-Fetch-Site")!: "cross-site"])
            #expect(crossSite.status == .forbidden && !crossSite.body.contains("1234567AB"))
            #expect(try await Self.auditEntries(fixture).filter { $0.action == "request.reveal" }.count == before)

            // The reveal: that one field in full on the POST's answer (never stored, never cached), the other still masked.
            let revealed = try await carol.post(client, "/staff/cases/\(id)/reveal", [("field", "national_id")])
            #expect(revealed.status == .ok && revealed.body.contains("1234567AB") && revealed.body.contains("shown in full"))
            #expect(!revealed.body.contains("IE29AIBK93115212345678"))
            #expect(revealed.headers[.cacheControl] == "no-store")
            // A plain page view afterwards shows it masked again.
            #expect(!(try await carol.get(client, "/staff/cases/\(id)").body.contains("1234567AB")))

            let reveals = try await Self.auditEntries(fixture).filter { $0.action == "request.reveal" }
            #expect(reveals.count == before + 1)
            let entry = try #require(reveals.last)
            #expect(entry.decision.effect == .allow && entry.fieldsTouched == ["national_id"] && entry.purpose == "case-handling")
            #expect(entry.decision.policyIDs.contains("caseworker-reveal-assigned"))

            // A field no rule reveals (a redacted or unmasked one, or a made-up name) is refused, recorded, and the
            // made-up name stays out of the log.
            let notRevealable = try await carol.post(client, "/staff/cases/\(id)/reveal", [("field", "reason")])
            #expect(notRevealable.status == .badRequest && notRevealable.body.contains(##"href="#answers""##))
            let madeUp = try await carol.post(client, "/staff/cases/\(id)/reveal", [("field", "Aoife's secret <b>")])
            #expect(madeUp.status == .badRequest && !madeUp.body.contains("<b>"))
            let refusals = try await Self.auditEntries(fixture).filter { $0.action == "request.reveal" && $0.decision.effect == .deny }
            // The first is the attempt before the case was hers (no rule permits it then).
            #expect(refusals.count == 3 && refusals[0].details["reason"]?.contains("default deny") == true)
            #expect(refusals[1].fieldsTouched == ["reason"] && refusals[2].fieldsTouched.isEmpty)
            #expect(refusals.dropFirst().allSatisfy { $0.details["reason"] == "field-not-revealable" })

            // A caseworker of the same office who does not hold the case: refused, and told nothing.
            var dara = try await StaffPortalTests.caseworker(fixture, client, login: "dara@agency.example")
            _ = try await dara.post(client, "/staff/purpose", [("purpose", "case-handling")])
            let other = try await dara.post(client, "/staff/cases/\(id)/reveal", [("field", "national_id")])
            #expect(other.status == .notFound && !other.body.contains("1234567AB"))

            // The citizen's access report lists the reveal with the purpose chosen.
            let report = try await fixture.installation.records.accessReport(caller: citizen, access: AccessContext(requestID: "t"))
            #expect(report.entries.contains { $0.action == "request.reveal" && $0.fields == ["national_id"] && $0.purpose == "case-handling" })
        }
    }

    @Test func aDecidedCaseIsClosedAndStaysReadable() async throws {
        let fixture = try await WebFixture()
        let (id, citizen) = try await StaffPortalTests.submittedRequest(fixture, login: "ciara@example.ie")
        try await fixture.application().test(.router) { client in
            var carol = try await StaffPortalTests.caseworker(fixture, client, login: "carol@agency.example")
            _ = try await carol.post(client, "/staff/purpose", [("purpose", "case-handling")])
            _ = try await carol.post(client, "/staff/cases/\(id)/claim", [])
            #expect(!(try await carol.get(client, "/staff/cases/\(id)").body.contains("/close\"")), "only a decided case offers closing")
            let early = try await carol.post(client, "/staff/cases/\(id)/close", [])
            #expect(early.status == .badRequest && early.body.contains(##"href="#close""##))
            #expect(try await fixture.installation.records.request(id, caller: citizen, access: AccessContext(requestID: "t")).status == "in-review")

            _ = try await carol.post(client, "/staff/cases/\(id)/decision", [("outcome", "reject"), ("reason", "Income above the limit.")])
            let decided = try await carol.get(client, "/staff/cases/\(id)")
            #expect(decided.body.contains(#"action="/staff/cases/\#(id)/close""#))
            let closed = try await carol.post(client, "/staff/cases/\(id)/close", [])
            #expect(closed.location == "/staff/cases/\(id)?done=closed")
            let after = try await carol.get(client, closed.location!)
            #expect(after.body.contains("The case is closed.") && after.body.contains("Income above the limit."))
            #expect(!after.body.contains(#"action="/staff/cases/\#(id)/close""#))
            let view = try await fixture.installation.records.request(id, caller: citizen, access: AccessContext(requestID: "t"))
            #expect(view.status == "closed" && view.outcome == "rejected" && view.decisionReason == "Income above the limit.")
            #expect(try await Self.auditEntries(fixture).contains { $0.action == "case.close" && $0.decision.effect == .allow })
        }
    }

    @Test func aDecisionWithAStandardReasonFromTheCatalog() async throws {
        let fixture = try await WebFixture()
        try await fixture.application().test(.router) { client in
            // The citizen signs up in the portal (to read the decision there), and applies through the service layer.
            var citizen = Browser()
            try await citizen.signUpAndIn(client, login: "eimear@example.ie")
            let session = try await fixture.installation.accounts.logIn(
                login: "eimear@example.ie", password: "correct horse battery staple", address: "127.0.0.1", context: AccessContext(requestID: "t"))
            let id = try await fixture.installation.records.createRequest(
                serviceID: "benefit-application", values: StaffPortalTests.benefit, submit: true, caller: session.caller,
                access: AccessContext(requestID: "t")).id

            var carol = try await StaffPortalTests.caseworker(fixture, client, login: "carol@agency.example")
            _ = try await carol.post(client, "/staff/purpose", [("purpose", "case-handling")])
            _ = try await carol.post(client, "/staff/cases/\(id)/claim", [])
            let form = try await carol.get(client, "/staff/cases/\(id)")
            #expect(form.body.contains(#"<select class="select" id="reason_code" name="reason_code""#))
            #expect(form.body.contains(#"<optgroup label="Reject"><option value="income-above-threshold">"#))

            // A reason for the other outcome is refused beside its control, and nothing is decided.
            let mismatch = try await carol.post(client, "/staff/cases/\(id)/decision", [("outcome", "reject"), ("reason_code", "income-below-threshold"), ("reason", "")])
            #expect(mismatch.status == .badRequest && mismatch.body.contains(##"href="#reason_code""##))
            #expect(mismatch.body.contains(#"<option value="income-below-threshold" selected>"#), "the choice is kept")
            let unknown = try await carol.post(client, "/staff/cases/\(id)/decision", [("outcome", "reject"), ("reason_code", "<made-up>"), ("reason", "")])
            #expect(unknown.status == .badRequest && !unknown.body.contains("<made-up>"))
            #expect(try await fixture.installation.records.request(id, caller: session.caller, access: AccessContext(requestID: "t")).status == "in-review")
            // Neither a standard reason nor words: asked for one.
            let nothing = try await carol.post(client, "/staff/cases/\(id)/decision", [("outcome", "reject"), ("reason_code", ""), ("reason", " ")])
            #expect(nothing.status == .badRequest && nothing.body.contains(##"href="#reason""##))

            // The standard reason alone decides; the caseworker's words are optional beside it.
            let decided = try await carol.post(client, "/staff/cases/\(id)/decision", [("outcome", "reject"), ("reason_code", "income-above-threshold"), ("reason", "")])
            #expect(decided.location == "/staff/cases/\(id)?done=decided")
            let view = try await fixture.installation.records.request(id, caller: session.caller, access: AccessContext(requestID: "t"))
            #expect(view.outcome == "rejected" && view.decisionReasonCode == "income-above-threshold" && view.decisionReason == nil)
            #expect(try await carol.get(client, "/staff/cases/\(id)").body.contains("above the threshold for its size"))
            // The citizen reads it in their language; the audit entry names the code, never words.
            let english = try await citizen.get(client, "/requests/\(id)?lang=en")
            #expect(english.body.contains("Your household&#39;s income is above the threshold for its size."), "\(english.body)")
            let hungarian = try await citizen.get(client, "/requests/\(id)?lang=hu")
            #expect(hungarian.body.contains("meghaladja a háztartás méretéhez tartozó jogosultsági határt"))
            let entry = try #require(try await Self.auditEntries(fixture).last { $0.action == "case.decide" && $0.decision.effect == .allow })
            #expect(entry.details["reason_code"] == "income-above-threshold")
            let export = try await fixture.installation.records.export(caller: session.caller, access: AccessContext(requestID: "t"))
            #expect(export.requests.first?.decisionReasonCode == "income-above-threshold")
        }
    }

    @Test func theAuditorSeesTheLatestCheckpointAndDownloadsTheLogAsABundle() async throws {
        let fixture = try await WebFixture()
        _ = try await StaffPortalTests.submittedRequest(fixture, login: "aine@example.ie")
        let installation = fixture.installation
        try installation.checkpoints.verifyCommittedLog(reader: installation.database.pool)
        let signed = try #require(try await installation.writer.write { db in try installation.checkpoints.checkpoint(in: db) })
        try await fixture.application().test(.router) { client in
            var aidan = try await StaffPortalTests.caseworker(fixture, client, login: "aidan@agency.example", roles: ["auditor"], office: nil)
            _ = try await aidan.post(client, "/staff/purpose", [("purpose", "audit")])
            let page = try await aidan.get(client, "/staff/audit?lang=en")
            #expect(page.status == .ok && page.body.contains("Latest signed checkpoint"))
            #expect(page.body.contains("size \(signed.checkpoint.size) ·") && page.body.contains("No witness has cosigned it"))
            #expect(page.body.contains(#"href="/staff/audit/bundle""#))

            let download = try await aidan.get(client, "/staff/audit/bundle")
            #expect(download.status == .ok && download.headers[.contentType] == "application/x-ndjson")
            #expect(download.headers[HTTPField.Name("Content-Disposition")!]?.hasPrefix("attachment; filename=\"strongroom-audit-") == true)
            #expect(download.headers[.cacheControl] == "no-store")
            // What was downloaded is a bundle an auditor verifies with the public key alone, and carries the checkpoint.
            let directory = TemporaryDirectory()
            let path = directory.path + "/downloaded.bundle"
            try Data(download.body.utf8).write(to: URL(fileURLWithPath: path))
            let bundle = try AuditBundle.read(path)
            #expect(try bundle.checkpoints().contains(signed))
            #expect(try bundle.entryCount() >= signed.checkpoint.size)
            let keys = try AuditVerifierKey.load(fromFile: fixture.keys.directory.auditPublicKeyPath)
            let report = AuditVerifier(trustedKeys: keys, origin: signed.checkpoint.origin).verify(bundle)
            #expect(report.isValid, "\(report)")
            // The download is recorded, and leaves nothing behind in the temporary directory.
            #expect(try await Self.auditEntries(fixture).contains { $0.action == "audit.export" && $0.decision.effect == .allow })
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("strongroom-download-") }
            #expect(leftovers.isEmpty, "\(leftovers)")

            // A caseworker has no such screen, and no such download.
            var carol = try await StaffPortalTests.caseworker(fixture, client, login: "carol@agency.example")
            _ = try await carol.post(client, "/staff/purpose", [("purpose", "case-handling")])
            let refused = try await carol.get(client, "/staff/audit/bundle")
            #expect(refused.status == .notFound && !refused.body.contains("checkpoint"))
        }
    }

    @Test func theAssigneeGivesACaseBackToTheQueue() async throws {
        let fixture = try await WebFixture()
        let (id, citizen) = try await StaffPortalTests.submittedRequest(fixture, login: "roisin@example.ie")
        try await fixture.application().test(.router) { client in
            var carol = try await StaffPortalTests.caseworker(fixture, client, login: "carol@agency.example")
            _ = try await carol.post(client, "/staff/purpose", [("purpose", "case-handling")])
            #expect(!(try await carol.get(client, "/staff/cases/\(id)").body.contains("/release\"")), "nothing to give back before taking it")
            _ = try await carol.post(client, "/staff/cases/\(id)/claim", [])
            #expect(try await carol.get(client, "/staff/cases/\(id)").body.contains(#"action="/staff/cases/\#(id)/release""#))

            // A colleague cannot give back a case that is not theirs: refused on the page, nothing changed.
            var dara = try await StaffPortalTests.caseworker(fixture, client, login: "dara@agency.example")
            _ = try await dara.post(client, "/staff/purpose", [("purpose", "case-handling")])
            let refused = try await dara.post(client, "/staff/cases/\(id)/release", [])
            #expect(refused.status == .badRequest && refused.body.contains(##"href="#release""##))
            #expect(try await fixture.installation.records.request(id, caller: citizen, access: AccessContext(requestID: "t")).status == "in-review")
            // Without the form token nothing changes either.
            #expect(try await carol.post(client, "/staff/cases/\(id)/release", [], csrf: "").status == .forbidden)

            let released = try await carol.post(client, "/staff/cases/\(id)/release", [])
            #expect(released.location == "/staff/cases/\(id)?done=released")
            #expect(try await carol.get(client, "/staff?queue=unassigned").body.contains("Unassigned (1)"))
            #expect(try await fixture.installation.records.request(id, caller: citizen, access: AccessContext(requestID: "t")).status == "submitted")
            let entries = try await Self.auditEntries(fixture).filter { $0.action == "case.release" }
            #expect(entries.map(\.decision.effect) == [.deny, .allow] && entries.last?.details["to"] == "submitted")
            // Released twice: the life cycle refuses it.
            #expect(try await carol.post(client, "/staff/cases/\(id)/release", []).status == .badRequest)
        }
    }

    @Test func recentlyHandledByMeAndTheStatusFilter() async throws {
        let fixture = try await WebFixture()
        let (decided, _) = try await StaffPortalTests.submittedRequest(fixture, login: "una@example.ie")
        let (waiting, _) = try await StaffPortalTests.submittedRequest(fixture, login: "orla@example.ie")
        try await fixture.application().test(.router) { client in
            var carol = try await StaffPortalTests.caseworker(fixture, client, login: "carol@agency.example")
            _ = try await carol.post(client, "/staff/purpose", [("purpose", "case-handling")])
            #expect(try await carol.get(client, "/staff?queue=recent").body.contains("Recently handled by me (0)"))
            _ = try await carol.post(client, "/staff/cases/\(decided)/claim", [])
            _ = try await carol.post(client, "/staff/cases/\(decided)/decision", [("outcome", "approve"), ("reason", "Eligible.")])

            // The decided case has left every open queue but is among those she handled recently.
            let recent = try await carol.get(client, "/staff?queue=recent")
            #expect(recent.status == .ok && recent.body.contains("Recently handled by me (1)") && recent.body.contains("/staff/cases/\(decided)"))
            #expect(!recent.body.contains("/staff/cases/\(waiting)") && recent.body.contains("in the last 14 days"))
            #expect(recent.body.contains("All open (1)"))

            // The status filter narrows every tab, and the tabs keep it.
            let onlyDecided = try await carol.get(client, "/staff?queue=recent&status=decided")
            #expect(onlyDecided.body.contains("/staff/cases/\(decided)") && onlyDecided.body.contains(#"<option value="decided" selected>"#))
            #expect(onlyDecided.body.contains(#"href="/staff?queue=open&amp;status=decided""#) && onlyDecided.body.contains("All open (0)"))
            let onlySubmitted = try await carol.get(client, "/staff?queue=open&status=submitted")
            #expect(onlySubmitted.body.contains("/staff/cases/\(waiting)") && !onlySubmitted.body.contains("/staff/cases/\(decided)"))
            // An unknown status is no filter at all, and says nothing back.
            let unknown = try await carol.get(client, "/staff?queue=open&status=%3Cscript%3E")
            #expect(unknown.status == .ok && unknown.body.contains("All open (1)") && !unknown.body.contains("<script>"))

            // The queue read is audited with the window it used.
            #expect(try await Self.auditEntries(fixture).contains { $0.action == "case.queue" && $0.details["updated_within_days"] == "14" })
        }
    }

    @Test func aBannerOnEveryPageWhileABreakGlassGrantLasts() async throws {
        let clock = ManualServiceClock(Date())
        let fixture = try await WebFixture(clock: clock)
        let (id, _) = try await StaffPortalTests.submittedRequest(fixture, login: "saoirse@example.ie")
        try await fixture.application().test(.router) { client in
            var sorcha = try await StaffPortalTests.caseworker(fixture, client, login: "sorcha@agency.example", roles: ["supervisor"], office: "north")
            _ = try await sorcha.post(client, "/staff/purpose", [("purpose", "supervision")])
            #expect(!(try await sorcha.get(client, "/staff").body.contains("Emergency access open")))
            // The warning page says how long the access will last (the rule's limit).
            let warning = try await sorcha.get(client, "/staff/cases/\(id)")
            #expect(warning.status == .notFound && warning.body.contains("How long it lasts:</strong> 4 hours from now"))
            let opened = try await sorcha.post(
                client, "/staff/cases/\(id)/break-glass", [("justification", "The citizen phoned about an eviction notice due tomorrow")])
            #expect(opened.location == "/staff/cases/\(id)?done=opened")
            // On every page, not only the case's: the case, with the time the grant ends, and a link to it.
            for path in ["/staff", "/staff/search", "/staff/purpose", "/staff/cases/\(id)"] {
                let page = try await sorcha.get(client, path)
                #expect(page.body.contains("Emergency access open.") && page.body.contains(#"<a href="/staff/cases/\#(id)">Case "#), "\(path)")
            }
            // Another member of staff sees no banner.
            var carol = try await StaffPortalTests.caseworker(fixture, client, login: "carol@agency.example")
            _ = try await carol.post(client, "/staff/purpose", [("purpose", "case-handling")])
            #expect(!(try await carol.get(client, "/staff").body.contains("Emergency access open")))
            // After the rule's four hours the grant is worth nothing, and the banner is gone (a page every ten minutes
            // keeps the staff session, whose idle limit is fifteen).
            for _ in 0..<25 {
                clock.advance(by: 600)
                _ = try await sorcha.get(client, "/staff/purpose")
            }
            let later = try await sorcha.get(client, "/staff")
            #expect(later.status == .ok && !later.body.contains("Emergency access open"))
        }
    }
}

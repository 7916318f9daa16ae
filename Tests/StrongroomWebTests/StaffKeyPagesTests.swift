import AuditLog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Keyring
import Logging
import ServiceLifecycle
import Sodium
@testable import Strongroom
import StrongroomWeb
import Testing

/// The security officer's key screen (status, online rotation behind a confirmation, a background rewrap with its
/// progress) and the administrator's reset of a colleague's second factor, over the real router.
@Suite struct StaffKeyPagesTests {
    static let context = AccessContext(requestID: "test")

    /// A member of staff signed in through the pages with `purpose` chosen.
    static func staff(
        _ fixture: WebFixture, _ client: some TestClientProtocol, login: String, role: String, office: String? = nil, purpose: String
    ) async throws -> Browser {
        var browser = try await StaffPortalTests.caseworker(fixture, client, login: login, roles: [role], office: office)
        let chosen = try await browser.post(client, "/staff/purpose", [("purpose", purpose)])
        #expect(chosen.status == .seeOther, "\(role) may choose \(purpose)")
        return browser
    }

    static func accountID(_ fixture: WebFixture, _ login: String) async throws -> String {
        try #require(try await fixture.installation.accounts.listStaff(by: .system(), context: context).first { $0.login == login }).accountID
    }

    static func entries(_ fixture: WebFixture, action: String) async throws -> [AuditEntry] {
        let store = fixture.installation.auditStore
        return try await fixture.installation.database.read { db in try store.entries(matching: AuditQuery(action: action, limit: 1000), in: db) }
    }

    static func recordsVersion(_ fixture: WebFixture) throws -> UInt32 { try fixture.installation.keyring.currentKey(.records).version }

    @Test func aSecurityOfficerSeesTheKeysRotatesRecordsAndRewrapsEverything() async throws {
        let fixture = try await WebFixture()
        let (id, citizen) = try await StaffPortalTests.submittedRequest(fixture, login: "aoife@example.ie")
        try await fixture.application().test(.router) { client in
            var oscar = try await Self.staff(fixture, client, login: "oscar@agency.example", role: "security-officer", purpose: "security-operations")
            let status = try await oscar.get(client, "/staff/keys?lang=en")
            #expect(status.status == .ok && status.headers[.cacheControl] == "no-store")
            #expect(status.body.contains(#"href="/staff/keys" aria-current="page""#), "the navigation offers the key screen")
            #expect(status.body.contains("<code>records</code>") && status.body.contains("<code>index</code>") && status.body.contains("<code>subjects</code>"))
            // The root and audit signing keys are listed when the log dates them (`init` does; these test keys were not
            // made by it), as `keys status` lists them.
            #expect(!status.body.contains("<code>root</code>"))
            #expect(status.body.contains("sealed fields") && status.body.contains("index row"))
            #expect(status.body.contains("strongroom keys rotate --root") && status.body.contains("strongroom keys rotate --audit-signing"))
            #expect(!status.body.contains("Aoife") && !status.body.contains("1234567AB"), "the key screen shows counts, never values")
            let sealedBefore = try #require(try await Rewrap(installation: fixture.installation).plan().sealedByVersion[1])
            #expect(status.body.contains("\(sealedBefore) sealed fields"))

            // The first POST asks; nothing is rotated yet.
            let ask = try await oscar.post(client, "/staff/keys/rotate", [("key", "records")])
            #expect(ask.status == .ok && ask.body.contains("Rotate the records key?") && ask.body.contains("New seals use version 2 at once"))
            #expect(ask.body.contains(#"name="confirm" value="yes""#))
            #expect(try Self.recordsVersion(fixture) == 1)
            let rotated = try await oscar.post(client, "/staff/keys/rotate", [("key", "records"), ("confirm", "yes")])
            #expect(rotated.status == .seeOther && rotated.location == "/staff/keys?done=rotated")
            #expect(try Self.recordsVersion(fixture) == 2)
            let after = try await oscar.get(client, "/staff/keys?done=rotated")
            #expect(after.body.contains("The key is rotated.") && after.body.contains("Opens old data only"))
            #expect(after.body.contains("Fields to re-seal with records version 2"))

            // A new seal uses version 2 at once.
            _ = try await fixture.installation.records.createRequest(
                serviceID: "benefit-application", values: StaffPortalTests.benefit, submit: true, caller: citizen, access: Self.context)
            let plan = try await Rewrap(installation: fixture.installation).plan()
            #expect((plan.sealedByVersion[2] ?? 0) > 0 && plan.sealedByVersion[1] == sealedBefore)

            // The rewrap runs in the background; afterwards every field is under version 2 and the page reports it.
            let started = try await oscar.post(client, "/staff/keys/rewrap", [])
            #expect(started.status == .seeOther && started.location == "/staff/keys?done=rewrap#rewrap-section")
            await fixture.installation.rewrapJob.waitUntilIdle()
            let done = try await Rewrap(installation: fixture.installation).plan()
            #expect(done.sealedToRewrap == 0 && done.sealedByVersion.keys.sorted() == [2])
            let report = try await oscar.get(client, "/staff/keys")
            #expect(report.body.contains("Rewrap finished") && report.body.contains("Fields re-sealed"))
            #expect(report.body.contains("<dd>\(sealedBefore)</dd>"), "the report counts the fields re-sealed")
            #expect(report.body.contains("(role: Security officer)"))
            #expect(report.body.contains("<progress id=\"rewrap-bar\""))
            #expect(report.body.contains("Nothing is under an older version."))
            // The citizen's request still opens.
            let view = try await fixture.installation.records.request(id, caller: citizen, access: Self.context)
            #expect(view.record.fields["full_name"] != nil)

            // Each operation left its entry: the status reads, the rotation, the rewrap's start and end.
            let oscarID = try await Self.accountID(fixture, "oscar@agency.example")
            #expect(try await Self.entries(fixture, action: "keys.status").contains { $0.actor.id == oscarID && $0.purpose == "security-operations" && $0.decision.effect == .allow })
            let rotation = try #require(try await Self.entries(fixture, action: "keys.rotate").first { $0.actor.id == oscarID })
            #expect(rotation.details["key"] == "records" && rotation.details["new_version"] == "2")
            let phases = try await Self.entries(fixture, action: "keys.rewrap").filter { $0.actor.id == oscarID }.compactMap { $0.details["phase"] }
            #expect(phases == ["start", "end"])
        }
    }

    @Test func theOtherDataKeysRotateAndUnknownKeysAreRefused() async throws {
        let fixture = try await WebFixture()
        try await fixture.application().test(.router) { client in
            var oscar = try await Self.staff(fixture, client, login: "oscar@agency.example", role: "security-officer", purpose: "security-operations")
            _ = try await oscar.get(client, "/staff/keys?lang=hu")
            let ask = try await oscar.post(client, "/staff/keys/rotate", [("key", "subjects")])
            #expect(ask.status == .ok && ask.body.contains("Lecseréli a subjects kulcsot?"))
            let before = try fixture.installation.keyring.currentKey(SubjectKeyStore.wrappingKeyID).version
            #expect(try await oscar.post(client, "/staff/keys/rotate", [("key", "subjects"), ("confirm", "yes")]).location == "/staff/keys?done=rotated")
            #expect(try fixture.installation.keyring.currentKey(SubjectKeyStore.wrappingKeyID).version == before + 1)
            #expect(try await oscar.post(client, "/staff/keys/rotate", [("key", "index"), ("confirm", "yes")]).location == "/staff/keys?done=rotated")
            #expect(try fixture.installation.keyring.currentKey(.index).version == 2)
            for key in ["root", "audit-signing", "", "records2"] {
                let refused = try await oscar.post(client, "/staff/keys/rotate", [("key", key), ("confirm", "yes")])
                #expect(refused.status == .badRequest && refused.body.contains(##"href="#rotate""##), "\(key): \(refused.status)")
            }
            #expect(try Self.recordsVersion(fixture) == 1)
        }
    }

    @Test func aSecondStartWhileARewrapRunsIsRefusedAndTheProgressShows() async throws {
        let fixture = try await WebFixture()
        _ = try await StaffPortalTests.submittedRequest(fixture, login: "ciara@example.ie")
        try await fixture.application().test(.router) { client in
            var oscar = try await Self.staff(fixture, client, login: "oscar@agency.example", role: "security-officer", purpose: "security-operations")
            // A run held open by the test: the job reports 3 of 10 rows and waits.
            let (release, held) = AsyncStream<Void>.makeStream()
            _ = try fixture.installation.rewrapJob.start(role: "security-officer", planned: 10) { report in
                report(3, 10)
                for await _ in release {}
                return Rewrap.Report()
            }
            _ = try await oscar.get(client, "/staff/keys?lang=en")
            let second = try await oscar.post(client, "/staff/keys/rewrap", [])
            #expect(second.status == .badRequest && second.body.contains("A rewrap is already running."))
            #expect(second.body.contains(##"href="#rewrap""##))
            #expect(try await Self.entries(fixture, action: "keys.rewrap").isEmpty, "no second run started")
            let running = try await oscar.get(client, "/staff/keys")
            #expect(running.body.contains("Rewrap in progress") && running.body.contains(#"<progress id="rewrap-bar" max="10" value="3">30%</progress>"#))
            #expect(running.body.contains("3 of 10 rows done (30%).") && running.body.contains("Update progress"))
            #expect(running.body.contains(#"data-refresh="/staff/keys/progress""#) && !running.body.contains(#"action="/staff/keys/rewrap""#))
            let region = try await oscar.get(client, "/staff/keys/progress")
            #expect(region.status == .ok && region.body.contains(#"data-running="true""#) && !region.body.contains("<html"))
            #expect(region.headers[.cacheControl] == "no-store")
            held.finish()
            await fixture.installation.rewrapJob.waitUntilIdle()
            let ended = try await oscar.get(client, "/staff/keys/progress")
            #expect(ended.body.contains(#"data-running="false""#) && ended.body.contains("Rewrap finished"))
        }
    }

    @Test func aRunningRewrapStopsCleanlyOnShutdownAndNoNewOneStarts() async throws {
        let fixture = try await WebFixture()
        let job = fixture.installation.rewrapJob
        _ = try job.start(role: "security-officer", planned: 5) { _ in
            // Waits as a long batch would, until cancelled.
            try await Task.sleep(for: .seconds(3600))
            return Rewrap.Report()
        }
        #expect(job.progress?.isRunning == true)
        // As `serve` runs it: graceful shutdown (SIGTERM) stops the run, and the group waits for it.
        let group = ServiceGroup(
            services: [BackgroundJobService(installation: fixture.installation)], gracefulShutdownSignals: [], cancellationSignals: [],
            logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Task.sleep(for: .milliseconds(100))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(job.progress?.outcome == .stopped && job.progress?.finishedAt != nil)
        #expect(throws: StrongroomError.self) { _ = try job.start(role: "security-officer", planned: 0) { _ in Rewrap.Report() } }
        try await fixture.application().test(.router) { client in
            var oscar = try await Self.staff(fixture, client, login: "oscar@agency.example", role: "security-officer", purpose: "security-operations")
            let page = try await oscar.get(client, "/staff/keys?lang=en")
            #expect(page.body.contains("Rewrap stopped") && page.body.contains("because the service was shutting down"))
            let refused = try await oscar.post(client, "/staff/keys/rewrap", [])
            #expect(refused.status == .badRequest && refused.body.contains("The service is shutting down."))
        }
    }

    @Test func forgedOrCrossSitePostsRotateNothing() async throws {
        let fixture = try await WebFixture()
        try await fixture.application().test(.router) { client in
            var oscar = try await Self.staff(fixture, client, login: "oscar@agency.example", role: "security-officer", purpose: "security-operations")
            _ = try await oscar.get(client, "/staff/keys")
            let noToken = try await oscar.post(client, "/staff/keys/rotate", [("key", "records"), ("confirm", "yes")], csrf: "")
            #expect(noToken.status == .forbidden)
            let wrongToken = try await oscar.post(client, "/staff/keys/rotate", [("key", "records"), ("confirm", "yes")], csrf: "forged")
            #expect(wrongToken.status == .forbidden)
            let crossSite = try await oscar.post(
                client, "/staff/keys/rotate", [("key", "records"), ("confirm", "yes")], headers: [HTTPField.Name("Sec-Fetch-Site")!: "cross-site"])
            #expect(crossSite.status == .forbidden)
            let crossSiteRewrap = try await oscar.post(client, "/staff/keys/rewrap", [], headers: [HTTPField.Name("Sec-Fetch-Site")!: "cross-site"])
            #expect(crossSiteRewrap.status == .forbidden)
            #expect(try Self.recordsVersion(fixture) == 1 && fixture.installation.rewrapJob.progress == nil)
            #expect(try await Self.entries(fixture, action: "keys.rotate").isEmpty)
        }
    }

    @Test(arguments: [("caseworker", "central", "case-handling"), ("auditor", nil, "audit"), ("administrator", nil, "administration")])
    func otherRolesFindNoKeyScreenAndChangeNothing(role: String, office: String?, purpose: String) async throws {
        let fixture = try await WebFixture()
        try await fixture.application().test(.router) { client in
            var person = try await Self.staff(fixture, client, login: "someone@agency.example", role: role, office: office, purpose: purpose)
            let home = try await person.get(client, "/staff/purpose")
            #expect(!home.body.contains(#"href="/staff/keys""#), "\(role) is not offered the key screen")
            for path in ["/staff/keys", "/staff/keys/progress"] {
                #expect(try await person.get(client, path).status == .notFound, "\(role) GET \(path)")
            }
            for (path, form) in [("/staff/keys/rotate", [("key", "records")]), ("/staff/keys/rotate", [("key", "records"), ("confirm", "yes")]),
                                 ("/staff/keys/rewrap", [])] {
                let answer = try await person.post(client, path, form)
                #expect(answer.status == .notFound && !answer.body.contains("version"), "\(role) POST \(path)")
            }
            #expect(try Self.recordsVersion(fixture) == 1 && fixture.installation.rewrapJob.progress == nil)
            // Each refusal is in the log, as a denial by this person.
            let id = try await Self.accountID(fixture, "someone@agency.example")
            for action in ["keys.status", "keys.rewrap-progress", "keys.rotate", "keys.rewrap"] {
                #expect(try await Self.entries(fixture, action: action).contains { $0.actor.id == id && $0.decision.effect == .deny }, "\(role): \(action)")
            }
        }
    }

    @Test func withoutAPurposeTheKeyScreenAsksForOneFirst() async throws {
        let fixture = try await WebFixture()
        try await fixture.application().test(.router) { client in
            var oscar = try await StaffPortalTests.caseworker(fixture, client, login: "oscar@agency.example", roles: ["security-officer"], office: nil)
            let away = try await oscar.get(client, "/staff/keys")
            #expect(away.status == .seeOther && away.location == "/staff/purpose?return=%2Fstaff%2Fkeys")
            let post = try await oscar.post(client, "/staff/keys/rotate", [("key", "records"), ("confirm", "yes")])
            #expect(post.status == .seeOther && post.location == "/staff/purpose")
            #expect(try await oscar.post(client, "/staff/keys/rewrap", []).location == "/staff/purpose")
            #expect(try Self.recordsVersion(fixture) == 1 && fixture.installation.rewrapJob.progress == nil)
            let back = try await oscar.post(client, "/staff/purpose", [("purpose", "security-operations"), ("return", "/staff/keys")])
            #expect(back.location == "/staff/keys")
        }
    }

    // MARK: - Resetting a second factor

    /// The bytes of an unpadded RFC 4648 base32 text (the authenticator secret as the page shows it).
    static func base32Decoded(_ text: String) -> [UInt8] {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var bytes: [UInt8] = [], buffer: UInt32 = 0, bits = 0
        for character in text {
            guard let value = alphabet.firstIndex(of: character) else { return [] }
            buffer = (buffer << 5) | UInt32(value)
            bits += 5
            if bits >= 8 {
                bytes.append(UInt8((buffer >> UInt32(bits - 8)) & 0xff))
                bits -= 8
            }
        }
        return bytes
    }

    /// A new member of staff signed in through the pages (the code of this moment) with `purpose` chosen; with the
    /// enrolment, whose password signs them in again.
    static func enrolled(
        _ fixture: WebFixture, _ client: some TestClientProtocol, login: String, role: String, office: String? = nil, purpose: String
    ) async throws -> (Browser, AccountService.StaffEnrolment) {
        let enrolment = try await fixture.installation.accounts.addStaff(login: login, roles: [role], office: office, by: .system(), context: context)
        var browser = Browser()
        _ = try await browser.get(client, "/staff/sign-in?lang=en")
        let code = try fixture.installation.accounts.unsafeCurrentOneTimeCode(accountID: enrolment.accountID)
        let signedIn = try await browser.post(client, "/staff/sign-in", [("login", login), ("password", enrolment.password), ("code", code)])
        #expect(signedIn.location?.hasPrefix("/staff/purpose") == true, "\(login) signs in: \(signedIn.status)")
        _ = try await browser.get(client, "/staff/purpose")
        #expect(try await browser.post(client, "/staff/purpose", [("purpose", purpose)]).status == .seeOther)
        return (browser, enrolment)
    }

    @Test func anAdministratorResetsACaseworkersSecondFactor() async throws {
        let fixture = try await WebFixture()
        try await fixture.application().test(.router) { client in
            let (carolBrowser, enrolment) = try await Self.enrolled(
                fixture, client, login: "carol@agency.example", role: "caseworker", office: "central", purpose: "case-handling")
            var carol = carolBrowser
            #expect(try await carol.get(client, "/staff").status == .ok)
            let oldCode = try fixture.installation.accounts.unsafeCurrentOneTimeCode(accountID: enrolment.accountID)
            let (adaBrowser, admin) = try await Self.enrolled(fixture, client, login: "ada@agency.example", role: "administrator", purpose: "administration")
            var ada = adaBrowser
            let list = try await ada.get(client, "/staff/people")
            #expect(list.body.contains(#"action="/staff/people/reset-mfa""#) && list.body.contains("Reset second factor"))
            #expect(!list.body.contains(#"<input type="hidden" name="login" value="ada@agency.example">"#), "no reset (or disable) form for oneself")

            let reset = try await ada.post(client, "/staff/people/reset-mfa", [("login", "carol@agency.example")])
            #expect(reset.status == .ok && reset.body.contains("New authenticator secret") && reset.headers[.cacheControl] == "no-store")
            let secret = try #require(reset.body.range(of: #"(?<=<code class="secret">)[A-Z2-7]+(?=</code>)"#, options: .regularExpression)
                .map { String(reset.body[$0]) })
            #expect(reset.body.contains("otpauth://totp/Strongroom:carol@agency.example?secret=\(secret)&amp;"))

            // Carol's session has ended.
            #expect(try await carol.get(client, "/staff").location?.hasPrefix("/staff/sign-in") == true)
            // The old code fails at once; a code from the secret shown works.
            var browser = Browser()
            _ = try await browser.get(client, "/staff/sign-in?lang=en")
            let old = try await browser.post(client, "/staff/sign-in", [("login", "carol@agency.example"), ("password", enrolment.password), ("code", oldCode)])
            #expect(old.status == .badRequest && old.body.contains("not a staff account"), "the old second factor still signs in")
            var bytes = Self.base32Decoded(secret)
            #expect(bytes.count == 20)
            let newSecret = try SecretBytes(consuming: &bytes)
            let newCode = TOTP.code(secret: newSecret, at: Int64(fixture.installation.clock.now.timeIntervalSince1970))
            #expect(newCode == (try fixture.installation.accounts.unsafeCurrentOneTimeCode(accountID: enrolment.accountID)))
            let signedIn = try await browser.post(client, "/staff/sign-in", [("login", "carol@agency.example"), ("password", enrolment.password), ("code", newCode)])
            #expect(signedIn.status == .seeOther && signedIn.location?.hasPrefix("/staff/purpose") == true, "\(signedIn.status)")

            // The reset is in the log, by the administrator, naming the secret's field and never its value.
            let entry = try #require(try await Self.entries(fixture, action: "staff.reset-mfa").first)
            #expect(entry.actor.id == admin.accountID && entry.target.recordID == enrolment.accountID)
            #expect(entry.fieldsTouched == ["totp_secret"] && entry.purpose == "administration")
            #expect(!String(describing: entry).contains(secret))
        }
    }

    @Test func aResetOfOneselfOrOfNobodyChangesNothing() async throws {
        // A clock that stands still: "the same secret" is checked by comparing codes, which on the wall clock change
        // every 30 seconds (a slow or busy machine crossed that boundary and failed the test).
        let fixture = try await WebFixture(clock: ManualServiceClock())
        try await fixture.application().test(.router) { client in
            let (adaBrowser, admin) = try await Self.enrolled(fixture, client, login: "ada@agency.example", role: "administrator", purpose: "administration")
            var ada = adaBrowser
            let dave = try await fixture.installation.accounts.addStaff(
                login: "dave@agency.example", roles: ["caseworker"], office: "north", by: .system(), context: Self.context)
            let adaCode = try fixture.installation.accounts.unsafeCurrentOneTimeCode(accountID: admin.accountID)
            let daveCode = try fixture.installation.accounts.unsafeCurrentOneTimeCode(accountID: dave.accountID)
            _ = try await ada.get(client, "/staff/people?lang=en")

            let own = try await ada.post(client, "/staff/people/reset-mfa", [("login", "ada@agency.example")])
            #expect(own.status == .badRequest && own.body.contains("You cannot reset your own second factor here.") && !own.body.contains("otpauth://"))
            #expect(own.body.contains(##"href="#people""##))
            let unknown = try await ada.post(client, "/staff/people/reset-mfa", [("login", "nobody@agency.example")])
            #expect(unknown.status == .badRequest && unknown.body.contains("There is no active staff account with this address"))
            let empty = try await ada.post(client, "/staff/people/reset-mfa", [("login", "  ")])
            #expect(empty.status == .badRequest && empty.body.contains("Choose the account whose second factor to reset"))
            let malformed = try await ada.post(client, "/staff/people/reset-mfa", [("login", "<not an address>")])
            #expect(malformed.status == .badRequest && !malformed.body.contains("<not an address>"))
            // A disabled account gets no new factor either.
            try await fixture.installation.accounts.disableStaff(login: "dave@agency.example", by: .system(), context: Self.context)
            let disabled = try await ada.post(client, "/staff/people/reset-mfa", [("login", "dave@agency.example")])
            #expect(disabled.status == .badRequest && disabled.body.contains("There is no active staff account with this address"))

            // Nothing changed: the same secrets, Ada still signed in, no reset in the log.
            #expect(try fixture.installation.accounts.unsafeCurrentOneTimeCode(accountID: admin.accountID) == adaCode)
            #expect(try fixture.installation.accounts.unsafeCurrentOneTimeCode(accountID: dave.accountID) == daveCode)
            #expect(try await ada.get(client, "/staff/people").status == .ok)
            #expect(try await Self.entries(fixture, action: "staff.reset-mfa").isEmpty)
        }
    }

    @Test func onlyAnAdministratorResetsASecondFactor() async throws {
        // A clock that stands still: "the same secret" is checked by comparing codes, which on the wall clock change
        // every 30 seconds (a slow or busy machine crossed that boundary and failed the test).
        let fixture = try await WebFixture(clock: ManualServiceClock())
        try await fixture.application().test(.router) { client in
            let (_, carol) = try await Self.enrolled(fixture, client, login: "carol@agency.example", role: "caseworker", office: "central", purpose: "case-handling")
            let code = try fixture.installation.accounts.unsafeCurrentOneTimeCode(accountID: carol.accountID)
            for (index, (role, office, purpose)) in [("supervisor", "central", "supervision"), ("security-officer", nil, "security-operations")].enumerated() {
                var person = try await Self.enrolled(
                    fixture, client, login: "person\(index)@agency.example", role: role, office: office, purpose: purpose).0
                let answer = try await person.post(client, "/staff/people/reset-mfa", [("login", "carol@agency.example")])
                #expect(answer.status == .notFound && !answer.body.contains("otpauth://"), "\(role): \(answer.status)")
            }
            // Without the form's token, an administrator's browser resets nothing either.
            var ada = try await Self.enrolled(fixture, client, login: "ada@agency.example", role: "administrator", purpose: "administration").0
            _ = try await ada.get(client, "/staff/people")
            #expect(try await ada.post(client, "/staff/people/reset-mfa", [("login", "carol@agency.example")], csrf: "").status == .forbidden)
            #expect(try fixture.installation.accounts.unsafeCurrentOneTimeCode(accountID: carol.accountID) == code)
        }
    }
}

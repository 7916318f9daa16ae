import AuditLog
import Catalog
import Strongroom
import Testing

/// Who may read a request, what they see, and that every refusal is audited with the refused caller.
@Suite struct AccessControlTests {
    /// Citizen A with a submitted benefit application (office "central").
    struct World {
        let fixture: InstallationFixture
        let owner: AuthenticatedCaller
        let request: RequestView
    }

    static func world() async throws -> World {
        let fixture = try InstallationFixture()
        let owner = try await fixture.citizen("owner@example.org").caller
        let request = try await fixture.records.createRequest(
            serviceID: "benefit-application", values: ServiceSample.benefit, submit: true, caller: owner, access: fixture.access())
        #expect(request.office == "central")
        return World(fixture: fixture, owner: owner, request: request)
    }

    /// The audit entries since `mark` for `action` by `actor`.
    static func entries(_ fixture: InstallationFixture, after mark: Int, actor: String, action: String) throws -> [AuditEntry] {
        try fixture.auditEntries(after: mark).filter { $0.actor.id == actor && $0.action == action }
    }

    @Test func anotherCitizenGetsNotFoundAndTheDenialIsAudited() async throws {
        let world = try await Self.world()
        let fixture = world.fixture
        let other = try await fixture.citizen("other@example.org").caller
        let mark = try fixture.auditEntries().count
        let before = try fixture.recordState()

        let read = await strongroomError { try await fixture.records.request(world.request.id, caller: other, access: fixture.access()) }
        #expect(read?.kind == .notFound)
        // Indistinguishable from a request that does not exist.
        let missing = await strongroomError { try await fixture.records.request("req_000000000000000000000000", caller: other, access: fixture.access()) }
        #expect(read == missing)
        #expect(read?.message == missing?.message)

        let denials = try Self.entries(fixture, after: mark, actor: other.accountID, action: "request.read")
        #expect(denials.count == 1)
        let denial = try #require(denials.first)
        #expect(denial.decision.effect == .deny)
        #expect(denial.target.recordID == world.request.id)
        #expect(denial.target.subjectID == world.owner.subjectID)
        #expect(denial.fieldsTouched.isEmpty)
        #expect(denial.actor.role == "citizen")

        // Changing someone else's request is hidden the same way, and changes nothing.
        let update = await strongroomError {
            try await fixture.records.updateRequest(world.request.id, values: ["full_name": .string("Mallory")], caller: other, access: fixture.access())
        }
        #expect(update?.kind == .notFound)
        let withdraw = await strongroomError { try await fixture.records.withdrawRequest(world.request.id, caller: other, access: fixture.access()) }
        #expect(withdraw?.kind == .notFound)
        let submit = await strongroomError { try await fixture.records.submitRequest(world.request.id, caller: other, access: fixture.access()) }
        #expect(submit?.kind == .notFound)
        let profile = await strongroomError { try await fixture.records.profile(of: world.owner.accountID, caller: other, access: fixture.access()) }
        #expect(profile?.kind == .notFound)
        let after = try fixture.recordState()
        #expect(after == before, "changed: \(after.changedTables(since: before))")
        let ownerView = try await fixture.records.request(world.request.id, caller: world.owner, access: fixture.access())
        #expect(ownerView.status == "submitted")
        #expect(ownerView.record == world.request.record)
        let otherDenials = try fixture.auditEntries(after: mark).filter { $0.actor.id == other.accountID && $0.decision.effect == .deny }
        #expect(Set(otherDenials.map(\.action)) == ["request.read", "request.update", "request.withdraw", "request.submit", "profile.read"])
        #expect(try await fixture.records.ownRequests(caller: other, access: fixture.access()).isEmpty)
    }

    @Test func caseworkerOfTheOfficeWithPurposeSeesMaskedIdentifiers() async throws {
        let world = try await Self.world()
        let fixture = world.fixture
        let caseworker = try await fixture.staff("cw.central@agency.example", roles: ["caseworker"], office: "central")
        #expect(caseworker.authStrength == "mfa" && caseworker.kind == .staff && caseworker.office == "central")
        let mark = try fixture.auditEntries().count

        let view = try await fixture.records.request(world.request.id, caller: caseworker, access: fixture.access(purpose: "case-handling"))
        #expect(view.record.fields["national_id"] == .masked("•••• 67AB", style: "last4"))
        #expect(view.record.fields["bank_account"] == .masked("•••• 5678", style: "last4"))
        #expect(view.record.fields["full_name"] == .revealed("Aoife Byrne"))
        #expect(view.record.fields["monthly_income"]?.value != nil)
        #expect(view.record.fields.values.allSatisfy { $0.value != "1234567AB" && $0.value != "IE29AIBK93115212345678" })

        let reads = try Self.entries(fixture, after: mark, actor: caseworker.accountID, action: "request.read")
        let read = try #require(reads.first)
        #expect(reads.count == 1)
        #expect(read.decision.effect == .allow)
        #expect(read.decision.policyIDs == ["caseworker-handle-office-requests"])
        #expect(read.purpose == "case-handling")
        #expect(read.actor.role == "caseworker")
        #expect(read.target.subjectID == world.owner.subjectID)
        #expect(Set(read.fieldsTouched) == Set(ServiceSample.benefit.keys))
    }

    @Test func caseworkerWithoutPurposeIsToldToDeclareOneAndIsAudited() async throws {
        let world = try await Self.world()
        let fixture = world.fixture
        let caseworker = try await fixture.staff("cw.central@agency.example", roles: ["caseworker"], office: "central")
        for purpose in [nil, "supervision", "curiosity"] as [String?] {
            let mark = try fixture.auditEntries().count
            let error = await strongroomError {
                try await fixture.records.request(world.request.id, caller: caseworker, access: fixture.access(purpose: purpose))
            }
            #expect(error?.kind == .forbidden)
            #expect(error?.code == "purpose_required")
            let denials = try Self.entries(fixture, after: mark, actor: caseworker.accountID, action: "request.read")
            #expect(denials.count == 1)
            #expect(denials.first?.decision.effect == .deny)
            // A declared purpose is recorded as sent; anything else is free text and is recorded as undeclared.
            #expect(denials.first?.purpose == (purpose == "curiosity" ? AuditTrail.undeclaredPurpose : purpose))
            #expect(denials.first?.fieldsTouched == [])
        }
    }

    /// The purpose header is caller-chosen text: the append-only log keeps it only when the policy schema declares
    /// it, so a name or a case story typed into it never becomes permanent.
    @Test func anUndeclaredPurposeNeverReachesTheLog() async throws {
        let world = try await Self.world()
        let fixture = world.fixture
        let caseworker = try await fixture.staff("cw.purpose@agency.example", roles: ["caseworker"], office: "central")
        let story = "checking on Aoife Byrne for her neighbour"
        _ = await strongroomError {
            try await fixture.records.request(world.request.id, caller: caseworker, access: fixture.access(purpose: story))
        }
        _ = try await fixture.records.request(world.request.id, caller: caseworker, access: fixture.access(purpose: "case-handling"))
        let entries = try fixture.auditEntries().filter { $0.actor.id == caseworker.accountID && $0.action == "request.read" }
        #expect(entries.map(\.purpose) == [AuditTrail.undeclaredPurpose, "case-handling"])
        #expect(!(try fixture.auditEntries()).map(\.jsonLine).joined().contains("Aoife Byrne"))
    }

    @Test(arguments: [nil, "case-handling"] as [String?])
    func caseworkerOfAnotherOfficeGetsNotFound(purpose: String?) async throws {
        let world = try await Self.world()
        let fixture = world.fixture
        let caseworker = try await fixture.staff("cw.north@agency.example", roles: ["caseworker"], office: "north")
        let mark = try fixture.auditEntries().count
        let error = await strongroomError {
            try await fixture.records.request(world.request.id, caller: caseworker, access: fixture.access(purpose: purpose))
        }
        #expect(error?.kind == .notFound)
        let denials = try Self.entries(fixture, after: mark, actor: caseworker.accountID, action: "request.read")
        #expect(denials.count == 1 && denials.first?.decision.effect == .deny)
    }

    @Test func caseworkerWithoutStrongSignInIsRefused() async throws {
        let world = try await Self.world()
        let fixture = world.fixture
        let strong = try await fixture.staff("cw.central@agency.example", roles: ["caseworker"], office: "central")
        // The same caseworker as a password-only session would present it.
        let weak = AuthenticatedCaller(
            accountID: strong.accountID, kind: .staff, roles: strong.roles, office: strong.office, subjectID: nil, authStrength: "password")
        let mark = try fixture.auditEntries().count
        let error = await strongroomError {
            try await fixture.records.request(world.request.id, caller: weak, access: fixture.access(purpose: "case-handling"))
        }
        #expect(error?.kind == .notFound)
        let denial = try #require(try Self.entries(fixture, after: mark, actor: strong.accountID, action: "request.read").first)
        #expect(denial.decision == .deny(["staff-need-strong-auth"]))
    }

    @Test(arguments: ["auditor", "security-officer", "administrator"])
    func oversightRolesNeverReadRecords(role: String) async throws {
        let world = try await Self.world()
        let fixture = world.fixture
        let staff = try await fixture.staff("\(role)@agency.example", roles: [role], office: "central")
        #expect(staff.authStrength == "mfa")
        for purpose in [nil, "case-handling", "audit", "security-operations", "administration"] as [String?] {
            let mark = try fixture.auditEntries().count
            let error = await strongroomError {
                try await fixture.records.request(world.request.id, caller: staff, access: fixture.access(purpose: purpose))
            }
            #expect(error?.kind == .notFound || error?.kind == .forbidden)
            #expect(error?.code != "purpose_required")
            let denial = try #require(try Self.entries(fixture, after: mark, actor: staff.accountID, action: "request.read").first)
            #expect(denial.decision == .deny(["oversight-never-reads-records"]))
            let profile = await strongroomError {
                try await fixture.records.profile(of: world.owner.accountID, caller: staff, access: fixture.access(purpose: purpose))
            }
            #expect(profile?.kind == .notFound || profile?.kind == .forbidden)
        }
        // Nor create requests on anyone's behalf.
        let create = await strongroomError {
            try await fixture.records.createRequest(
                serviceID: "fee-payment", values: ServiceSample.feePayment, submit: true, caller: staff, access: fixture.access())
        }
        #expect(create?.kind == .forbidden)
    }

    @Test func staffSignInNeedsTheOneTimeCode() async throws {
        let fixture = try InstallationFixture()
        let enrolment = try await fixture.accounts.addStaff(
            login: "cw@agency.example", roles: ["caseworker"], office: "central", by: .system("op"), context: fixture.access())
        #expect(enrolment.oneTimeCodeURI.hasPrefix("otpauth://totp/"))
        let sessionsBefore = try fixture.count("sessions")
        for code in [nil, ""] as [String?] {
            let error = await strongroomError {
                try await fixture.accounts.logIn(
                    login: "cw@agency.example", password: enrolment.password, oneTimeCode: code, address: "198.51.100.9",
                    context: fixture.access())
            }
            #expect(error?.code == "mfa_required")
            #expect(error?.kind == .unauthenticated)
        }
        let current = try fixture.accounts.unsafeCurrentOneTimeCode(accountID: enrolment.accountID)
        let wrong = String(format: "%06d", (Int(current)! + 500_000) % 1_000_000)
        let wrongCode = await strongroomError {
            try await fixture.accounts.logIn(
                login: "cw@agency.example", password: enrolment.password, oneTimeCode: wrong, address: "198.51.100.9", context: fixture.access())
        }
        #expect(wrongCode == .badCredentials)
        // Without the right password, no hint that a code would be asked for.
        let wrongPassword = await strongroomError {
            try await fixture.accounts.logIn(
                login: "cw@agency.example", password: "not the password at all", address: "198.51.100.9", context: fixture.access())
        }
        #expect(wrongPassword == .badCredentials)
        #expect(try fixture.count("sessions") == sessionsBefore)

        let session = try await fixture.accounts.logIn(
            login: "cw@agency.example", password: enrolment.password, oneTimeCode: current, address: "198.51.100.9", context: fixture.access())
        #expect(session.caller.authStrength == "mfa")
        #expect(try await fixture.accounts.authenticate(token: session.token).authStrength == "mfa")
    }

    @Test func aRightStaffPasswordWithoutItsCodeCountsAsAFailure() async throws {
        let fixture = try InstallationFixture()
        let enrolment = try await fixture.accounts.addStaff(
            login: "guessed@agency.example", roles: ["caseworker"], office: "central", by: .system("op"), context: fixture.access())
        let limit = fixture.installation.configuration.loginFailureLimit
        #expect(limit > 1)
        for _ in 0..<limit {
            let error = await strongroomError {
                try await fixture.accounts.logIn(
                    login: "guessed@agency.example", password: enrolment.password, address: "198.51.100.10", context: fixture.access())
            }
            #expect(error?.code == "mfa_required")
        }
        // Each attempt is audited as a refused sign-in with reason mfa-missing (the first of the window at once, the
        // others counted in one entry when the window closes)…
        try await fixture.installation.refusals.flush(all: true)
        let missing = try fixture.auditEntries().filter {
            $0.action == "session.create" && $0.details["reason"] == "mfa-missing" && $0.target.recordID == enrolment.accountID
        }
        #expect(missing.map { Int($0.details["count"] ?? "") ?? 0 }.reduce(0, +) == limit)
        // …and counts towards the delay: now the right password without a code must wait, and answers no differently
        // from a wrong one.
        let waiting = await strongroomError {
            try await fixture.accounts.logIn(
                login: "guessed@agency.example", password: enrolment.password, address: "198.51.100.11", context: fixture.access())
        }
        let wrongWaiting = await strongroomError {
            try await fixture.accounts.logIn(
                login: "guessed@agency.example", password: "not the password at all", address: "198.51.100.11", context: fixture.access())
        }
        #expect(waiting == .throttled && wrongWaiting == .throttled)
        #expect(waiting?.message == wrongWaiting?.message && waiting?.retryAfterSeconds == wrongWaiting?.retryAfterSeconds)
        #expect(try fixture.count("sessions") == 0)
    }

    /// Someone who knows a caseworker's login fails their password over and over: the login waits, but the owner, with
    /// the right password and the code from their authenticator, signs in at once. A guessed password with a wrong
    /// code gets nothing but the same wait.
    @Test func theStaffOwnerWithACodePassesTheAttackersDelay() async throws {
        let fixture = try InstallationFixture { $0.addressFailureLimit = 1000 }
        let enrolment = try await fixture.accounts.addStaff(
            login: "targeted@agency.example", roles: ["caseworker"], office: "central", by: .system("op"), context: fixture.access())
        for n in 0..<40 {
            let error = await strongroomError {
                try await fixture.accounts.logIn(
                    login: "targeted@agency.example", password: "attacker guess \(n)", oneTimeCode: "000000", address: "203.0.113.66",
                    context: fixture.access())
            }
            #expect(error == .badCredentials || error == .throttled)
            fixture.clock.advance(by: 1)
        }
        // The login is held back now: without a code, even the right password waits.
        let held = await strongroomError {
            try await fixture.accounts.logIn(
                login: "targeted@agency.example", password: enrolment.password, address: "198.51.100.20", context: fixture.access())
        }
        #expect(held == .throttled && (held?.retryAfterSeconds ?? 0) > 1)
        // The attacker who guessed the password but has no valid code: the same wait, and no session.
        let code = try fixture.accounts.unsafeCurrentOneTimeCode(accountID: enrolment.accountID)
        let wrongCode = String(code.map { Character(String((Int(String($0))! + 5) % 10)) })
        let guessed = await strongroomError {
            try await fixture.accounts.logIn(
                login: "targeted@agency.example", password: enrolment.password, oneTimeCode: wrongCode, address: "203.0.113.66",
                context: fixture.access())
        }
        #expect(guessed == .throttled)
        #expect(try fixture.count("sessions") == 0)
        // The owner: password and current code sign in at once, with a second factor, and the count starts again.
        let session = try await fixture.accounts.logIn(
            login: "targeted@agency.example", password: enrolment.password, oneTimeCode: code, address: "198.51.100.20",
            context: fixture.access())
        #expect(session.caller.authStrength == "mfa" && session.caller.accountID == enrolment.accountID)
        _ = try await fixture.accounts.authenticate(token: session.token)
        let signedIn = try #require(try fixture.auditEntries().last { $0.action == "session.create" && $0.decision.effect == .allow })
        #expect(signedIn.details["passed_delay"] == "true" && signedIn.actor.id == enrolment.accountID)
        #expect(try fixture.installation.database.readBlocking { db in
            try Int.fetchOne(db, sql: "SELECT failed_logins FROM accounts WHERE id = ?", arguments: [enrolment.accountID])
        } == 0)
    }

    @Test func disablingStaffRevokesTheirSessions() async throws {
        let fixture = try InstallationFixture()
        let enrolment = try await fixture.accounts.addStaff(
            login: "leaver@agency.example", roles: ["caseworker"], office: "central", by: .system("op"), context: fixture.access())
        let code = try fixture.accounts.unsafeCurrentOneTimeCode(accountID: enrolment.accountID)
        let session = try await fixture.accounts.logIn(
            login: "leaver@agency.example", password: enrolment.password, oneTimeCode: code, address: "198.51.100.9", context: fixture.access())
        _ = try await fixture.accounts.authenticate(token: session.token)
        try await fixture.accounts.disableStaff(login: "leaver@agency.example", by: .system("op"), context: fixture.access())
        let error = await strongroomError { try await fixture.accounts.authenticate(token: session.token) }
        #expect(error == .unauthenticated)
        let again = await strongroomError {
            try await fixture.accounts.logIn(
                login: "leaver@agency.example", password: enrolment.password,
                oneTimeCode: try fixture.accounts.unsafeCurrentOneTimeCode(accountID: enrolment.accountID), address: "198.51.100.9",
                context: fixture.access())
        }
        #expect(again == .badCredentials)
    }

    @Test func caseworkerSeesSpecialCategoryFieldsRedacted() async throws {
        let fixture = try InstallationFixture()
        let owner = try await fixture.citizen("special@example.org").caller
        var health = ServiceSample.healthPlan
        health["health_declaration"] = .string("Type 1 diabetes since 2004")
        var classes = ServiceSample.classRegistration
        classes["medical_notes"] = .string("Severe peanut allergy, carries an EpiPen")
        let enrolment = try await fixture.records.createRequest(
            serviceID: "health-plan-enrolment", values: health, submit: true, caller: owner, access: fixture.access())
        let registration = try await fixture.records.createRequest(
            serviceID: "class-registration", values: classes, submit: true, caller: owner, access: fixture.access())
        let caseworker = try await fixture.staff("cw@agency.example", roles: ["caseworker"], office: "central")
        let healthView = try await fixture.records.request(enrolment.id, caller: caseworker, access: fixture.access(purpose: "case-handling"))
        let classView = try await fixture.records.request(registration.id, caller: caseworker, access: fixture.access(purpose: "case-handling"))
        #expect(healthView.record.fields["health_declaration"]?.mask == "redacted")
        #expect(healthView.record.fields["health_declaration"]?.value == nil)
        #expect(healthView.record.fields["health_declaration"]?.masked?.contains("diabetes") == false)
        #expect(classView.record.fields["medical_notes"]?.mask == "redacted")
        #expect(classView.record.fields["medical_notes"]?.value == nil)
        #expect(classView.record.fields["medical_notes"]?.masked?.contains("peanut") == false)
        // The owner sees their own values.
        let own = try await fixture.records.request(enrolment.id, caller: owner, access: fixture.access())
        #expect(own.record.fields["health_declaration"] == .revealed("Type 1 diabetes since 2004"))
    }

    @Test func supervisorBreakGlassNeedsAJustificationAndIsFlagged() async throws {
        let world = try await Self.world()
        let fixture = world.fixture
        let supervisor = try await fixture.staff("sup.north@agency.example", roles: ["supervisor"], office: "north")
        // Another office's request without a justification: hidden, and the denial audited.
        let mark = try fixture.auditEntries().count
        let refused = await strongroomError {
            try await fixture.records.request(world.request.id, caller: supervisor, access: fixture.access(purpose: "supervision"))
        }
        #expect(refused?.kind == .notFound)
        #expect(try Self.entries(fixture, after: mark, actor: supervisor.accountID, action: "request.read").map(\.decision.effect) == [.deny])

        let view = try await fixture.records.request(
            world.request.id, caller: supervisor,
            access: fixture.access(purpose: "supervision", justification: "Citizen called the north desk about an urgent payment"))
        #expect(view.record.fields["national_id"] == .masked("•••• 67AB", style: "last4"))
        let entry = try #require(try Self.entries(fixture, after: mark, actor: supervisor.accountID, action: "request.read").last)
        #expect(entry.decision == .allow(["supervisor-break-glass"]))
        #expect(entry.flags.contains(.breakGlass))
        #expect(entry.details["review"] == "required")
    }

    /// A draft is the citizen's: no member of staff reads it (hidden as not found, the denial audited), claims it,
    /// finds it by search or breaks the glass into it; once submitted, the caseworker reads it.
    @Test func staffNeverSeeDrafts() async throws {
        let fixture = try InstallationFixture()
        let owner = try await fixture.citizen("drafter@example.org").caller
        let draft = try await fixture.records.createRequest(
            serviceID: "benefit-application", values: ServiceSample.benefit, submit: false, caller: owner, access: fixture.access())
        #expect(draft.status == "draft")
        let caseworker = try await fixture.staff("cw.drafts@agency.example", roles: ["caseworker"], office: "central")
        let supervisor = try await fixture.staff("sup.drafts@agency.example", roles: ["supervisor"], office: "north")
        let casework = fixture.access(purpose: "case-handling")
        let mark = try fixture.auditEntries().count
        #expect(await strongroomError { try await fixture.records.request(draft.id, caller: caseworker, access: casework) }?.kind == .notFound)
        #expect(await strongroomError { try await fixture.records.claim(draft.id, caller: caseworker, access: casework) } != nil)
        #expect(try await fixture.records.search(field: "national_id", value: "1234567AB", caller: caseworker, access: casework).isEmpty)
        let glass = fixture.access(purpose: "supervision", justification: "Citizen asked us on the phone to look at the draft")
        #expect(await strongroomError { try await fixture.records.request(draft.id, caller: supervisor, access: glass) }?.kind == .notFound)
        let denials = try Self.entries(fixture, after: mark, actor: caseworker.accountID, action: "request.read")
        #expect(denials.map(\.decision) == [.deny(["drafts-stay-with-the-citizen"])])

        _ = try await fixture.records.submitRequest(draft.id, caller: owner, access: fixture.access())
        let view = try await fixture.records.request(draft.id, caller: caseworker, access: casework)
        #expect(view.record.fields["full_name"] == .revealed("Aoife Byrne"))
    }

    /// A caller-chosen purpose goes into the audit entry; an oversized one must not turn a denial into an
    /// unaudited internal error.
    @Test func oversizedPurposeStillAuditsTheDenial() async throws {
        let world = try await Self.world()
        let fixture = world.fixture
        let caseworker = try await fixture.staff("cw.central@agency.example", roles: ["caseworker"], office: "central")
        let mark = try fixture.auditEntries().count
        let purpose = String(repeating: "x", count: 70_000)
        let error = await strongroomError {
            try await fixture.records.request(world.request.id, caller: caseworker, access: fixture.access(purpose: purpose))
        }
        #expect(error?.kind != .internalFailure, "\(String(describing: error?.code))")
        let denials = try Self.entries(fixture, after: mark, actor: caseworker.accountID, action: "request.read")
        #expect(denials.map(\.decision.effect) == [.deny])
    }
}

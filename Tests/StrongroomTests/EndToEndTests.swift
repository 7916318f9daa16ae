import Catalog
import Strongroom
import Testing

/// A citizen's whole journey through the service layer, as the HTTP layer will drive it.
@Suite struct EndToEndTests {
    @Test func citizenSignsUpKeepsAProfileAppliesAndSeesStatus() async throws {
        let fixture = try InstallationFixture()
        let accounts = fixture.accounts
        let records = fixture.records

        try await accounts.signUp(login: "Aoife.Byrne@Example.IE", password: "correct horse battery staple", context: fixture.access())
        let session = try await accounts.logIn(
            login: "aoife.byrne@example.ie", password: "correct horse battery staple", address: "198.51.100.7", context: fixture.access())
        #expect(session.token.utf8.count == 43)
        #expect(session.expiresAt == fixture.clock.now.addingTimeInterval(fixture.configuration.sessionLifetime))

        let caller = try await accounts.authenticate(token: session.token)
        #expect(caller == session.caller)
        #expect(caller.kind == .citizen && caller.roles == ["citizen"] && caller.authStrength == "password")
        #expect(caller.subjectID != nil && caller.subjectID != caller.accountID)

        // Profile: every field, then read back.
        let updated = try await records.updateProfile(
            [
                "name": .string("Aoife Byrne"), "email": .string("aoife@Example.IE"),
                "postal_address": ServiceSample.address, "national_id": .string("1234567 ab"),
                "date_of_birth": .string("1990-04-17"),
            ], caller: caller, access: fixture.access())
        let profile = try await records.profile(of: caller.accountID, caller: caller, access: fixture.access())
        #expect(profile == updated)
        #expect(profile.fields["name"] == .revealed("Aoife Byrne"))
        #expect(profile.fields["email"] == .revealed("aoife@example.ie"))
        #expect(profile.fields["national_id"] == .revealed("1234567AB"))
        #expect(profile.fields["date_of_birth"] == .revealed("1990-04-17"))
        let address = try #require(profile.fields["postal_address"]?.value)
        #expect(address.contains("12 Quay Road") && address.contains("40123") && address.contains("IE"))
        #expect(profile.omitted.isEmpty)
        #expect(Set(profile.fields.keys) == ["name", "email", "postal_address", "national_id", "date_of_birth"])

        // A benefit application goes to review: submitted, no outcome, no rule.
        let benefit = try await records.createRequest(
            serviceID: "benefit-application", values: ServiceSample.benefit, submit: true, caller: caller, access: fixture.access())
        #expect(benefit.serviceID == "benefit-application")
        #expect(benefit.serviceVersion == 2)
        #expect(benefit.status == "submitted")
        #expect(benefit.outcome == nil && benefit.decidedByRule == nil && benefit.decidedAt == nil)
        #expect(benefit.submittedAt == fixture.clock.now)
        #expect(benefit.office == fixture.configuration.defaultOffice)
        #expect(benefit.record.fields["full_name"] == .revealed("Aoife Byrne"))
        #expect(benefit.record.fields["national_id"] == .revealed("1234567AB"))
        #expect(benefit.record.fields["bank_account"] == .revealed("IE29AIBK93115212345678"))
        #expect(benefit.record.fields.count == ServiceSample.benefit.count)

        fixture.clock.advance(by: 60)
        let seen = try await records.request(benefit.id, caller: caller, access: fixture.access())
        #expect(seen.status == "submitted")
        #expect(seen.record == benefit.record)

        // A change of address that the rule `own-move-in-county` approves at once.
        fixture.clock.advance(by: 60)
        let move = try await records.createRequest(
            serviceID: "change-of-address", values: ServiceSample.changeOfAddress, submit: true, caller: caller, access: fixture.access())
        #expect(move.status == "decided")
        #expect(move.outcome == "approved")
        #expect(move.decidedByRule == "own-move-in-county")
        #expect(move.decidedAt == fixture.clock.now)

        // Moving abroad is rejected by the rule before it.
        fixture.clock.advance(by: 60)
        var abroad = ServiceSample.changeOfAddress
        abroad["new_address"] = .object([
            "line1": .string("1 Rue de Rivoli"), "city": .string("Paris"), "postcode": .string("75001"), "country": .string("FR"),
        ])
        let rejected = try await records.createRequest(
            serviceID: "change-of-address", values: abroad, submit: true, caller: caller, access: fixture.access())
        #expect(rejected.status == "decided" && rejected.outcome == "rejected" && rejected.decidedByRule == "moving-abroad")

        let own = try await records.ownRequests(caller: caller, access: fixture.access())
        #expect(own.map(\.id) == [rejected.id, move.id, benefit.id])  // newest first
        #expect(own.first(where: { $0.id == benefit.id })?.status == "submitted")
        #expect(own.first(where: { $0.id == move.id })?.outcome == "approved")

        // Logout revokes the token; a second logout is harmless.
        try await accounts.logOut(token: session.token, context: fixture.access())
        let afterLogout = await strongroomError { try await accounts.authenticate(token: session.token) }
        #expect(afterLogout == .unauthenticated)
        try await accounts.logOut(token: session.token, context: fixture.access())
    }
}

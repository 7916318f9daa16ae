import GRDB
import Testing

@testable import Strongroom

/// Disabling a staff account revokes its sessions by itself: the sessions stay refused even once the account is
/// active again, and every sign-in here uses a fresh one-time code, so replay protection cannot be what refuses.
@Suite struct StaffDisableTests {
    @Test func disablingRevokesSessionsAndReEnablingDoesNotReviveThem() async throws {
        let fixture = try InstallationFixture()
        let accounts = fixture.accounts
        let login = "leaver@agency.example"
        let enrolment = try await accounts.addStaff(
            login: login, roles: ["caseworker"], office: "central", by: .system("op"), context: fixture.access())
        /// Signs in with the code of a time step no sign-in has used yet.
        func signIn() async throws -> AccountService.Session {
            fixture.clock.advance(by: 60)
            let code = try accounts.unsafeCurrentOneTimeCode(accountID: enrolment.accountID)
            return try await accounts.logIn(
                login: login, password: enrolment.password, oneTimeCode: code, address: "198.51.100.9", context: fixture.access())
        }
        let first = try await signIn(), second = try await signIn()
        for session in [first, second] { #expect(try await accounts.authenticate(token: session.token).accountID == enrolment.accountID) }

        try await accounts.disableStaff(login: login, by: .system("op"), context: fixture.access())
        for session in [first, second] {
            #expect(await strongroomError { try await accounts.authenticate(token: session.token) } == .unauthenticated)
        }
        let unrevoked = try await fixture.installation.database.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sessions WHERE account_id = ? AND revoked_at IS NULL", arguments: [enrolment.accountID])
        }
        #expect(unrevoked == 0, "disabling leaves no session of the account unrevoked")
        #expect(await strongroomError { try await signIn() } == .badCredentials, "a disabled account cannot sign in with a fresh code")

        // Re-enabled as an operator would (status active, row MAC recomputed): the account works again, its old
        // sessions do not.
        let integrity = accounts.integrity
        try await fixture.installation.database.write { db in
            var row = try #require(try AccountRow.fetchOne(db, sql: "SELECT * FROM accounts WHERE id = ?", arguments: [enrolment.accountID]))
            row.status = "active"
            try integrity.authenticate(&row)
            try row.update(db)
        }
        let third = try await signIn()
        #expect(try await accounts.authenticate(token: third.token).accountID == enrolment.accountID)
        for session in [first, second] {
            #expect(await strongroomError { try await accounts.authenticate(token: session.token) } == .unauthenticated,
                    "a session revoked by disabling came back when the account was re-enabled")
        }
    }
}

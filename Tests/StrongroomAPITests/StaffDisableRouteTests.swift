import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import StrongroomAPI
import Testing

@testable import Strongroom

/// Over HTTP: the session of a staff member signed in with a fresh code answers 401 once the account is disabled,
/// and still does after the account is made active again.
@Suite struct StaffDisableRouteTests {
    @Test func aDisabledStaffSessionIsRefusedWith401AndStaysRefused() async throws {
        let fixture = try APIFixture()
        let accounts = fixture.installation.accounts
        try await fixture.application().test(.router) { client in
            // The code is used here for the first time: a later refusal cannot be replay protection's.
            let carol = try await CaseworkRouteTests.staffToken(fixture, client, login: "carol@agency.example", role: "caseworker")
            let before = try await client.json(.get, "/v1/cases", token: carol.token, purpose: "case-handling")
            #expect(before.status == .ok)

            try await accounts.disableStaff(login: "carol@agency.example", by: .system("op"), context: AccessContext(requestID: "disable"))
            let after = try await client.json(.get, "/v1/cases", token: carol.token, purpose: "case-handling")
            #expect(after.status == .unauthorized)
            #expect(after.json["error"] as? String == "unauthenticated")

            // Made active again as an operator would (status and row MAC): the old session does not come back.
            let integrity = accounts.integrity
            try await fixture.installation.database.write { db in
                var row = try #require(try AccountRow.fetchOne(db, sql: "SELECT * FROM accounts WHERE id = ?", arguments: [carol.id]))
                row.status = "active"
                try integrity.authenticate(&row)
                try row.update(db)
            }
            let reEnabled = try await client.json(.get, "/v1/cases", token: carol.token, purpose: "case-handling")
            #expect(reEnabled.status == .unauthorized)
        }
    }
}

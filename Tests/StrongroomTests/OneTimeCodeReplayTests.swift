import Strongroom
import Testing

@Suite("One-time codes")
struct OneTimeCodeReplayTests {
    @Test("a staff one-time code opens one session only; the next step's code works")
    func replayRefused() async throws {
        let fixture = try InstallationFixture()
        let enrolment = try await fixture.accounts.addStaff(
            login: "replay@agency.example", roles: ["caseworker"], office: "central", by: .system("test"), context: fixture.access())
        let code = try fixture.accounts.unsafeCurrentOneTimeCode(accountID: enrolment.accountID)
        _ = try await fixture.accounts.logIn(
            login: "replay@agency.example", password: enrolment.password, oneTimeCode: code, address: "198.51.100.20", context: fixture.access())
        let replay = await strongroomError {
            try await fixture.accounts.logIn(
                login: "replay@agency.example", password: enrolment.password, oneTimeCode: code, address: "198.51.100.20",
                context: fixture.access())
        }
        #expect(replay?.code == "bad_credentials")
        fixture.clock.advance(by: 30)
        let next = try fixture.accounts.unsafeCurrentOneTimeCode(accountID: enrolment.accountID)
        #expect(next != code)
        let session = try await fixture.accounts.logIn(
            login: "replay@agency.example", password: enrolment.password, oneTimeCode: next, address: "198.51.100.20", context: fixture.access())
        #expect(session.caller.authStrength == "mfa")
    }
}

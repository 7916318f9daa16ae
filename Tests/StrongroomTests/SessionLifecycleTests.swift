import AuditLog
import Foundation
import GRDB
import Strongroom
import Testing

/// Sessions end when unused (30 minutes for citizens, 15 for staff), can all be ended at once, and ended ones are
/// purged; the last use is authenticated like the rest of the row.
@Suite struct SessionLifecycleTests {
    @Test func aCitizensSessionEndsAfterThirtyMinutesUnusedAndUseKeepsItAlive() async throws {
        let fixture = try InstallationFixture()
        let session = try await fixture.citizen("idle@example.org")
        for _ in 0..<4 {
            fixture.clock.advance(by: 29 * 60)
            _ = try await fixture.accounts.authenticate(token: session.token)
        }
        #expect(fixture.clock.now.timeIntervalSince(session.expiresAt) < 0, "116 minutes in, within the 8-hour lifetime")
        fixture.clock.advance(by: 30 * 60 + 1)
        #expect(await strongroomError { try await fixture.accounts.authenticate(token: session.token) } == .unauthenticated)
    }

    @Test func aStaffSessionEndsAfterFifteenMinutesUnused() async throws {
        let fixture = try InstallationFixture()
        let enrolment = try await fixture.accounts.addStaff(
            login: "idle.staff@agency.example", roles: ["caseworker"], office: "central", by: .system("test"), context: fixture.access())
        let session = try await fixture.accounts.logIn(
            login: "idle.staff@agency.example", password: enrolment.password,
            oneTimeCode: try fixture.accounts.unsafeCurrentOneTimeCode(accountID: enrolment.accountID), address: "198.51.100.8",
            context: fixture.access())
        fixture.clock.advance(by: 14 * 60)
        _ = try await fixture.accounts.authenticate(token: session.token)
        fixture.clock.advance(by: 15 * 60 + 1)
        #expect(await strongroomError { try await fixture.accounts.authenticate(token: session.token) } == .unauthenticated)
    }

    @Test func aLastUseMovedForwardBySQLFailsTheRowsMAC() async throws {
        let fixture = try InstallationFixture()
        let session = try await fixture.citizen("keepalive@example.org")
        fixture.clock.advance(by: 2 * 60)
        _ = try await fixture.accounts.authenticate(token: session.token)
        let written = try await fixture.installation.database.read { db in try Int64.fetchOne(db, sql: "SELECT last_seen_at FROM sessions") }
        #expect(written != nil, "a use more than a minute after the last is written")
        try await fixture.installation.database.write { db in
            try db.execute(sql: "UPDATE sessions SET last_seen_at = last_seen_at + 86400000")
        }
        fixture.clock.advance(by: 40 * 60)
        #expect(await strongroomError { try await fixture.accounts.authenticate(token: session.token) } == .unauthenticated)
        #expect(try fixture.auditEntries().contains { $0.action == "integrity.alarm" && $0.details["table"] == "sessions" })
    }

    @Test func signingOutEverywhereEndsEverySessionOfTheAccountOnly() async throws {
        let fixture = try InstallationFixture()
        let phone = try await fixture.citizen("everywhere@example.org")
        let laptop = try await fixture.accounts.logIn(
            login: "everywhere@example.org", password: "correct horse battery staple", address: "198.51.100.9", context: fixture.access())
        let other = try await fixture.citizen("bystander@example.org")
        try await fixture.accounts.logOutEverywhere(token: phone.token, context: fixture.access())
        for token in [phone.token, laptop.token] {
            #expect(await strongroomError { try await fixture.accounts.authenticate(token: token) } == .unauthenticated)
        }
        _ = try await fixture.accounts.authenticate(token: other.token)
        let entry = try #require(try fixture.auditEntries().last { $0.action == "session.revoke-all" })
        #expect(entry.actor.id == phone.accountID && entry.details["sessions"] == "2")
        #expect(await strongroomError { try await fixture.accounts.logOutEverywhere(token: phone.token, context: fixture.access()) } == .unauthenticated)
    }

    @Test func endedSessionsArePurgedAfterThirtyDays() async throws {
        let fixture = try InstallationFixture()
        let revoked = try await fixture.citizen("purge@example.org")
        try await fixture.accounts.logOut(token: revoked.token, context: fixture.access())
        _ = try await fixture.accounts.logIn(
            login: "purge@example.org", password: "correct horse battery staple", address: "198.51.100.7", context: fixture.access())
        #expect(try fixture.count("sessions") == 2)
        fixture.clock.advance(by: 29 * 86_400)
        #expect(try await fixture.accounts.purgeEndedSessions() == 0, "ended less than 30 days ago: kept")
        fixture.clock.advance(by: 2 * 86_400)
        #expect(try await fixture.accounts.purgeEndedSessions() == 2)
        let live = try await fixture.accounts.logIn(
            login: "purge@example.org", password: "correct horse battery staple", address: "198.51.100.7", context: fixture.access())
        #expect(try await fixture.accounts.purgeEndedSessions() == 0, "a live session stays")
        _ = try await fixture.accounts.authenticate(token: live.token)
    }
}

import AuditLog
import Foundation
import GRDB
import Sodium
import Strongroom
import Testing

/// Changing a password needs the current one, ends the account's other sessions, and is audited; a sign-in
/// re-hashes a password stored under weaker Argon2id limits than those configured now.
@Suite struct PasswordChangeTests {
    static let old = "correct horse battery staple"
    static let new = "a different and longer passphrase"

    @Test func aChangeNeedsTheCurrentPasswordAndEndsTheOtherSessions() async throws {
        let fixture = try InstallationFixture()
        let here = try await fixture.citizen("changer@example.org")
        let elsewhere = try await fixture.accounts.logIn(login: "changer@example.org", password: Self.old, address: "198.51.100.7", context: fixture.access())
        try await fixture.accounts.changePassword(token: here.token, current: Self.old, new: Self.new, context: fixture.access())
        _ = try await fixture.accounts.authenticate(token: here.token)
        #expect(await strongroomError { try await fixture.accounts.authenticate(token: elsewhere.token) } == .unauthenticated)
        #expect(await strongroomError {
            try await fixture.accounts.logIn(login: "changer@example.org", password: Self.old, address: "198.51.100.7", context: fixture.access())
        } == .badCredentials)
        _ = try await fixture.accounts.logIn(login: "changer@example.org", password: Self.new, address: "198.51.100.7", context: fixture.access())
        let entry = try #require(try fixture.auditEntries().last { $0.action == "account.password-change" })
        #expect(entry.actor.id == here.accountID && entry.details["other_sessions_ended"] == "1")
        #expect(!(try fixture.auditEntries()).map(\.jsonLine).joined().contains(Self.new))
    }

    @Test func aWrongCurrentPasswordChangesNothingAndCountsTowardsTheLockout() async throws {
        let fixture = try InstallationFixture()
        let session = try await fixture.citizen("guesser@example.org")
        let hash: () async throws -> String? = {
            try await fixture.installation.database.read { db in try String.fetchOne(db, sql: "SELECT password_hash FROM accounts") }
        }
        let before = try await hash()
        #expect(await strongroomError {
            try await fixture.accounts.changePassword(token: session.token, current: "not the password at all", new: Self.new, context: fixture.access())
        } == .badCredentials)
        #expect(await strongroomError {
            try await fixture.accounts.changePassword(token: session.token, current: Self.old, new: "short", context: fixture.access())
        }?.code == "weak_password")
        #expect(try await hash() == before)
        for _ in 1..<fixture.configuration.loginFailureLimit {
            _ = await strongroomError {
                try await fixture.accounts.changePassword(token: session.token, current: "still not it, sorry", new: Self.new, context: fixture.access())
            }
        }
        #expect(await strongroomError {
            try await fixture.accounts.changePassword(token: session.token, current: Self.old, new: Self.new, context: fixture.access())
        } == .throttled, "locked after the failure limit, even with the right password")
        #expect(try await hash() == before)
    }

    @Test func aSignInRehashesAPasswordStoredUnderWeakerLimits() async throws {
        let fixture = try InstallationFixture()
        _ = try await fixture.citizen("rehash@example.org")
        let stored: () throws -> String? = {
            try fixture.installation.database.readBlocking { db in try String.fetchOne(db, sql: "SELECT password_hash FROM accounts") }
        }
        let weak = try #require(try stored())
        var stronger = Argon2id.Limits.minimumForTesting
        stronger.operations += 1
        #expect(Argon2id.needsRehash(weak, limits: stronger))
        // The same installation reopened with stronger limits.
        var configuration = fixture.configuration
        configuration.passwordLimits = stronger
        let reopened = try Installation(configuration: configuration, clock: fixture.clock, paymentProvider: try OfflinePaymentProvider())
        _ = try await reopened.accounts.logIn(login: "rehash@example.org", password: Self.old, address: "198.51.100.7", context: fixture.access())
        let rehashed = try #require(try stored())
        #expect(rehashed != weak && !Argon2id.needsRehash(rehashed, limits: stronger))
        _ = try await reopened.accounts.logIn(login: "rehash@example.org", password: Self.old, address: "198.51.100.7", context: fixture.access())
    }
}

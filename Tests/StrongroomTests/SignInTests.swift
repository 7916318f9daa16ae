import AuditLog
import Foundation
import Sodium
import Strongroom
import Testing

/// Sign-up, sign-in, lockout, sessions: uniform answers that never say whether an account exists.
@Suite struct SignInTests {
    static let password = "correct horse battery staple"

    @Test func wrongPasswordAndUnknownAccountAnswerTheSame() async throws {
        let fixture = try InstallationFixture()
        try await fixture.accounts.signUp(login: "known@example.org", password: Self.password, context: fixture.access())
        let wrongPassword = await strongroomError {
            try await fixture.accounts.logIn(login: "known@example.org", password: "wrong password 123", address: "203.0.113.1", context: fixture.access())
        }
        let unknown = await strongroomError {
            try await fixture.accounts.logIn(login: "nobody@example.org", password: "wrong password 123", address: "203.0.113.2", context: fixture.access())
        }
        let malformed = await strongroomError {
            try await fixture.accounts.logIn(login: "a b", password: "wrong password 123", address: "203.0.113.3", context: fixture.access())
        }
        for error in [wrongPassword, unknown, malformed] {
            #expect(error == .badCredentials)
            #expect(error?.kind == .unauthenticated)
            #expect(error?.message == StrongroomError.badCredentials.message)
            #expect(error?.fields == [])
        }
        #expect(try fixture.count("sessions") == 0)
        // Both failures are audited as denials of session.create.
        let denials = try fixture.auditEntries().filter { $0.action == "session.create" && $0.decision.effect == .deny }
        #expect(denials.count >= 2)
    }

    @Test func accountLocksAfterTheFailureLimitEvenForTheRightPassword() async throws {
        let fixture = try InstallationFixture { $0.loginFailureLimit = 3 }
        try await fixture.accounts.signUp(login: "target@example.org", password: Self.password, context: fixture.access())
        for attempt in 1...3 {
            let error = await strongroomError {
                try await fixture.accounts.logIn(
                    login: "target@example.org", password: "guess number \(attempt)", address: "203.0.113.\(attempt)", context: fixture.access())
            }
            #expect(error == .badCredentials)
        }
        let locked = await strongroomError {
            try await fixture.accounts.logIn(login: "target@example.org", password: Self.password, address: "203.0.113.9", context: fixture.access())
        }
        #expect(locked == .throttled)
        #expect(locked?.code == "too_many_attempts" && locked?.kind == .tooManyRequests)
        #expect(try fixture.count("sessions") == 0)

        // Still locked just before the lockout ends; open after it.
        fixture.clock.advance(by: fixture.configuration.lockoutSeconds - 1)
        let stillLocked = await strongroomError {
            try await fixture.accounts.logIn(login: "target@example.org", password: Self.password, address: "203.0.113.9", context: fixture.access())
        }
        #expect(stillLocked == .throttled)
        fixture.clock.advance(by: 2)
        let session = try await fixture.accounts.logIn(
            login: "target@example.org", password: Self.password, address: "203.0.113.9", context: fixture.access())
        _ = try await fixture.accounts.authenticate(token: session.token)
    }

    @Test func successfulSignInResetsTheFailureCount() async throws {
        let fixture = try InstallationFixture { $0.loginFailureLimit = 3 }
        try await fixture.accounts.signUp(login: "forgetful@example.org", password: Self.password, context: fixture.access())
        for round in 0..<2 {
            for attempt in 1...2 {
                _ = await strongroomError {
                    try await fixture.accounts.logIn(
                        login: "forgetful@example.org", password: "guess \(round) \(attempt)", address: "203.0.113.\(attempt)",
                        context: fixture.access())
                }
            }
            _ = try await fixture.accounts.logIn(
                login: "forgetful@example.org", password: Self.password, address: "203.0.113.9", context: fixture.access())
        }
    }

    /// Lockout must not become an oracle: after the limit, an unknown login must answer exactly as a known one.
    @Test func lockoutDoesNotRevealWhichAccountsExist() async throws {
        let fixture = try InstallationFixture { $0.loginFailureLimit = 3 }
        try await fixture.accounts.signUp(login: "exists@example.org", password: Self.password, context: fixture.access())
        func answers(for login: String) async -> [String?] {
            var codes: [String?] = []
            for attempt in 1...4 {
                let error = await strongroomError {
                    try await fixture.accounts.logIn(
                        login: login, password: "guess number \(attempt)", address: "192.0.2.\(attempt)", context: fixture.access())
                }
                codes.append(error?.code)
            }
            return codes
        }
        let known = await answers(for: "exists@example.org")
        let unknown = await answers(for: "does-not-exist@example.org")
        #expect(known == unknown, "known account: \(known), unknown account: \(unknown)")
        #expect(known.last == "too_many_attempts")
        // And still the same once the lockout has run out and the guessing resumes.
        fixture.clock.advance(by: fixture.configuration.lockoutSeconds + 1)
        let knownLater = await answers(for: "exists@example.org")
        let unknownLater = await answers(for: "does-not-exist@example.org")
        #expect(knownLater == unknownLater, "after the lockout, known account: \(knownLater), unknown account: \(unknownLater)")
    }

    @Test func addressIsThrottledAfterTooManyFailures() async throws {
        let fixture = try InstallationFixture { $0.addressFailureLimit = 4 }
        try await fixture.accounts.signUp(login: "victim@example.org", password: Self.password, context: fixture.access())
        for n in 1...4 {
            let error = await strongroomError {
                try await fixture.accounts.logIn(login: "spray\(n)@example.org", password: "guess guess guess", address: "198.18.0.1", context: fixture.access())
            }
            #expect(error == .badCredentials)
        }
        let blocked = await strongroomError {
            try await fixture.accounts.logIn(login: "victim@example.org", password: Self.password, address: "198.18.0.1", context: fixture.access())
        }
        #expect(blocked == .throttled)
        // Another address is not affected, and the window passes.
        _ = try await fixture.accounts.logIn(login: "victim@example.org", password: Self.password, address: "198.18.0.2", context: fixture.access())
        fixture.clock.advance(by: fixture.configuration.addressWindowSeconds + 1)
        _ = try await fixture.accounts.logIn(login: "victim@example.org", password: Self.password, address: "198.18.0.1", context: fixture.access())
    }

    @Test func expiredSessionIsUnauthenticated() async throws {
        let fixture = try InstallationFixture { $0.sessionLifetime = 600 }
        let session = try await fixture.citizen("expiring@example.org")
        fixture.clock.advance(by: 599)
        _ = try await fixture.accounts.authenticate(token: session.token)
        fixture.clock.advance(by: 1)
        let error = await strongroomError { try await fixture.accounts.authenticate(token: session.token) }
        #expect(error == .unauthenticated)
        #expect(error?.kind == .unauthenticated)
    }

    static let garbageTokens: [String] = [
        "", "x", "Bearer abc", String(repeating: "A", count: 43), String(repeating: "A", count: 42),
        String(repeating: "A", count: 44), String(repeating: "=", count: 43), String(repeating: "é", count: 43),
        String(repeating: "\u{0}", count: 43), String(repeating: "A", count: 100_000), "../../etc/passwd",
        "' OR 1=1 --" + String(repeating: "A", count: 32),
    ]

    @Test(arguments: garbageTokens)
    func garbageTokensAreUnauthenticated(token: String) async throws {
        let fixture = try InstallationFixture()
        _ = try await fixture.citizen("someone@example.org")
        let error = await strongroomError { try await fixture.accounts.authenticate(token: token) }
        #expect(error == .unauthenticated)
        try await fixture.accounts.logOut(token: token, context: fixture.access())
    }

    @Test func aTamperedTokenIsUnauthenticated() async throws {
        let fixture = try InstallationFixture()
        let session = try await fixture.citizen("tamper@example.org")
        var characters = Array(session.token)
        characters[10] = characters[10] == "A" ? "B" : "A"
        let error = await strongroomError { try await fixture.accounts.authenticate(token: String(characters)) }
        #expect(error == .unauthenticated)
        _ = try await fixture.accounts.authenticate(token: session.token)
    }

    @Test func tokensAreStoredOnlyAsHashes() async throws {
        let fixture = try InstallationFixture()
        let session = try await fixture.citizen("hashed@example.org")
        let stored = try await fixture.installation.database.read { db in try Data.fetchAll(db, sql: "SELECT token_hash FROM sessions").map { [UInt8]($0) } }
        #expect(stored.count == 1)
        #expect(stored.first?.count == 32)
        // The token is base64url of 32 random bytes: neither those bytes nor an unkeyed hash of them is what is stored.
        var base64 = session.token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        let raw = [UInt8](try #require(Data(base64Encoded: base64)))
        #expect(raw.count == 32)
        let hash = try #require(stored.first)
        #expect(hash != raw)
        #expect(hash != SHA256Digest.hash(raw) && hash != SHA256Digest.hash(Array(session.token.utf8)))
        let wal = CanaryTests.fileBytes(fixture.installation.database.path + "-wal") ?? []
        #expect(!CanaryTests.contains(wal, session.token))
    }

    @Test func signUpWithATakenLoginChangesNothingAndDoesNotSaySo() async throws {
        let fixture = try InstallationFixture()
        try await fixture.accounts.signUp(login: "taken@example.org", password: Self.password, context: fixture.access())
        let state = try fixture.recordState()
        let auditCount = try fixture.auditEntries().count
        try await fixture.accounts.signUp(login: "Taken@Example.org", password: "another long password", context: fixture.access())
        let after = try fixture.recordState()
        #expect(after == state, "changed: \(after.changedTables(since: state))")
        #expect(try fixture.auditEntries().count == auditCount)
        // The original password still works; the second one does not.
        _ = try await fixture.accounts.logIn(login: "taken@example.org", password: Self.password, address: "203.0.113.1", context: fixture.access())
        let error = await strongroomError {
            try await fixture.accounts.logIn(login: "taken@example.org", password: "another long password", address: "203.0.113.1", context: fixture.access())
        }
        #expect(error == .badCredentials)
    }

    @Test(arguments: ["", "short", "elevenchars", String(repeating: "a", count: 1025)])
    func weakOrOversizedPasswordIsRejected(password: String) async throws {
        let fixture = try InstallationFixture()
        let error = await strongroomError {
            try await fixture.accounts.signUp(login: "weak@example.org", password: password, context: fixture.access())
        }
        #expect(error?.kind == .invalidInput)
        #expect(error?.code == (password.count < 12 ? "weak_password" : "invalid_password"))
        #expect(try fixture.count("accounts") == 0)
        #expect(try fixture.auditEntries(after: fixture.openingEntries).isEmpty)
    }

    @Test(arguments: ["", "ab", "has space@example.org", "tab\t@example.org", String(repeating: "a", count: 255)])
    func invalidLoginIsRejected(login: String) async throws {
        let fixture = try InstallationFixture()
        let error = await strongroomError {
            try await fixture.accounts.signUp(login: login, password: Self.password, context: fixture.access())
        }
        #expect(error?.kind == .invalidInput)
        #expect(error?.code == "invalid_login")
        #expect(try fixture.count("accounts") == 0)
    }

    @Test func loginIsCaseInsensitive() async throws {
        let fixture = try InstallationFixture()
        try await fixture.accounts.signUp(login: "Mixed.Case@Example.ORG", password: Self.password, context: fixture.access())
        _ = try await fixture.accounts.logIn(login: "mixed.case@example.org", password: Self.password, address: "203.0.113.1", context: fixture.access())
    }
}

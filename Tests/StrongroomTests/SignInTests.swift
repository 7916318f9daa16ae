import AuditLog
import Foundation
import GRDB
import Sodium
import Strongroom
import Testing

/// Sign-up, sign-in, progressive delays, sessions: uniform answers that never say whether an account exists.
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

    @Test func aLoginWaitsAfterTheFailureLimitEvenForTheRightPassword() async throws {
        let fixture = try InstallationFixture { $0.loginFailureLimit = 3 }
        try await fixture.accounts.signUp(login: "target@example.org", password: Self.password, context: fixture.access())
        for attempt in 1...3 {
            let error = await strongroomError {
                try await fixture.accounts.logIn(
                    login: "target@example.org", password: "guess number \(attempt)", address: "203.0.113.\(attempt)", context: fixture.access())
            }
            #expect(error == .badCredentials)
        }
        let waiting = await strongroomError {
            try await fixture.accounts.logIn(login: "target@example.org", password: Self.password, address: "203.0.113.9", context: fixture.access())
        }
        #expect(waiting == .throttled)
        #expect(waiting?.code == "too_many_attempts" && waiting?.kind == .tooManyRequests)
        #expect(waiting?.retryAfterSeconds == 1 && waiting?.message == "too many sign-in attempts; wait 1 second and try again")
        #expect(try fixture.count("sessions") == 0)
        // The wait is a second, not a lockout: then the right password signs in, and the count starts again.
        fixture.clock.advance(by: 1)
        let session = try await fixture.accounts.logIn(
            login: "target@example.org", password: Self.password, address: "203.0.113.9", context: fixture.access())
        _ = try await fixture.accounts.authenticate(token: session.token)
        for attempt in 1...2 {
            _ = await strongroomError {
                try await fixture.accounts.logIn(login: "target@example.org", password: "again \(attempt)", address: "203.0.113.8", context: fixture.access())
            }
        }
        _ = try await fixture.accounts.logIn(login: "target@example.org", password: Self.password, address: "203.0.113.9", context: fixture.access())
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

    /// Each further failure doubles the wait, up to the cap; the answer says how long, and the wait is over when it says.
    @Test func delaysGrowAndCap() async throws {
        let fixture = try InstallationFixture {
            $0.loginFailureLimit = 3
            $0.loginDelayBaseSeconds = 1
            $0.loginDelayCapSeconds = 8
            $0.addressFailureLimit = 1000
        }
        try await fixture.accounts.signUp(login: "patient@example.org", password: Self.password, context: fixture.access())
        func attempt(_ password: String) async -> StrongroomError? {
            await strongroomError {
                try await fixture.accounts.logIn(login: "patient@example.org", password: password, address: "203.0.113.5", context: fixture.access())
            }
        }
        for n in 1...2 { #expect(await attempt("guess \(n)") == .badCredentials) }
        var waits: [Int?] = []
        for n in 3...9 {
            #expect(await attempt("guess \(n)") == .badCredentials, "failure \(n) is answered as a wrong password")
            let waiting = await attempt(Self.password)
            #expect(waiting == .throttled)
            waits.append(waiting?.retryAfterSeconds)
            // Not a moment before the wait is over…
            fixture.clock.advance(by: Double(waiting?.retryAfterSeconds ?? 0) - 0.5)
            #expect(await attempt(Self.password) == .throttled)
            fixture.clock.advance(by: 0.5)
        }
        #expect(waits == [1, 2, 4, 8, 8, 8, 8])
        // The fourteen attempts made while waiting were not failures (no password was tried): nine failures counted.
        #expect(try fixture.installation.database.readBlocking { db in
            try Int.fetchOne(db, sql: "SELECT failed_logins FROM accounts")
        } == 9)
        // Once the wait is over, the right password signs in.
        _ = try await fixture.accounts.logIn(login: "patient@example.org", password: Self.password, address: "203.0.113.5", context: fixture.access())
    }

    @Test func failuresAreForgottenAfterTheMemoryPeriod() async throws {
        let fixture = try InstallationFixture { $0.loginFailureLimit = 3; $0.loginFailureMemorySeconds = 3600 }
        try await fixture.accounts.signUp(login: "rare@example.org", password: Self.password, context: fixture.access())
        for n in 1...3 {
            _ = await strongroomError {
                try await fixture.accounts.logIn(login: "rare@example.org", password: "guess \(n)", address: "203.0.113.6", context: fixture.access())
            }
            fixture.clock.advance(by: 300)
        }
        // An hour after the last failure, one more failure is the first of a new count: no wait follows it.
        fixture.clock.advance(by: 3600)
        #expect(await strongroomError {
            try await fixture.accounts.logIn(login: "rare@example.org", password: "guess 4", address: "203.0.113.6", context: fixture.access())
        } == .badCredentials)
        _ = try await fixture.accounts.logIn(login: "rare@example.org", password: Self.password, address: "203.0.113.6", context: fixture.access())
    }

    /// The wait must not become an oracle: an unknown login answers exactly as a known one, words and wait alike,
    /// attempt by attempt, with and without a code, and after the failures are forgotten.
    @Test func knownAndUnknownLoginsWaitAlike() async throws {
        let fixture = try InstallationFixture {
            $0.loginFailureLimit = 3
            $0.loginDelayCapSeconds = 16
            $0.addressFailureLimit = 1000
        }
        try await fixture.accounts.signUp(login: "exists@example.org", password: Self.password, context: fixture.access())
        func answers(for login: String) async -> [String] {
            var seen: [String] = []
            for step in 0..<14 {
                let code: String? = step % 3 == 2 ? "123456" : nil
                let error = await strongroomError {
                    try await fixture.accounts.logIn(
                        login: login, password: "guess number \(step)", oneTimeCode: code, address: "192.0.2.\(step)", context: fixture.access())
                }
                seen.append([error?.code ?? "signed in", error?.message ?? "", error?.retryAfterSeconds.map(String.init) ?? "-"].joined(separator: "|"))
                fixture.clock.advance(by: step % 4 == 3 ? 3 : 0.25)
            }
            return seen
        }
        let known = await answers(for: "exists@example.org")
        // The same attempts at the same intervals for an unknown login.
        fixture.clock.advance(by: 2 * 3600)
        let unknown = await answers(for: "does-not-exist@example.org")
        #expect(known == unknown, "known: \(known)\nunknown: \(unknown)")
        #expect(known.contains { $0.hasPrefix("too_many_attempts|") })
        #expect(known.contains { $0.hasPrefix("bad_credentials|") })
        // And still the same after both are forgotten and the guessing resumes.
        fixture.clock.advance(by: fixture.configuration.loginFailureMemorySeconds + 1)
        let knownLater = await answers(for: "exists@example.org")
        fixture.clock.advance(by: 2 * 3600)
        let unknownLater = await answers(for: "does-not-exist@example.org")
        #expect(knownLater == unknownLater)
        #expect(knownLater == known)
    }

    /// Refusals are counted, not each written to the log; but a failure on a real account always commits its counter.
    /// One on a login without an account must commit too, or the commit's cost would tell the two apart.
    @Test func everyFailedSignInCommitsAWriteKnownOrUnknown() async throws {
        let fixture = try InstallationFixture { $0.addressFailureLimit = 1000 }
        try await fixture.accounts.signUp(login: "real@example.org", password: Self.password, context: fixture.access())
        let observer = try DatabaseQueue(path: fixture.installation.database.path)
        func version() throws -> Int { try observer.read { db in try Int.fetchOne(db, sql: "PRAGMA data_version") ?? -1 } }
        for login in ["real@example.org", "imaginary@example.org"] {
            for n in 0..<4 {
                let before = try version()
                #expect(await strongroomError {
                    try await fixture.accounts.logIn(login: login, password: "guess \(n)", address: "203.0.113.\(n)", context: fixture.access())
                } == .badCredentials)
                #expect(try version() != before, "\(login), failure \(n + 1): no commit")
            }
        }
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

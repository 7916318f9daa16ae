import Strongroom
import Testing

/// Sign-up is throttled per client address, and a taken login creates nothing (no subject key, no row).
@Suite struct SignUpThrottleTests {
    @Test func aTakenLoginCreatesNoKeyAndNoRow() async throws {
        let fixture = try InstallationFixture()
        try await fixture.accounts.signUp(login: "taken@example.org", password: "correct horse battery staple", context: fixture.access())
        let keys = try fixture.installation.subjectKeys.count()
        let state = try fixture.recordState()
        for _ in 0..<5 {
            try await fixture.accounts.signUp(login: "Taken@Example.org", password: "another long password", context: fixture.access())
        }
        #expect(try fixture.installation.subjectKeys.count() == keys, "no subject key is made for a login that exists")
        #expect(try fixture.recordState() == state)
    }

    @Test func oneAddressGetsALimitedNumberOfSignUpsPerHour() async throws {
        let fixture = try InstallationFixture { $0.signUpsPerAddress = 3 }
        for n in 0..<3 {
            try await fixture.accounts.signUp(
                login: "burst\(n)@example.org", password: "correct horse battery staple", address: "203.0.113.5", context: fixture.access())
        }
        let keys = try fixture.installation.subjectKeys.count()
        let refused = await strongroomError {
            try await fixture.accounts.signUp(
                login: "burst9@example.org", password: "correct horse battery staple", address: "203.0.113.5", context: fixture.access())
        }
        #expect(refused == .throttled)
        #expect(try fixture.installation.subjectKeys.count() == keys, "a refused sign-up does no work")
        try await fixture.accounts.signUp(
            login: "neighbour@example.org", password: "correct horse battery staple", address: "198.51.100.20", context: fixture.access())
        fixture.clock.advance(by: 3601)
        try await fixture.accounts.signUp(
            login: "burst9@example.org", password: "correct horse battery staple", address: "203.0.113.5", context: fixture.access())
    }
}

import Strongroom
import TestSupport
import Testing

/// Sign-in throttling behind a proxy: the forwarded address counts only when the socket peer is a trusted proxy,
/// hops are read right to left, and IPv6 clients are grouped by /64.
@Suite struct ClientAddressTests {
    let resolver = try! ClientAddress(trustedProxies: ["10.0.0.5", "192.168.0.0/16", "fd00::/8"])

    @Test func withoutTrustedProxiesTheSocketPeerCounts() throws {
        let none = try ClientAddress(trustedProxies: [])
        #expect(none.resolve(peer: "203.0.113.9", forwardedFor: ["198.51.100.1"]) == "203.0.113.9")
    }

    @Test func anUntrustedPeersHeaderIsIgnored() {
        #expect(resolver.resolve(peer: "203.0.113.9", forwardedFor: ["198.51.100.1"]) == "203.0.113.9", "a client cannot name another address")
    }

    @Test func behindATrustedProxyTheRightmostUntrustedHopCounts() {
        #expect(resolver.resolve(peer: "10.0.0.5", forwardedFor: ["198.51.100.1"]) == "198.51.100.1")
        // A client that prepends its own entry: the proxy appended the real peer last.
        #expect(resolver.resolve(peer: "10.0.0.5", forwardedFor: ["6.6.6.6, 198.51.100.1"]) == "198.51.100.1")
        // Two trusted hops (edge proxy 192.168.1.2, then 10.0.0.5).
        #expect(resolver.resolve(peer: "10.0.0.5", forwardedFor: ["198.51.100.1", "192.168.1.2"]) == "198.51.100.1")
        // Without a header the proxy itself is the peer.
        #expect(resolver.resolve(peer: "10.0.0.5") == "10.0.0.5")
        // Garbage in the chain: fall back to the peer rather than trust what came before it.
        #expect(resolver.resolve(peer: "10.0.0.5", forwardedFor: ["198.51.100.1, not-an-address"]) == "10.0.0.5")
    }

    @Test func theForwardedHeaderIsReadToo() {
        #expect(resolver.resolve(peer: "10.0.0.5", forwarded: [#"for=198.51.100.7;proto=https, for="[2001:db8:cafe:1::17]:4711""#])
            == "2001:db8:cafe:1::/64")
        #expect(resolver.resolve(peer: "10.0.0.5", forwarded: ["for=198.51.100.7:5555"]) == "198.51.100.7")
    }

    @Test func ipv6ClientsAreGroupedByTheirSlash64() {
        let one = resolver.resolve(peer: "2001:db8:1:2::1")
        let two = resolver.resolve(peer: "2001:db8:1:2:ffff:ffff:ffff:ffff")
        #expect(one == two && one == "2001:db8:1:2::/64")
        #expect(resolver.resolve(peer: "2001:db8:1:3::1") != one)
        #expect(resolver.resolve(peer: "fd00::1", forwardedFor: ["2001:db8:9:9::5"]) == "2001:db8:9:9::/64", "an IPv6 trusted proxy")
        #expect(resolver.resolve(peer: "::ffff:10.0.0.5", forwardedFor: ["198.51.100.1"]) == "198.51.100.1", "IPv4-mapped peer")
    }

    @Test(arguments: ["10.0.0.5/33", "not-an-ip", "10.0.0/8", "fd00::/129", ""])
    func aBadTrustedProxyEntryIsRefused(_ entry: String) {
        #expect(throws: StrongroomError.self) { try ClientAddress(trustedProxies: [entry]) }
    }

    /// Fuzz: whatever a client or a misconfiguration puts in the headers or the list, nothing crashes and the answer
    /// is never empty.
    @Test func arbitraryInputNeverCrashes() throws {
        var random = SplitMix64(seed: 0x5eed_c1a5)
        let alphabet = Array("0123456789abcdefABCDEF:.,;=/[]\" for\t-x")
        for _ in 0..<5_000 {
            let text = String((0..<Int(random.next() % 48)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
            _ = try? ClientAddress(trustedProxies: [text])
            let answer = resolver.resolve(peer: random.next() % 2 == 0 ? "10.0.0.5" : text, forwardedFor: [text], forwarded: [text])
            #expect(!answer.isEmpty || text.isEmpty)
        }
    }

    /// Twenty clients behind one proxy no longer share one throttle: the proxy-only view would lock them out together.
    @Test func clientsBehindOneProxyAreThrottledApart() async throws {
        let fixture = try InstallationFixture { $0.trustedProxies = ["10.0.0.5"] }
        try await fixture.accounts.signUp(login: "real@example.org", password: "correct horse battery staple", context: fixture.access())
        let attacker = fixture.installation.clientAddress.resolve(peer: "10.0.0.5", forwardedFor: ["203.0.113.66"])
        for _ in 0..<fixture.configuration.addressFailureLimit {
            _ = await strongroomError {
                try await fixture.accounts.logIn(login: "nobody\(Int.random(in: 0..<1_000_000))@example.org", password: "wrong password here",
                                                 address: attacker, context: fixture.access())
            }
        }
        #expect(await strongroomError {
            try await fixture.accounts.logIn(login: "real@example.org", password: "correct horse battery staple", address: attacker, context: fixture.access())
        } == .throttled)
        let neighbour = fixture.installation.clientAddress.resolve(peer: "10.0.0.5", forwardedFor: ["198.51.100.8"])
        _ = try await fixture.accounts.logIn(
            login: "real@example.org", password: "correct horse battery staple", address: neighbour, context: fixture.access())
    }
}

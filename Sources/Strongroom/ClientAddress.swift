#if canImport(Glibc)
@preconcurrency import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The address sign-in throttling counts against.
///
/// Behind a TLS-terminating proxy every client arrives from the proxy's address, so throttling the socket peer
/// would lock everybody out together. The proxy's own addresses are configured as trusted; only when the peer is
/// one of them is `X-Forwarded-For` (or `Forwarded: for=`) read, right to left, skipping trusted hops: the first
/// address that is not a trusted proxy is the client. A client cannot spoof its way past this by sending the
/// header itself: an untrusted peer's header is ignored, and entries left of the first untrusted hop are never read.
/// IPv6 clients are grouped by their /64 (one household or host usually holds a whole /64).
public struct ClientAddress: Sendable {
    /// Trusted proxies: single addresses or CIDR ranges, IPv4 or IPv6.
    public let trusted: [Network]

    /// - Throws: `invalid_trusted_proxy` naming the entry that is neither an address nor a CIDR range.
    public init(trustedProxies: [String]) throws {
        trusted = try trustedProxies.map { entry in
            guard let network = Network(entry) else {
                throw StrongroomError.invalid(
                    "invalid_trusted_proxy", "`\(entry.prefix(64))` is not an IP address or CIDR range (for example 10.0.0.5, 10.0.0.0/8 or fd00::/8)")
            }
            return network
        }
    }

    /// The address to throttle: see the type's description. `peer` is the socket's remote address.
    public func resolve(peer: String, forwardedFor: [String] = [], forwarded: [String] = []) -> String {
        guard let peerBytes = Network.bytes(peer), isTrusted(peerBytes) else { return Self.group(peer) }
        var hops = forwardedFor.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        if hops.isEmpty { hops = forwarded.flatMap(Self.forwardedFor) }
        for hop in hops.reversed() {
            guard let bytes = Network.bytes(hop) else { return Self.group(peer) }  // garbage from a hop we cannot trust
            if !isTrusted(bytes) { return Self.group(hop) }
        }
        return Self.group(hops.first ?? peer)
    }

    private func isTrusted(_ bytes: [UInt8]) -> Bool { trusted.contains { $0.contains(bytes) } }

    /// `for=` values of RFC 7239 `Forwarded` elements, without quotes, brackets or ports.
    static func forwardedFor(_ header: String) -> [String] {
        header.split(separator: ",").compactMap { element in
            for pair in element.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, parts[0].lowercased() == "for" else { continue }
                var value = parts[1]
                if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
                if value.hasPrefix("["), let end = value.firstIndex(of: "]") { return String(value[value.index(after: value.startIndex)..<end]) }
                if value.filter({ $0 == ":" }).count == 1, let colon = value.firstIndex(of: ":") { return String(value[..<colon]) }
                return value
            }
            return nil
        }
    }

    /// IPv4 as it is; IPv6 as its /64 prefix (`2001:db8:1:2::/64`); anything else as it is.
    static func group(_ address: String) -> String {
        guard let bytes = Network.bytes(address), bytes.count == 16 else { return address }
        let words = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return words.joined(separator: ":") + "::/64"
    }

    /// An address or a CIDR range.
    public struct Network: Sendable, Equatable {
        let bytes: [UInt8]
        let prefixLength: Int

        init?(_ text: String) {
            let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard let address = parts.first, let bytes = Self.bytes(address) else { return nil }
            let length: Int
            if parts.count == 2 {
                guard let parsed = Int(parts[1]), parsed >= 0, parsed <= bytes.count * 8 else { return nil }
                length = parsed
            } else {
                length = bytes.count * 8
            }
            self.bytes = bytes
            prefixLength = length
        }

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == bytes.count else { return false }
            var remaining = prefixLength
            for index in 0..<bytes.count where remaining > 0 {
                let bits = min(8, remaining)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                if address[index] & mask != bytes[index] & mask { return false }
                remaining -= bits
            }
            return true
        }

        /// 4 bytes for IPv4, 16 for IPv6 (an IPv4-mapped IPv6 address counts as its IPv4 address), `nil` otherwise.
        static func bytes(_ text: String) -> [UInt8]? {
            var v4 = in_addr()
            if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: v4.s_addr) { Array($0) } }
            var v6 = in6_addr()
            guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
            let raw = withUnsafeBytes(of: v6) { Array($0) }
            if raw[0..<10].allSatisfy({ $0 == 0 }), raw[10] == 0xFF, raw[11] == 0xFF { return Array(raw[12..<16]) }
            return raw
        }
    }
}

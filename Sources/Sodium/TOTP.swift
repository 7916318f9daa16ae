import Crypto

/// Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP, HMAC-SHA-1, 6 digits, 30-second steps): the
/// second factor for staff sign-in, compatible with common authenticator apps.
public enum TOTP {
    /// Seconds per step.
    public static let period: Int64 = 30
    /// Digits per code.
    public static let digits = 6

    /// The HOTP value for `counter` (RFC 4226 section 5.3, dynamic truncation).
    public static func hotp(secret: SecretBytes, counter: UInt64) -> String {
        let message = (0..<8).map { UInt8(truncatingIfNeeded: counter >> (56 - 8 * UInt64($0))) }
        let mac = hmacSHA1(key: secret, message: message)
        let offset = Int(mac[mac.count - 1] & 0x0f)
        let binary = (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16)
            | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let code = String(binary % modulus)
        return String(repeating: "0", count: digits - code.count) + code
    }

    /// The code for a Unix time.
    public static func code(secret: SecretBytes, at unixSeconds: Int64) -> String {
        hotp(secret: secret, counter: UInt64(max(0, unixSeconds) / period))
    }

    /// Whether `code` is valid at `unixSeconds`, allowing one step of clock drift either way.
    /// Compares in constant time.
    public static func verify(_ code: String, secret: SecretBytes, at unixSeconds: Int64) -> Bool {
        matchingStep(code, secret: secret, at: unixSeconds) != nil
    }

    /// The time step `code` belongs to (within one step of drift), or `nil`. Callers record the step and refuse
    /// it next time, so a code cannot be replayed within its window.
    public static func matchingStep(_ code: String, secret: SecretBytes, at unixSeconds: Int64) -> Int64? {
        guard code.count == digits, code.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let step = max(0, unixSeconds) / period
        var matched: Int64?
        for delta in [-1, 0, 1] as [Int64] where step + delta >= 0 {
            let expected = hotp(secret: secret, counter: UInt64(step + delta))
            if constantTimeEquals(Array(expected.utf8), Array(code.utf8)) { matched = step + delta }
        }
        return matched
    }

    /// HMAC-SHA-1 (RFC 2104) with the key's padded blocks in guarded memory.
    ///
    /// swift-crypto's `HMAC` copies the key into ordinary arrays (the zero-padded key, and the key XORed with each
    /// pad) that are freed without being wiped; libsodium has no SHA-1. Here the two padded blocks are built in
    /// ``SecretBytes`` and hashed from there; the SHA-1 states are swift-crypto's, which it zeroes when they are
    /// released. A key longer than the 64-byte block (never a TOTP secret: 20 bytes) is hashed first, as RFC 2104
    /// says, through swift-crypto's `HMAC`.
    static func hmacSHA1(key: SecretBytes, message: [UInt8]) -> [UInt8] {
        let block = 64
        guard key.count <= block,
            let pads = try? SecretBytes(count: 2 * block, initializer: { buffer in
                buffer.initializeMemory(as: UInt8.self, repeating: 0)
                key.withUnsafeBytes { key in
                    for index in 0..<key.count {
                        buffer[index] = key[index]
                        buffer[block + index] = key[index]
                    }
                }
                for index in 0..<block {
                    buffer[index] ^= 0x36
                    buffer[block + index] ^= 0x5c
                }
            })
        else {
            return Array(key.withUnsafeBytes { HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: $0)) })
        }
        var inner = Insecure.SHA1()
        pads.withUnsafeBytes { inner.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<block])) }
        inner.update(data: message)
        let innerDigest = Array(inner.finalize())
        var outer = Insecure.SHA1()
        pads.withUnsafeBytes { outer.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[block..<(2 * block)])) }
        outer.update(data: innerDigest)
        return Array(outer.finalize())
    }

    /// RFC 4648 base32 (no padding) of a secret, for the `otpauth://` provisioning URI shown once at enrolment.
    public static func base32(_ secret: SecretBytes) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var out = ""
        secret.withUnsafeBytes { bytes in
            var buffer: UInt32 = 0
            var bits = 0
            for byte in bytes {
                buffer = (buffer << 8) | UInt32(byte)
                bits += 8
                while bits >= 5 {
                    out.append(alphabet[Int((buffer >> UInt32(bits - 5)) & 0x1f)])
                    bits -= 5
                }
            }
            if bits > 0 { out.append(alphabet[Int((buffer << UInt32(5 - bits)) & 0x1f)]) }
        }
        return out
    }
}

@testable import Sodium
import Testing

/// Passwords and one-time-code secrets reach libsodium from guarded memory: text is copied once into
/// ``SecretBytes``, a sealed secret opens straight into it, and the results equal those of the array paths.
@Suite("Secrets from text and sealed secrets")
struct SecretTextPathTests {
    @Test(arguments: ["correct horse battery staple", "jelszó-ÁRVÍZTŰRŐ-tükörfúrógép", "short", String(repeating: "long password ", count: 40)])
    func textIsCopiedByteForByte(_ text: String) throws {
        let secret = try SecretBytes.copyingUTF8(of: text)
        #expect(secret.count == text.utf8.count)
        #expect(secret.withUnsafeBytes { Array($0) } == Array(text.utf8))
        #expect(secret.description == "<redacted>")
        // A substring made into a string is copied the same way.
        let tail = String(text.dropFirst())
        if !tail.isEmpty { #expect(try SecretBytes.copyingUTF8(of: tail).withUnsafeBytes { Array($0) } == Array(tail.utf8)) }
    }

    @Test func anEmptyTextIsNoSecret() {
        #expect(throws: SodiumError.self) { try SecretBytes.copyingUTF8(of: "") }
    }

    @Test func aPasswordHashedFromGuardedMemoryVerifiesBothWays() throws {
        let password = "jelszó: correct horse battery staple"
        let secret = try SecretBytes.copyingUTF8(of: password)
        let hash = try Argon2id.hashPassword(secret, limits: .minimumForTesting)
        #expect(hash.hasPrefix("$argon2id$"))
        #expect(Argon2id.verifyPassword(secret, against: hash))
        #expect(Argon2id.verifyPassword(Array(password.utf8), against: hash), "the same bytes as the array path")
        let fromArray = try Argon2id.hashPassword(Array(password.utf8), limits: .minimumForTesting)
        #expect(Argon2id.verifyPassword(secret, against: fromArray))
        #expect(!Argon2id.verifyPassword(try SecretBytes.copyingUTF8(of: password + " "), against: hash))
        #expect(!Argon2id.verifyPassword(secret, against: "$argon2id$garbage"))
        #expect(!Argon2id.verifyPassword([UInt8](), against: hash))
    }

    @Test func aSealedSecretOpensStraightIntoGuardedMemory() throws {
        let key = try SecretBytes(randomCount: 32)
        var seed = Array("12345678901234567890".utf8)
        let secret = try SecretBytes(consuming: &seed)
        let nonce = XChaCha20Poly1305.randomNonce()
        let associatedData = Array("place".utf8)
        let sealed = try XChaCha20Poly1305.wrap(secret, key: key, nonce: nonce, associatedData: associatedData)
        let opened = try sealed.withUnsafeBytes { ciphertext in
            try nonce.withUnsafeBytes { nonce in
                try associatedData.withUnsafeBytes { associatedData in
                    try XChaCha20Poly1305.openSecret(ciphertext: ciphertext, key: key, nonce: nonce, associatedData: associatedData)
                }
            }
        }
        #expect(opened == secret)
        // RFC 6238 appendix B (SHA-1, T = 59): the code from the opened secret.
        #expect(TOTP.code(secret: opened, at: 59) == "287082")
        var tampered = sealed
        tampered[0] ^= 1
        #expect(throws: SodiumError.authenticationFailed) {
            try tampered.withUnsafeBytes { ciphertext in
                try nonce.withUnsafeBytes { nonce in
                    try associatedData.withUnsafeBytes { try XChaCha20Poly1305.openSecret(ciphertext: ciphertext, key: key, nonce: nonce, associatedData: $0) }
                }
            }
        }
    }

    /// RFC 2202 section 3: HMAC-SHA-1 with the padded key blocks in guarded memory (cases 1, 2, 3 and 6; case 6's key
    /// is longer than a block).
    @Test(arguments: [
        ([UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8), "b617318655057264e28bc0b6fb378c8ef146be00"),
        (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
        ([UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50), "125d7342b9ac11cd91a39af48aa17b4f63f175d3"),
        ([UInt8](repeating: 0xaa, count: 80), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
         "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
    ])
    func hmacSHA1KnownAnswers(key: [UInt8], message: [UInt8], expected: String) throws {
        var copy = key
        let secret = try SecretBytes(consuming: &copy)
        #expect(TOTP.hmacSHA1(key: secret, message: message).hexString == expected)
    }
}

import Sodium
import Testing

@Suite("Signatures, hashes, passwords")
struct PrimitiveTests {
    @Test func signAndVerify() throws {
        let pair = try Ed25519.KeyPair.generate()
        let message = Array("checkpoint".utf8)
        let signature = pair.sign(message)
        #expect(Ed25519.verify(signature: signature, message: message, publicKey: pair.publicKey))
        var bad = signature
        bad[10] ^= 1
        #expect(!Ed25519.verify(signature: bad, message: message, publicKey: pair.publicKey))
        #expect(!Ed25519.verify(signature: signature, message: message + [0], publicKey: pair.publicKey))
        let other = try Ed25519.KeyPair.generate()
        #expect(!Ed25519.verify(signature: signature, message: message, publicKey: other.publicKey))
        #expect(!Ed25519.verify(signature: [], message: message, publicKey: pair.publicKey))
        #expect(!Ed25519.verify(signature: signature, message: message, publicKey: []))
        let rebuilt = try Ed25519.KeyPair(secretKey: pair.secretKey)
        #expect(rebuilt.publicKey == pair.publicKey)
    }

    @Test func keyedBlake2bDependsOnKey() throws {
        let k1 = try SecretBytes(randomCount: 32)
        let k2 = try SecretBytes(randomCount: 32)
        let m = Array("alice@example.org".utf8)
        #expect(try BLAKE2b.hash(m, key: k1) == BLAKE2b.hash(m, key: k1))
        #expect(try BLAKE2b.hash(m, key: k1) != BLAKE2b.hash(m, key: k2))
        let derived = try BLAKE2b.deriveKey(from: k1, context: Array("ctx".utf8))
        #expect(derived.count == 32)
        #expect(try BLAKE2b.deriveKey(from: k1, context: Array("ctx".utf8)) == derived)
        #expect(try BLAKE2b.deriveKey(from: k1, context: Array("ctx2".utf8)) != derived)
        let subject = try SecretBytes(randomCount: 32)
        let a = try BLAKE2b.deriveKey(from: k1, context: Array("f".utf8), secret: subject)
        let b = try BLAKE2b.deriveKey(from: k1, context: Array("f".utf8), secret: try SecretBytes(randomCount: 32))
        #expect(a != b)
        #expect(throws: SodiumError.invalidInputCode) { try BLAKE2b.hash(m, outputByteCount: 8) }
    }

    @Test func passwordHashing() throws {
        let hash = try Argon2id.hashPassword(Array("correct horse".utf8), limits: .minimumForTesting)
        #expect(hash.hasPrefix("$argon2id$"))
        #expect(Argon2id.verifyPassword(Array("correct horse".utf8), against: hash))
        #expect(!Argon2id.verifyPassword(Array("correct horsf".utf8), against: hash))
        #expect(!Argon2id.verifyPassword(Array("correct horse".utf8), against: "$argon2id$garbage"))
        #expect(!Argon2id.verifyPassword([], against: hash))
        #expect(!Argon2id.needsRehash(hash, limits: .minimumForTesting))
        #expect(Argon2id.needsRehash(hash, limits: .interactive))
    }

    @Test func keyDerivationFromPassphrase() throws {
        let salt = SecureRandom.bytes(count: Argon2id.saltByteCount)
        let a = try Argon2id.deriveKey(passphrase: Array("pass".utf8), salt: salt, limits: .minimumForTesting)
        let b = try Argon2id.deriveKey(passphrase: Array("pass".utf8), salt: salt, limits: .minimumForTesting)
        let c = try Argon2id.deriveKey(passphrase: Array("Pass".utf8), salt: salt, limits: .minimumForTesting)
        #expect(a == b)
        #expect(a != c)
    }

    @Test func hexRoundTrip() {
        let bytes: [UInt8] = [0, 1, 0xab, 0xff]
        #expect(bytes.hexString == "0001abff")
        #expect([UInt8](hexString: "0001ABff") == bytes)
        #expect([UInt8](hexString: "abc") == nil)
        #expect([UInt8](hexString: "zz") == nil)
    }
}

@Suite("TOTP")
struct TOTPTests {
    /// RFC 6238 appendix B, SHA-1 rows (8-digit values; the 6-digit code is their last six digits).
    @Test("RFC 6238 appendix B vectors", arguments: [
        (Int64(59), "94287082"), (1_111_111_109, "07081804"), (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"), (2_000_000_000, "69279037"), (20_000_000_000, "65353130"),
    ])
    func rfc6238(time: Int64, expected: String) throws {
        var seed = Array("12345678901234567890".utf8)
        let secret = try SecretBytes(consuming: &seed)
        #expect(TOTP.code(secret: secret, at: time) == String(expected.suffix(6)))
        #expect(TOTP.verify(String(expected.suffix(6)), secret: secret, at: time + 29))
        #expect(!TOTP.verify(String(expected.suffix(6)), secret: secret, at: time + 120))
    }

    @Test func rejectsMalformedCodes() throws {
        let secret = try SecretBytes(randomCount: 20)
        for code in ["", "12345", "1234567", "abcdef", "12 456", "١٢٣٤٥٦"] {
            #expect(!TOTP.verify(code, secret: secret, at: 1_000_000))
        }
    }

    @Test func base32() throws {
        var bytes = Array("foobar".utf8)
        #expect(TOTP.base32(try SecretBytes(consuming: &bytes)) == "MZXW6YTBOI")
    }
}

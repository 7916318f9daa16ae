import Sodium
import Testing

@Suite("Known-answer vectors")
struct KnownAnswerTests {
    @Test("XChaCha20-Poly1305 matches draft-irtf-cfrg-xchacha-03 A.3.1")
    func xchacha() throws {
        let vectors = try VectorFile(named: "xchacha20poly1305").cases
        #expect(vectors.count == 1)
        for v in vectors {
            var keyBytes = try #require(v["key"])
            let key = try SecretBytes(consuming: &keyBytes)
            let sealed = try XChaCha20Poly1305.seal(
                v["plaintext"]!, key: key, nonce: v["nonce"]!, associatedData: v["ad"]!)
            #expect(sealed == v["ciphertext"]! + v["tag"]!)
            let opened = try XChaCha20Poly1305.open(sealed, key: key, nonce: v["nonce"]!, associatedData: v["ad"]!)
            #expect(opened == v["plaintext"]!)
        }
    }

    @Test("Ed25519 matches RFC 8032 section 7.1")
    func ed25519() throws {
        let vectors = try VectorFile(named: "ed25519").cases
        #expect(vectors.count == 3)
        for v in vectors {
            var seedBytes = try #require(v["seed"])
            let pair = try Ed25519.KeyPair(seed: SecretBytes(consuming: &seedBytes))
            #expect(pair.publicKey == v["public"]!)
            let message = v["message"] ?? []
            #expect(pair.sign(message) == v["signature"]!)
            #expect(Ed25519.verify(signature: v["signature"]!, message: message, publicKey: v["public"]!))
        }
    }

    @Test("BLAKE2b matches RFC 7693 and the reference keyed KAT")
    func blake2b() throws {
        let vectors = try VectorFile(named: "blake2b").cases
        #expect(vectors.count == 2)
        for v in vectors {
            var keyBytes = v["key"] ?? []
            let key = keyBytes.isEmpty ? nil : try SecretBytes(consuming: &keyBytes)
            let length = try #require(v["digest"]).count
            let digest = try BLAKE2b.hash(v["message"] ?? [], key: key, outputByteCount: length)
            #expect(digest == v["digest"]!)
        }
    }

    @Test("SHA-256 matches FIPS 180-4 examples, in both implementations")
    func sha256() throws {
        let vectors = try VectorFile(named: "sha256").cases
        #expect(vectors.count == 3)
        for v in vectors {
            let message = v["message"] ?? []
            #expect(SHA256Digest.hash(message) == v["digest"]!)
            #expect(SHA256Digest.portableHash(message) == v["digest"]!)
        }
    }
}

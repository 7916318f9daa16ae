import Sodium
import Testing

@Suite("SecretBytes")
struct SecretBytesTests {
    @Test("wiping reaches the storage a copy-on-write copy shares, not a fresh copy of it")
    func wipeReachesSharedStorage() throws {
        let original: [UInt8] = Array(repeating: 0xCD, count: 64)
        var alias = original  // shares the storage until one of them is mutated
        SecretBytes.wipe(&alias)
        #expect(alias.allSatisfy { $0 == 0 })
        #expect(original.allSatisfy { $0 == 0 }, "the shared storage itself was wiped, not a copy made for the wipe")
        var raw: [UInt8] = Array(repeating: 0xEF, count: 32)
        let kept = raw
        _ = try SecretBytes(consuming: &raw)
        #expect(kept.allSatisfy { $0 == 0 }, "init(consuming:) wipes the caller's storage")
    }

    @Test("printing, debugging, reflecting and interpolating never show key bytes")
    func neverPrints() throws {
        var raw: [UInt8] = Array(repeating: 0xAB, count: 32)
        let secret = try SecretBytes(consuming: &raw)
        #expect(raw.allSatisfy { $0 == 0 }, "the source array is wiped")
        let renderings = [
            String(describing: secret), String(reflecting: secret), "\(secret)",
            String(describing: Mirror(reflecting: secret).children.map { $0 }),
        ]
        for text in renderings {
            #expect(!text.lowercased().contains("abab"))
            #expect(!text.contains("171"))
        }
        #expect(String(describing: secret) == "<redacted>")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.lowercased().contains("abab"))
    }

    @Test func constantTimeEquality() throws {
        var a: [UInt8] = Array(0..<32)
        var b: [UInt8] = Array(0..<32)
        var c: [UInt8] = Array(1...32)
        let sa = try SecretBytes(consuming: &a)
        let sb = try SecretBytes(consuming: &b)
        let sc = try SecretBytes(consuming: &c)
        #expect(sa == sb)
        #expect(sa != sc)
        #expect(try SecretBytes(randomCount: 16) != sa)
    }

    @Test func randomSecretsDiffer() throws {
        #expect(try SecretBytes(randomCount: 32) != SecretBytes(randomCount: 32))
        #expect(SecureRandom.bytes(count: 32) != SecureRandom.bytes(count: 32))
    }

    @Test func keyPairDescriptionHidesSecret() throws {
        let pair = try Ed25519.KeyPair.generate()
        let text = String(describing: pair)
        #expect(text.contains("<redacted>"))
        let secretHex = pair.secretKey.withUnsafeBytes { Array($0) }.hexString
        #expect(!text.contains(String(secretHex.prefix(16))))
    }
}

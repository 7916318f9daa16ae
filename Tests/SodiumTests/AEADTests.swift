import Sodium
import Testing

@Suite("XChaCha20-Poly1305")
struct AEADTests {
    let key: SecretBytes
    let nonce = XChaCha20Poly1305.randomNonce()
    let ad: [UInt8] = Array("collection=requests;record=42;field=income".utf8)
    let plaintext: [UInt8] = Array("canary-4f1d-plaintext".utf8)

    init() throws { key = try SecretBytes(randomCount: 32) }

    @Test func roundTrip() throws {
        let sealed = try XChaCha20Poly1305.seal(plaintext, key: key, nonce: nonce, associatedData: ad)
        #expect(sealed.count == plaintext.count + XChaCha20Poly1305.tagByteCount)
        #expect(try XChaCha20Poly1305.open(sealed, key: key, nonce: nonce, associatedData: ad) == plaintext)
    }

    @Test func emptyPlaintextRoundTrip() throws {
        let sealed = try XChaCha20Poly1305.seal([], key: key, nonce: nonce, associatedData: [])
        #expect(try XChaCha20Poly1305.open(sealed, key: key, nonce: nonce, associatedData: []) == [])
    }

    @Test("flipping any bit of ciphertext or tag fails")
    func flipCiphertext() throws {
        let sealed = try XChaCha20Poly1305.seal(plaintext, key: key, nonce: nonce, associatedData: ad)
        for index in sealed.indices {
            var tampered = sealed
            tampered[index] ^= 0x01
            #expect(throws: SodiumError.authenticationFailed) {
                try XChaCha20Poly1305.open(tampered, key: key, nonce: nonce, associatedData: ad)
            }
        }
    }

    @Test("flipping any byte of nonce or associated data fails")
    func flipNonceAndAD() throws {
        let sealed = try XChaCha20Poly1305.seal(plaintext, key: key, nonce: nonce, associatedData: ad)
        for index in nonce.indices {
            var n = nonce
            n[index] ^= 0x80
            #expect(throws: SodiumError.authenticationFailed) {
                try XChaCha20Poly1305.open(sealed, key: key, nonce: n, associatedData: ad)
            }
        }
        for index in ad.indices {
            var a = ad
            a[index] ^= 0x80
            #expect(throws: SodiumError.authenticationFailed) {
                try XChaCha20Poly1305.open(sealed, key: key, nonce: nonce, associatedData: a)
            }
        }
        #expect(throws: SodiumError.authenticationFailed) {
            try XChaCha20Poly1305.open(sealed, key: key, nonce: nonce, associatedData: ad + [0])
        }
    }

    @Test func wrongKeyFails() throws {
        let sealed = try XChaCha20Poly1305.seal(plaintext, key: key, nonce: nonce, associatedData: ad)
        let other = try SecretBytes(randomCount: 32)
        #expect(throws: SodiumError.authenticationFailed) {
            try XChaCha20Poly1305.open(sealed, key: other, nonce: nonce, associatedData: ad)
        }
    }

    @Test func truncatedFails() throws {
        let sealed = try XChaCha20Poly1305.seal(plaintext, key: key, nonce: nonce, associatedData: ad)
        for length in [0, 1, 15, 16, sealed.count - 1] {
            #expect(throws: SodiumError.authenticationFailed) {
                try XChaCha20Poly1305.open(Array(sealed.prefix(length)), key: key, nonce: nonce, associatedData: ad)
            }
        }
    }

    @Test func wrapAndUnwrapKeys() throws {
        let dataKey = try SecretBytes(randomCount: 32)
        let wrapped = try XChaCha20Poly1305.wrap(dataKey, key: key, nonce: nonce, associatedData: ad)
        let unwrapped = try XChaCha20Poly1305.unwrap(wrapped, key: key, nonce: nonce, associatedData: ad)
        #expect(unwrapped == dataKey)
        var tampered = wrapped
        tampered[0] ^= 1
        #expect(throws: SodiumError.authenticationFailed) {
            try XChaCha20Poly1305.unwrap(tampered, key: key, nonce: nonce, associatedData: ad)
        }
    }

    @Test func wrongKeyLengthIsRejected() throws {
        let short = try SecretBytes(randomCount: 16)
        #expect(throws: SodiumError.invalidKeyLengthCode) {
            try XChaCha20Poly1305.seal(plaintext, key: short, nonce: nonce, associatedData: ad)
        }
    }
}

import Keyring
import Sealing
import Sodium
import Testing
import TestSupport

/// A secret sealed as a field (a staff member's one-time-code secret) goes in from guarded memory and comes out
/// into guarded memory, in the same envelope as any field.
@Suite("Sealing secrets")
struct SecretSealingTests {
    let keys: TestKeys
    let sealer: FieldSealer
    let place = FieldPlace(collection: "accounts", recordID: "stf_1", field: "totp_secret")

    init() throws {
        keys = try TestKeys()
        sealer = FieldSealer(keyring: keys.keyring)
    }

    @Test func aSecretRoundTripsAndMatchesTheArrayPath() throws {
        let secret = try SecretBytes(randomCount: 20)
        let sealed = try sealer.sealSecret(secret, for: place)
        #expect(sealed[0] == SealedEnvelope.formatVersion)
        #expect(try sealer.openSecret(sealed, at: place) == secret)
        #expect(try sealer.open(sealed, at: place) == secret.withUnsafeBytes { Array($0) }, "the same envelope as seal(_:for:)")
        let fromArray = try sealer.seal(secret.withUnsafeBytes { Array($0) }, for: place)
        #expect(try sealer.openSecret(fromArray, at: place) == secret)
    }

    @Test func aSecretOpensOnlyAtItsPlaceAndUntampered() throws {
        let secret = try SecretBytes(randomCount: 20)
        let sealed = try sealer.sealSecret(secret, for: place)
        let elsewhere = FieldPlace(collection: "accounts", recordID: "stf_2", field: "totp_secret")
        #expect(throws: SealingError.authenticationFailed) { try sealer.openSecret(sealed, at: elsewhere) }
        var tampered = sealed
        tampered[tampered.count - 1] ^= 1
        #expect(throws: SealingError.authenticationFailed) { try sealer.openSecret(tampered, at: place) }
        #expect(throws: SealingError.authenticationFailed) { try sealer.openSecret(try sealer.seal([], for: place), at: place) }
    }
}

import Sodium

/// How the root key file is protected at rest.
public enum RootKeyProtection: Sendable {
    /// The key is stored as is, readable only by the service account (mode 0600).
    case plain
    /// The key is wrapped by a key derived with Argon2id from a passphrase that is never stored.
    case passphrase([UInt8], limits: Argon2id.Limits = .moderate)
}

/// The root key file's byte format.
///
/// ```
/// "SRROOT"  6 bytes   magic
/// 0x01      1 byte    format version
/// mode      1 byte    0x00 plain, 0x01 passphrase
/// plain:      key (32) || check (8) = BLAKE2b-64(key: key, "strongroom.root-key.check.v1")
/// passphrase: opslimit (8, BE) || memlimit (8, BE) || salt (16) || nonce (24) || wrapped key (48)
/// ```
/// The check value (plain) or the AEAD tag (passphrase) catches a truncated or corrupt file before use.
enum RootKeyFile {
    static let magic: [UInt8] = Array("SRROOT".utf8)
    static let version: UInt8 = 1
    static let checkContext: [UInt8] = Array("strongroom.root-key.check.v1".utf8)
    static let wrapContext: [UInt8] = Array("strongroom.root-key.passphrase.v1".utf8)

    static func encode(_ key: SecretBytes, protection: RootKeyProtection) throws -> [UInt8] {
        var out = magic + [version]
        switch protection {
        case .plain:
            out.append(0)
            key.withUnsafeBytes { out.append(contentsOf: $0) }
            out += try BLAKE2b.hash(checkContext, key: key, outputByteCount: 16).prefix(8)
        case .passphrase(let passphrase, let limits):
            guard !passphrase.isEmpty else { throw KeyringError.invalidArgument("the passphrase must not be empty") }
            out.append(1)
            let salt = SecureRandom.bytes(count: Argon2id.saltByteCount)
            let nonce = XChaCha20Poly1305.randomNonce()
            let wrapping = try Argon2id.deriveKey(passphrase: passphrase, salt: salt, limits: limits)
            out += bigEndian(limits.operations) + bigEndian(UInt64(limits.memory)) + salt + nonce
            out += try XChaCha20Poly1305.wrap(key, key: wrapping, nonce: nonce, associatedData: wrapContext + Array(out[0..<8]))
        }
        return out
    }

    static func decode(_ bytes: [UInt8], path: String, passphrase: [UInt8]?) throws -> SecretBytes {
        guard bytes.count >= 8, Array(bytes[0..<6]) == magic else { throw KeyringError.corrupt(path, "not a Strongroom root key file") }
        guard bytes[6] == version else { throw KeyringError.corrupt(path, "unsupported format version \(bytes[6])") }
        switch bytes[7] {
        case 0:
            guard bytes.count == 8 + 32 + 8 else { throw KeyringError.corrupt(path, "wrong length") }
            var keyBytes = Array(bytes[8..<40])
            let key = try SecretBytes(consuming: &keyBytes)
            let check = try BLAKE2b.hash(checkContext, key: key, outputByteCount: 16).prefix(8)
            guard constantTimeEquals(Array(check), Array(bytes[40..<48])) else {
                throw KeyringError.corrupt(path, "check value mismatch")
            }
            return key
        case 1:
            guard bytes.count == 8 + 8 + 8 + 16 + 24 + 48 else { throw KeyringError.corrupt(path, "wrong length") }
            guard let passphrase else { throw KeyringError.passphraseRequired }
            let operations = readBigEndian(bytes, at: 8)
            let memory = readBigEndian(bytes, at: 16)
            guard (1...16).contains(operations), memory <= 1 << 32 else { throw KeyringError.corrupt(path, "implausible Argon2id limits") }
            let salt = Array(bytes[24..<40])
            let nonce = Array(bytes[40..<64])
            let wrapped = Array(bytes[64..<112])
            let wrapping = try Argon2id.deriveKey(
                passphrase: passphrase, salt: salt, limits: .init(operations: operations, memory: Int(memory)))
            do {
                return try XChaCha20Poly1305.unwrap(wrapped, key: wrapping, nonce: nonce, associatedData: wrapContext + Array(bytes[0..<8]))
            } catch {
                throw KeyringError.wrongPassphrase
            }
        default:
            throw KeyringError.corrupt(path, "unknown protection mode")
        }
    }

    static func isPassphraseProtected(_ bytes: [UInt8]) -> Bool { bytes.count > 8 && bytes[7] == 1 }
}

func bigEndian(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) } }
func bigEndian(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }
func readBigEndian(_ bytes: [UInt8], at offset: Int) -> UInt64 {
    (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[offset + $1]) }
}

import Sodium

/// The audit signing secret key at rest, wrapped by the root key.
///
/// ```
/// "SRSIGN" 6 bytes magic || 0x01 version || nonce (24) || XChaCha20-Poly1305(64-byte Ed25519 secret key) (80)
/// ```
enum AuditSigningKeyFile {
    static let magic: [UInt8] = Array("SRSIGN".utf8)
    static let context: [UInt8] = Array("strongroom.audit-signing-key.v1".utf8)

    static func encode(_ secretKey: SecretBytes, root: SecretBytes) throws -> [UInt8] {
        let header = magic + [1]
        let nonce = XChaCha20Poly1305.randomNonce()
        return header + nonce + (try XChaCha20Poly1305.wrap(secretKey, key: root, nonce: nonce, associatedData: context + header))
    }

    static func decode(_ bytes: [UInt8], root: SecretBytes, path: String) throws -> SecretBytes {
        guard bytes.count == 7 + 24 + 80, Array(bytes[0..<6]) == magic, bytes[6] == 1 else {
            throw KeyringError.corrupt(path, "not a Strongroom audit signing key file")
        }
        do {
            return try XChaCha20Poly1305.unwrap(
                Array(bytes[31...]), key: root, nonce: Array(bytes[7..<31]), associatedData: context + Array(bytes[0..<7]))
        } catch {
            throw KeyringError.corrupt(path, "it does not open under this root key")
        }
    }
}

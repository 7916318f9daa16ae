import Sodium

/// Signs checkpoints with the audit Ed25519 key, producing C2SP signed notes.
public struct AuditCheckpointSigner: Sendable {
    /// The key pair; the secret half stays in `SecretBytes`.
    private let keyPair: Ed25519.KeyPair
    /// The matching verifier key (name, key hash, public key).
    public let verifierKey: AuditVerifierKey

    /// - Parameters:
    ///   - name: the key name, usually the log's origin.
    ///   - keyPair: the audit signing key pair (from the keyring).
    /// - Throws: ``AuditError/malformedKey(_:)`` for an invalid name.
    public init(name: String, keyPair: Ed25519.KeyPair) throws {
        self.keyPair = keyPair
        self.verifierKey = try AuditVerifierKey(name: name, publicKey: keyPair.publicKey)
    }

    /// Signs `checkpoint`: the signature covers the checkpoint body text including its final newline.
    public func sign(_ checkpoint: AuditCheckpoint) -> SignedCheckpoint {
        let signature = keyPair.sign(Array(checkpoint.bodyText.utf8))
        return SignedCheckpoint(
            checkpoint: checkpoint,
            signatures: [NoteSignature(keyName: verifierKey.name, keyHash: verifierKey.keyHash, signature: signature)])
    }

    /// A raw Ed25519 signature over `message` (used for key handovers).
    func signRaw(_ message: [UInt8]) -> [UInt8] { keyPair.sign(message) }
}

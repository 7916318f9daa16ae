import Sodium

/// A witness's public key in the C2SP signed-note verifier-key format with signature type 0x04 (tlog-cosignature,
/// Ed25519 `cosignature/v1`): `<name>+<hex key ID>+<base64(0x04 || Ed25519 public key)>`. This is what a witness's
/// `witness.pub` holds and what `audit verify --witness` and `Keys/witnesses` name.
///
/// The key ID is the first 4 bytes of SHA-256(name || "\n" || 0x04 || public key).
public struct WitnessVerifierKey: Sendable, Hashable, CustomStringConvertible {
    /// The witness name (a schema-less URL by convention, e.g. `dpa.example/witness`).
    public let name: String
    /// The 32-byte Ed25519 public key.
    public let publicKey: [UInt8]
    /// The 4-byte key ID that its cosignature lines carry.
    public let keyID: [UInt8]

    /// The cosignature/v1 signature type byte.
    static let cosignatureType: UInt8 = 0x04

    /// - Throws: ``AuditError/malformedKey(_:)`` for an invalid name or a public key that is not 32 bytes.
    public init(name: String, publicKey: [UInt8]) throws {
        guard AuditVerifierKey.isValidName(name) else {
            throw AuditError.malformedKey("witness name \"\(name.prefix(80))\" is invalid: use a non-empty name without spaces or '+'")
        }
        guard publicKey.count == Ed25519.publicKeyByteCount else {
            throw AuditError.malformedKey("an Ed25519 public key has 32 bytes, got \(publicKey.count)")
        }
        self.name = name
        self.publicKey = publicKey
        self.keyID = VerifierKeyText.keyHash(name: name, type: Self.cosignatureType, publicKey: publicKey)
    }

    /// Parses the verifier-key text.
    ///
    /// - Throws: ``AuditError/malformedKey(_:)`` naming what is wrong.
    public init(text: String) throws {
        let parsed = try VerifierKeyText.parse(text, type: Self.cosignatureType, typeName: "a witness cosignature key (type 0x04)")
        try self.init(name: parsed.name, publicKey: parsed.publicKey)
        guard keyID == parsed.keyHash else {
            throw AuditError.malformedKey("the witness key's ID \(parsed.keyHash.hexString) does not match its name and public key (expected \(keyID.hexString))")
        }
    }

    /// Every witness key in a file, one per line; blank lines and `#` comments are skipped.
    public static func load(fromFile path: String) throws -> [WitnessVerifierKey] {
        try VerifierKeyText.loadLines(fromFile: path, Self.init(text:))
    }

    /// The verifier-key text.
    public var text: String {
        VerifierKeyText.format(name: name, keyHash: keyID, type: Self.cosignatureType, publicKey: publicKey)
    }

    public var description: String { text }

    /// Whether `line` claims to be this witness's (same name and key ID).
    public func claims(_ line: NoteSignature) -> Bool { line.keyName == name && line.keyHash == keyID }

    /// The timestamp of this witness's cosignature `line` over `checkpoint`, or `nil` when the line is not a valid
    /// cosignature by this key (wrong length, timestamp above 2^63 - 1, or a signature that does not verify).
    public func verifiedTimestamp(of line: NoteSignature, over checkpoint: AuditCheckpoint) -> UInt64? {
        guard claims(line), line.signature.count == 8 + Ed25519.signatureByteCount else { return nil }
        let timestamp = line.signature[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard timestamp <= Cosignature.maximumTimestamp else { return nil }
        let message = Cosignature.signedMessage(for: checkpoint, timestamp: timestamp)
        guard Ed25519.verify(signature: Array(line.signature[8...]), message: message, publicKey: publicKey) else { return nil }
        return timestamp
    }
}

/// The tlog-cosignature `cosignature/v1` signed message.
public enum Cosignature {
    /// Timestamps above this are invalid (the spec's bound).
    public static let maximumTimestamp = UInt64(Int64.max)

    /// `cosignature/v1\ntime <seconds>\n` followed by the whole checkpoint body (extension lines included).
    public static func signedMessage(for checkpoint: AuditCheckpoint, timestamp: UInt64) -> [UInt8] {
        Array("cosignature/v1\ntime \(timestamp)\n\(checkpoint.bodyText)".utf8)
    }
}

/// Makes a witness's cosignatures.
public struct WitnessCosigner: Sendable {
    private let keyPair: Ed25519.KeyPair
    /// The public half, as verifiers configure it.
    public let verifierKey: WitnessVerifierKey

    /// - Throws: ``AuditError/malformedKey(_:)`` for an invalid name.
    public init(name: String, keyPair: Ed25519.KeyPair) throws {
        self.keyPair = keyPair
        self.verifierKey = try WitnessVerifierKey(name: name, publicKey: keyPair.publicKey)
    }

    /// The cosignature line for `checkpoint` at `timestamp` (POSIX seconds).
    public func cosign(_ checkpoint: AuditCheckpoint, at timestamp: UInt64) -> NoteSignature {
        let time = min(timestamp, Cosignature.maximumTimestamp)
        let signature = keyPair.sign(Cosignature.signedMessage(for: checkpoint, timestamp: time))
        var bytes: [UInt8] = (0..<8).map { UInt8(truncatingIfNeeded: time >> (56 - 8 * $0)) }
        bytes += signature
        return NoteSignature(keyName: verifierKey.name, keyHash: verifierKey.keyID, signature: bytes)
    }
}

extension SignedCheckpoint {
    /// Which trusted witnesses cosigned a checkpoint.
    public struct CosignatureCheck: Sendable, Equatable {
        /// The witnesses with a valid cosignature, each once, in the order of the trusted keys.
        public var witnesses: [WitnessVerifierKey]
        /// The first trusted witness that a line names (name and key ID) but whose signature does not verify: a forged
        /// or altered cosignature, which rejects the checkpoint.
        public var forged: WitnessVerifierKey?
    }

    /// Checks the cosignature lines against `keys`: lines from unknown keys (the log's own signature among them) are
    /// ignored; a line that names a trusted witness but does not verify is reported as forged.
    public func checkCosignatures(trusting keys: [WitnessVerifierKey]) -> CosignatureCheck {
        var check = CosignatureCheck(witnesses: [], forged: nil)
        for key in keys {
            var valid = false
            for line in signatures where key.claims(line) {
                if key.verifiedTimestamp(of: line, over: checkpoint) != nil {
                    valid = true
                } else if check.forged == nil {
                    check.forged = key
                }
            }
            if valid && !check.witnesses.contains(key) { check.witnesses.append(key) }
        }
        return check
    }

    /// This checkpoint with `lines` appended after its signatures, skipping lines it already carries, up to the note's
    /// limit of ``maximumSignatures`` lines.
    public func addingSignatures(_ lines: [NoteSignature]) -> SignedCheckpoint {
        var copy = self
        for line in lines where !copy.signatures.contains(line) && copy.signatures.count < Self.maximumSignatures {
            copy.signatures.append(line)
        }
        return copy
    }
}

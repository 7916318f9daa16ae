import Sodium

/// A checkpoint verification key in the C2SP signed-note verifier-key text format:
/// `<name>+<hex key hash>+<base64(0x01 || Ed25519 public key)>`. This is what `Keys/audit-signing.pub` holds.
///
/// The key hash is the first 4 bytes of SHA-256(name || "\n" || 0x01 || public key).
public struct AuditVerifierKey: Sendable, Hashable, CustomStringConvertible {
    /// The key name, usually the log's origin (e.g. `strongroom.example/audit`).
    public let name: String
    /// The 32-byte Ed25519 public key.
    public let publicKey: [UInt8]
    /// The 4-byte key hash that signature lines carry.
    public let keyHash: [UInt8]

    /// The Ed25519 signature type byte of the signed-note spec.
    static let ed25519Type: UInt8 = 0x01

    /// Builds the verifier key for `publicKey` under `name`.
    ///
    /// - Throws: ``AuditError/malformedKey(_:)`` for an invalid name or a public key that is not 32 bytes.
    public init(name: String, publicKey: [UInt8]) throws {
        guard Self.isValidName(name) else {
            throw AuditError.malformedKey("key name \"\(name)\" is invalid: use a non-empty name without spaces or '+'")
        }
        guard publicKey.count == Ed25519.publicKeyByteCount else {
            throw AuditError.malformedKey("an Ed25519 public key has 32 bytes, got \(publicKey.count)")
        }
        self.name = name
        self.publicKey = publicKey
        self.keyHash = Self.keyHash(name: name, publicKey: publicKey)
    }

    /// Parses the verifier-key text format.
    ///
    /// - Throws: ``AuditError/malformedKey(_:)`` naming what is wrong.
    public init(text: String) throws {
        let parsed = try VerifierKeyText.parse(text, type: Self.ed25519Type, typeName: "an Ed25519 public key (type 0x01)")
        try self.init(name: parsed.name, publicKey: parsed.publicKey)
        guard keyHash == parsed.keyHash else {
            throw AuditError.malformedKey("the verifier key's hash \(parsed.keyHash.hexString) does not match its name and public key (expected \(keyHash.hexString))")
        }
    }

    /// Reads every verifier key in a file, one per line; blank lines and lines starting with `#` are skipped.
    ///
    /// - Throws: ``AuditError/io(_:cause:)`` when unreadable, ``AuditError/malformedKey(_:)`` naming the line.
    public static func load(fromFile path: String) throws -> [AuditVerifierKey] {
        try VerifierKeyText.loadLines(fromFile: path, Self.init(text:))
    }

    /// The verifier-key text.
    public var text: String { VerifierKeyText.format(name: name, keyHash: keyHash, type: Self.ed25519Type, publicKey: publicKey) }

    public var description: String { text }

    /// Whether `signature` is this key's Ed25519 signature over `message`.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        Ed25519.verify(signature: signature, message: message, publicKey: publicKey)
    }

    static func keyHash(name: String, publicKey: [UInt8]) -> [UInt8] {
        VerifierKeyText.keyHash(name: name, type: ed25519Type, publicKey: publicKey)
    }

    /// Signed-note key names: non-empty, no Unicode spaces, no '+'.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.unicodeScalars.contains { $0 == "+" || $0.properties.isWhitespace || $0.value < 0x20 }
    }
}

/// The signed-note verifier-key text shared by checkpoint keys (type 0x01) and witness cosigner keys (type 0x04):
/// `<name>+<hex key hash>+<base64(type || public key)>`, the key hash being SHA-256(name || "\n" || type || key)[:4].
enum VerifierKeyText {
    static func parse(_ text: String, type: UInt8, typeName: String) throws -> (name: String, keyHash: [UInt8], publicKey: [UInt8]) {
        // One spelling per key: whitespace around it is refused here (files trim their lines before this).
        guard text == text.trimmingWhitespace else {
            throw AuditError.malformedKey("a verifier key has no whitespace before or after it")
        }
        // The name has no "+", the hash is hex: split at the first two; base64 may itself contain "+".
        let parts = text.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw AuditError.malformedKey("a verifier key has the form <name>+<hex key hash>+<base64 key>; this one has \(parts.count) '+'-separated parts")
        }
        guard let hash = [UInt8](hexString: parts[1]), hash.count == 4 else {
            throw AuditError.malformedKey("the key hash of a verifier key is 8 hex digits, got \"\(parts[1].prefix(40))\"")
        }
        let encoded: [UInt8]
        do {
            encoded = try Base64.decodeCanonical(parts[2], byteCount: (1 + Ed25519.publicKeyByteCount)...(1 + Ed25519.publicKeyByteCount))
        } catch {
            throw AuditError.malformedKey("the key of this verifier key must be canonical base64 of one type byte and a 32-byte public key (\(typeName)): \(error)")
        }
        guard encoded[0] == type else {
            throw AuditError.malformedKey("this verifier key has type 0x\([encoded[0]].hexString), expected \(typeName)")
        }
        return (String(parts[0]), hash, Array(encoded[1...]))
    }

    static func format(name: String, keyHash: [UInt8], type: UInt8, publicKey: [UInt8]) -> String {
        "\(name)+\(keyHash.hexString)+\(Base64.encode([type] + publicKey))"
    }

    static func keyHash(name: String, type: UInt8, publicKey: [UInt8]) -> [UInt8] {
        Array(SHA256Digest.hash(Array(name.utf8) + [0x0a, type] + publicKey).prefix(4))
    }

    /// Every key in a file, one per line; blank lines and lines starting with `#` are skipped.
    static func loadLines<Key>(fromFile path: String, _ parse: (String) throws -> Key) throws -> [Key] {
        let text = try FileBytes.readText(path, limit: 1 << 20)
        var keys: [Key] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = String(line).trimmingWhitespace
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            do {
                keys.append(try parse(trimmed))
            } catch let error as AuditError {
                throw AuditError.malformedKey("\(path) line \(number + 1): \(error.message)")
            }
        }
        guard !keys.isEmpty else { throw AuditError.malformedKey("\(path) holds no verifier key") }
        return keys
    }
}

extension String {
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}

/// A checkpoint body (C2SP tlog-checkpoint): origin, tree size and root hash, plus optional extension lines.
///
/// ```
/// strongroom.example/audit
/// 1024
/// 2X1vRk...base64 root...=
/// ```
public struct AuditCheckpoint: Sendable, Hashable {
    /// The log's identity, e.g. `strongroom.example/audit`.
    public var origin: String
    /// Number of entries the root covers.
    public var size: UInt64
    /// The RFC 9162 root of the first ``size`` entries; 32 bytes.
    public var rootHash: [UInt8]
    /// Extension lines after the root (non-empty, no newline); verifiers that do not know them ignore them.
    public var extensions: [String]

    public init(origin: String, size: UInt64, rootHash: [UInt8], extensions: [String] = []) {
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
        self.extensions = extensions
    }

    /// The signed text: each line followed by a newline.
    public var bodyText: String {
        var text = "\(origin)\n\(size)\n\(Base64.encode(rootHash))\n"
        for line in extensions { text += line + "\n" }
        return text
    }

    /// Parses a checkpoint body (the signed-note text).
    ///
    /// - Throws: ``AuditError/malformedCheckpoint(_:)`` naming the bad line.
    public init(bodyText: String) throws {
        guard bodyText.hasSuffix("\n") else { throw AuditError.malformedCheckpoint("checkpoint body does not end with a newline") }
        let lines = bodyText.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 3 else {
            throw AuditError.malformedCheckpoint("a checkpoint has at least 3 lines (origin, size, root hash); this one has \(lines.count)")
        }
        guard !lines[0].isEmpty else { throw AuditError.malformedCheckpoint("the checkpoint origin line is empty") }
        let sizeLine = lines[1]
        guard !sizeLine.isEmpty, sizeLine.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            sizeLine == "0" || !sizeLine.hasPrefix("0"), let size = UInt64(sizeLine)
        else {
            throw AuditError.malformedCheckpoint("the checkpoint size line \"\(sizeLine.prefix(40))\" is not a decimal number without leading zeros that fits 64 bits")
        }
        let root: [UInt8]
        do {
            root = try Base64.decodeCanonical(lines[2], byteCount: 32...32)
        } catch {
            throw AuditError.malformedCheckpoint("the checkpoint root line is not canonical base64 of a 32-byte hash: \(error)")
        }
        let extensions = Array(lines[3...])
        guard extensions.allSatisfy({ !$0.isEmpty }) else {
            throw AuditError.malformedCheckpoint("a checkpoint extension line is empty")
        }
        self.init(origin: lines[0], size: size, rootHash: root, extensions: extensions)
    }
}

/// One signature line of a signed note: `— <key name> <base64(key hash || signature)>`.
public struct NoteSignature: Sendable, Hashable {
    public var keyName: String
    /// 4 bytes.
    public var keyHash: [UInt8]
    /// 64 bytes for Ed25519 (other lengths are kept so unknown signers can be ignored).
    public var signature: [UInt8]
    public init(keyName: String, keyHash: [UInt8], signature: [UInt8]) {
        self.keyName = keyName
        self.keyHash = keyHash
        self.signature = signature
    }

    /// Parses one signature line (without its newline); `number` names it in errors.
    ///
    /// - Throws: ``AuditError/malformedCheckpoint(_:)`` naming what is wrong.
    public init(line: Substring, number: Int) throws {
        guard line.hasPrefix("\u{2014} ") else {
            throw AuditError.malformedCheckpoint("signature line \(number) does not start with an em dash (U+2014) and a space")
        }
        let fields = line.dropFirst(2).split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 2, AuditVerifierKey.isValidName(String(fields[0])) else {
            throw AuditError.malformedCheckpoint("signature line \(number) is not \"— <key name> <base64 signature>\"")
        }
        let decoded: [UInt8]
        do {
            decoded = try Base64.decodeCanonical(fields[1], byteCount: 5...Int.max)
        } catch {
            throw AuditError.malformedCheckpoint("signature line \(number) does not hold canonical base64 of a key hash and a signature: \(error)")
        }
        self.init(keyName: String(fields[0]), keyHash: Array(decoded[..<4]), signature: Array(decoded[4...]))
    }

    /// Parses newline-terminated signature lines, as a witness answers them (at most
    /// ``SignedCheckpoint/maximumSignatures``).
    public static func parseLines(_ text: String) throws -> [NoteSignature] {
        guard text.hasSuffix("\n") else { throw AuditError.malformedCheckpoint("signature lines do not end with a newline") }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count <= SignedCheckpoint.maximumSignatures else {
            throw AuditError.malformedCheckpoint("more than \(SignedCheckpoint.maximumSignatures) signature lines")
        }
        return try lines.enumerated().map { number, line in try NoteSignature(line: line, number: number + 1) }
    }

    /// The signature line with its newline: `— <key name> <base64(key hash || signature)>\n`.
    public var line: String { "\u{2014} \(keyName) \(Base64.encode(keyHash + signature))\n" }
}

/// A checkpoint with its signatures: a C2SP signed note.
public struct SignedCheckpoint: Sendable, Hashable {
    /// The signed body.
    public var checkpoint: AuditCheckpoint
    /// Signature lines, in order.
    public var signatures: [NoteSignature]

    /// Notes longer than this are refused before parsing.
    public static let maximumTextLength = 1 << 20
    /// Notes with more signature lines are refused (the Go reference's limit).
    public static let maximumSignatures = 100

    public init(checkpoint: AuditCheckpoint, signatures: [NoteSignature]) {
        self.checkpoint = checkpoint
        self.signatures = signatures
    }

    /// The full note text: body, a blank line, then one signature line per signature.
    public var text: String {
        var text = checkpoint.bodyText + "\n"
        for signature in signatures { text += signature.line }
        return text
    }

    /// Parses a signed note.
    ///
    /// - Throws: ``AuditError/malformedCheckpoint(_:)`` naming what is wrong.
    public init(text: String) throws {
        guard text.utf8.count <= Self.maximumTextLength else {
            throw AuditError.malformedCheckpoint("signed checkpoint is longer than \(Self.maximumTextLength) bytes")
        }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" }) else {
            throw AuditError.malformedCheckpoint("signed checkpoint contains a control character other than newline")
        }
        guard text.hasSuffix("\n") else { throw AuditError.malformedCheckpoint("signed checkpoint does not end with a newline") }
        let bytes = Array(text.utf8)
        // The body ends at the last blank line (Go's note.Open splits at the last "\n\n").
        var split: Int?
        var index = bytes.count - 2
        while index >= 0 {
            if bytes[index] == 0x0a && bytes[index + 1] == 0x0a {
                split = index
                break
            }
            index -= 1
        }
        guard let split else { throw AuditError.malformedCheckpoint("signed checkpoint has no blank line before its signatures") }
        let body = String(decoding: bytes[...split], as: UTF8.self)
        let signatureText = String(decoding: bytes[(split + 2)...], as: UTF8.self)
        let lines = signatureText.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        guard !signatureText.isEmpty, !lines.isEmpty else { throw AuditError.malformedCheckpoint("signed checkpoint has no signature lines") }
        guard lines.count <= Self.maximumSignatures else {
            throw AuditError.malformedCheckpoint("signed checkpoint has more than \(Self.maximumSignatures) signatures")
        }
        let signatures = try lines.enumerated().map { number, line in try NoteSignature(line: line, number: number + 1) }
        self.init(checkpoint: try AuditCheckpoint(bodyText: body), signatures: signatures)
    }

    /// Reads a signed checkpoint from a file (as saved by `audit checkpoint --output`).
    public static func load(fromFile path: String) throws -> SignedCheckpoint {
        try SignedCheckpoint(text: FileBytes.readText(path, limit: maximumTextLength))
    }

    /// The outcome of checking a note's signatures against a set of keys.
    public enum SignatureCheck: Sendable, Hashable {
        /// Signed by the named trusted key.
        case valid(keyName: String)
        /// No signature line is from a trusted key (signed by another key, or unsigned).
        case noTrustedSignature
        /// A line claims a trusted key (name and key hash match) but its signature is wrong: forged or altered.
        case invalidSignature(keyName: String)
    }

    /// Checks the signatures against `keys` following the signed-note rules: lines from unknown keys are ignored;
    /// a line that matches a trusted key's name and hash but fails verification rejects the note.
    public func checkSignatures(trusting keys: [AuditVerifierKey]) -> SignatureCheck {
        let message = Array(checkpoint.bodyText.utf8)
        var validName: String?
        for line in signatures {
            guard let key = keys.first(where: { $0.name == line.keyName && $0.keyHash == line.keyHash }) else { continue }
            guard key.isValidSignature(line.signature, for: message) else { return .invalidSignature(keyName: key.name) }
            validName = validName ?? key.name
        }
        return validName.map { .valid(keyName: $0) } ?? .noTrustedSignature
    }
}

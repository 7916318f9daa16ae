/// The body of a C2SP tlog-witness `POST /add-checkpoint`: an old size line, zero to 63 consistency proof lines
/// (base64 hashes), an empty line, then the signed checkpoint.
///
/// ```
/// old 1000
/// PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=
///
/// strongroom.local/audit
/// 1024
/// CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=
///
/// — strongroom-audit Az3grlgt…
/// ```
public struct WitnessAddCheckpoint: Sendable, Equatable {
    /// The size of the checkpoint the proof starts from: the latest one the witness cosigned (0 for none).
    public var oldSize: UInt64
    /// The RFC 6962 consistency proof from ``oldSize`` to the checkpoint's size.
    public var proof: [[UInt8]]
    /// The log's signed checkpoint.
    public var checkpoint: SignedCheckpoint

    /// The protocol's bound on proof lines.
    public static let maximumProofLines = 63
    /// Bodies longer than this are refused before parsing (a checkpoint note plus a full proof fit easily).
    public static let maximumBodyLength = SignedCheckpoint.maximumTextLength + 64 * 64

    public init(oldSize: UInt64, proof: [[UInt8]], checkpoint: SignedCheckpoint) {
        self.oldSize = oldSize
        self.proof = proof
        self.checkpoint = checkpoint
    }

    /// The request body.
    public var body: [UInt8] {
        var text = "old \(oldSize)\n"
        for hash in proof { text += Base64.encode(hash) + "\n" }
        text += "\n" + checkpoint.text
        return Array(text.utf8)
    }

    /// Parses a request body.
    ///
    /// - Throws: ``AuditError/malformedProof(_:)`` or ``AuditError/malformedCheckpoint(_:)`` naming what is wrong.
    public init(body: [UInt8]) throws {
        guard body.count <= Self.maximumBodyLength else {
            throw AuditError.malformedProof("the request body is longer than \(Self.maximumBodyLength) bytes")
        }
        guard let text = String(validating: body, as: UTF8.self) else { throw AuditError.malformedProof("the request body is not UTF-8") }
        var rest = Substring(text)
        func nextLine() throws -> Substring {
            guard let newline = rest.firstIndex(of: "\n") else {
                throw AuditError.malformedProof("the request ends before the empty line that separates the proof from the checkpoint")
            }
            let line = rest[..<newline]
            rest = rest[rest.index(after: newline)...]
            return line
        }
        let first = try nextLine()
        guard first.hasPrefix("old ") else { throw AuditError.malformedProof("the first line must be \"old <size>\"") }
        let digits = first.dropFirst(4)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            digits == "0" || !digits.hasPrefix("0"), let oldSize = UInt64(digits)
        else {
            throw AuditError.malformedProof("the old size \"\(digits.prefix(40))\" is not a decimal number without leading zeros that fits 64 bits")
        }
        var proof: [[UInt8]] = []
        while true {
            let line = try nextLine()
            if line.isEmpty { break }
            guard proof.count < Self.maximumProofLines else {
                throw AuditError.malformedProof("more than \(Self.maximumProofLines) consistency proof lines")
            }
            do {
                proof.append(try Base64.decodeCanonical(line, byteCount: 32...32))
            } catch {
                throw AuditError.malformedProof("consistency proof line \(proof.count + 1) is not canonical base64 of a 32-byte hash: \(error)")
            }
        }
        self.init(oldSize: oldSize, proof: proof, checkpoint: try SignedCheckpoint(text: String(rest)))
    }
}

/// What a witness knows of one log: the keys it trusts for the origin and the latest checkpoint it cosigned.
public struct WitnessedLog: Sendable, Equatable {
    /// The checkpoint origin line.
    public var origin: String
    /// The log's checkpoint keys (type 0x01).
    public var keys: [AuditVerifierKey]
    /// The size of the latest checkpoint cosigned (0 before the first).
    public var size: UInt64
    /// Its root hash (the empty tree's before the first).
    public var rootHash: [UInt8]

    /// A log the witness has not cosigned yet.
    public init(origin: String, keys: [AuditVerifierKey]) {
        self.init(origin: origin, keys: keys, size: 0, rootHash: AuditHashing.emptyTreeRoot)
    }

    public init(origin: String, keys: [AuditVerifierKey], size: UInt64, rootHash: [UInt8]) {
        self.origin = origin
        self.keys = keys
        self.size = size
        self.rootHash = rootHash
    }
}

/// A witness's answer to `add-checkpoint`, with the status code tlog-witness assigns it.
public enum WitnessOutcome: Sendable, Equatable {
    /// 200: cosign; the witness must persist `updated` before answering.
    case cosign(updated: WitnessedLog)
    /// 400: the body does not parse.
    case malformed(String)
    /// 404: the witness does not witness this origin.
    case unknownOrigin(String)
    /// 403: no signature from a key the witness trusts for the origin verifies (or one that claims such a key is forged).
    case notSigned
    /// 400: the old size is above the checkpoint's size.
    case oldSizeAboveCheckpoint
    /// 409: the old size is not the latest the witness cosigned, or it is with another root. Carries the witness's size.
    case conflict(latestSize: UInt64)
    /// 422: the consistency proof does not verify: the checkpoint does not extend what the witness cosigned.
    case inconsistent

    /// The HTTP status code.
    public var status: Int {
        switch self {
        case .cosign: 200
        case .malformed, .oldSizeAboveCheckpoint: 400
        case .unknownOrigin: 404
        case .notSigned: 403
        case .conflict: 409
        case .inconsistent: 422
        }
    }

    /// A short reason for logs and plain-text bodies.
    public var reason: String {
        switch self {
        case .cosign: "cosigned"
        case .malformed(let detail): "malformed request: \(detail)"
        case .unknownOrigin(let origin): "this witness does not witness origin \"\(origin.prefix(200))\""
        case .notSigned: "the checkpoint carries no valid signature by a key this witness trusts for its origin"
        case .oldSizeAboveCheckpoint: "the old size is above the checkpoint size"
        case .conflict(let size): "the latest checkpoint this witness cosigned has size \(size)"
        case .inconsistent: "the consistency proof does not verify: this checkpoint does not extend the one this witness cosigned"
        }
    }
}

/// The witness's rules (tlog-witness, in the order the spec gives them), with no I/O: the caller holds its lock from
/// this decision to persisting the update.
public enum WitnessRules {
    public static func decide(_ request: WitnessAddCheckpoint, known log: WitnessedLog?) -> WitnessOutcome {
        let checkpoint = request.checkpoint.checkpoint
        guard let log, log.origin == checkpoint.origin else { return .unknownOrigin(checkpoint.origin) }
        guard case .valid = request.checkpoint.checkSignatures(trusting: log.keys) else { return .notSigned }
        guard request.oldSize <= checkpoint.size else { return .oldSizeAboveCheckpoint }
        guard request.oldSize == log.size else { return .conflict(latestSize: log.size) }
        // The empty tree has one root; a size-0 checkpoint with another is not a tree at all.
        if checkpoint.size == 0 && checkpoint.rootHash != AuditHashing.emptyTreeRoot { return .inconsistent }
        if request.oldSize == checkpoint.size {
            guard checkpoint.rootHash == log.rootHash, request.proof.isEmpty else {
                return checkpoint.rootHash == log.rootHash ? .inconsistent : .conflict(latestSize: log.size)
            }
        } else if request.oldSize == 0 {
            guard request.proof.isEmpty else { return .inconsistent }
        } else {
            guard MerkleProofVerifier.verifyConsistency(
                oldSize: log.size, newSize: checkpoint.size, oldRoot: log.rootHash, newRoot: checkpoint.rootHash,
                proof: request.proof)
            else { return .inconsistent }
        }
        var updated = log
        updated.size = checkpoint.size
        updated.rootHash = checkpoint.rootHash
        return .cosign(updated: updated)
    }
}

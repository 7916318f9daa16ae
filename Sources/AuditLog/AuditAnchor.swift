/// The log as the signer last signed it: size, root, chain head, Merkle frontier and the key in force, kept outside
/// the database (`Keys/audit-signer.state`) so that the signer never signs a log that does not extend it.
///
/// Extending the anchor re-hashes each new entry's canonical bytes (stored hashes are compared, never trusted),
/// follows key handovers only when the key in force signed them, and yields the root of the longer tree. A store
/// signs a checkpoint only at the size and root of an anchor it has extended, after checking that its own stored
/// tree agrees; anything else is an ``AuditAnchorMismatch``.
///
/// The file form is a signed text (by the key in force):
///
/// ```
/// strongroom.audit-anchor.v1
/// origin strongroom.example/audit
/// size 1024
/// root <base64 32 bytes>
/// chain <base64 32 bytes>
/// key <verifier key text>
/// subtree <base64 32 bytes>          one line per perfect subtree of the frontier, left to right
/// signature <base64 Ed25519 signature over every line above, each with its newline>
/// ```
public struct AuditAnchor: Sendable, Equatable {
    /// The log's origin (checkpoints name it).
    public let origin: String
    /// The Merkle frontier of the first ``size`` entries.
    public private(set) var range: CompactRange
    /// chain[size - 1] (32 zero bytes for the empty log).
    public private(set) var chain: [UInt8]
    /// The checkpoint signing key in force after the first ``size`` entries.
    public private(set) var keyInForce: AuditVerifierKey

    static let header = "strongroom.audit-anchor.v1"

    /// The anchor of the empty log, trusting `key` (the installation's first signing key).
    public init(origin: String, genesisKey key: AuditVerifierKey) {
        self.origin = origin
        self.range = CompactRange()
        self.chain = AuditHashing.chainSeed
        self.keyInForce = key
    }

    /// Entries covered.
    public var size: UInt64 { range.size }
    /// The RFC 9162 root of the entries covered.
    public var root: [UInt8] { range.root }

    /// Extends the anchor by the entry at seq ``size``, re-hashing its stored canonical bytes.
    ///
    /// - Parameters:
    ///   - canonical: the entry's stored canonical bytes.
    ///   - storedLeaf: the stored leaf hash, compared with the recomputed one (`nil` when the store keeps none).
    ///   - storedChain: the stored chain hash, compared with the recomputed link.
    /// - Throws: ``AuditAnchorMismatch`` when the entry is not the next one, its stored hashes do not match its bytes,
    ///   or it is a key handover the key in force did not sign. The anchor is unchanged then.
    public mutating func extend(
        canonical: UnsafeRawBufferPointer, storedLeaf: UnsafeRawBufferPointer?, storedChain: UnsafeRawBufferPointer
    ) throws {
        let seq = size
        let fields: AuditCanonicalFields
        do { fields = try AuditCanonicalFields(scanning: canonical) } catch {
            throw AuditAnchorMismatch(.entryChanged, seq: seq, "entry \(seq) no longer decodes")
        }
        guard fields.seq == seq else {
            throw AuditAnchorMismatch(.entryChanged, seq: seq, "the entry stored at position \(seq) carries seq \(fields.seq)")
        }
        let leaf = AuditHashing.leafDigest(canonical)
        guard let previous = AuditDigest(chain) else {
            throw AuditAnchorMismatch(.entryChanged, seq: seq, "the anchor's chain head is damaged")
        }
        let link = AuditHashing.chainDigest(previous: previous, leaf: leaf)
        if let storedLeaf, AuditDigest(storedLeaf) != leaf {
            throw AuditAnchorMismatch(.entryChanged, seq: seq, "entry \(seq)'s stored leaf hash does not match its bytes")
        }
        guard AuditDigest(storedChain) == link else {
            throw AuditAnchorMismatch(
                .entryChanged, seq: seq,
                "entry \(seq) does not chain from the log the signer last signed: it, or an entry before it, was rewritten")
        }
        var key = keyInForce
        if fields.flags.contains(.checkpointKeyHandover) {
            let entry: AuditEntry
            do { entry = try AuditEntry(canonicalBytes: Array(canonical), chainHash: link.bytes) } catch {
                throw AuditAnchorMismatch(.entryChanged, seq: seq, "the key handover entry \(seq) does not decode")
            }
            switch AuditKeyHandover.validate(entry, current: [keyInForce]) {
            case .success(let next): key = next
            case .failure(let failure):
                throw AuditAnchorMismatch(.forgedHandover, seq: seq, "entry \(seq) is a key handover that is not valid: \(failure.detail)")
            }
        }
        range.append(leaf)
        chain = link.bytes
        keyInForce = key
    }

    /// The signed file text, signed by `signer` (which must hold the key in force).
    ///
    /// - Throws: ``AuditError/invalidArgument(_:)`` when `signer` is not the key in force.
    public func signedText(by signer: AuditCheckpointSigner) throws -> String {
        guard signer.verifierKey == keyInForce else {
            throw AuditError.invalidArgument("the anchor must be signed by the key in force (\(keyInForce.name)+\(keyInForce.keyHash.hexString))")
        }
        let body = bodyText
        return body + "signature \(Base64.encode(signer.signRaw(Array(body.utf8))))\n"
    }

    var bodyText: String {
        var text = "\(Self.header)\norigin \(origin)\nsize \(size)\nroot \(Base64.encode(root))\nchain \(Base64.encode(chain))\n"
        text += "key \(keyInForce.text)\n"
        for subtree in range.subtrees { text += "subtree \(Base64.encode(subtree.hash))\n" }
        return text
    }

    /// Parses and checks a signed anchor file.
    ///
    /// - Parameter trusting: the keys that may have signed it (the installed and the staged signing key); the anchor's
    ///   key in force must be one of them and must have signed it.
    /// - Throws: ``AuditError/malformedCheckpoint(_:)`` for a text that does not parse, is not signed by its key in
    ///   force, or names a key not in `trusting`.
    public init(signedText text: String, trusting keys: [AuditVerifierKey]) throws {
        func bad(_ why: String) -> AuditError { AuditError.malformedCheckpoint("the audit signer state " + why) }
        guard text.hasSuffix("\n") else { throw bad("does not end with a newline") }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 7, lines[0] == Self.header else { throw bad("is not a \(Self.header) file") }
        func value(_ index: Int, _ name: String) throws -> String {
            let prefix = name + " "
            guard lines[index].hasPrefix(prefix) else { throw bad("line \(index + 1) should start with \"\(name)\"") }
            return String(lines[index].dropFirst(prefix.count))
        }
        func digest(_ index: Int, _ name: String) throws -> [UInt8] {
            do {
                return try Base64.decodeCanonical(try value(index, name), byteCount: 32...32)
            } catch let problem as Base64.Problem {
                throw bad("line \(index + 1) is not canonical base64 of 32 bytes: \(problem)")
            }
        }
        let origin = try value(1, "origin")
        guard let size = UInt64(try value(2, "size")) else { throw bad("line 3 is not a size") }
        let root = try digest(3, "root")
        let chain = try digest(4, "chain")
        let key: AuditVerifierKey
        do { key = try AuditVerifierKey(text: try value(5, "key")) } catch { throw bad("line 6 is not a verifier key") }
        let subtreeLines = lines.count - 7
        let subtrees = try (0..<subtreeLines).map { try digest(6 + $0, "subtree") }
        guard let signature = Base64.decode(try value(lines.count - 1, "signature")) else { throw bad("has no valid signature line") }
        let range: CompactRange
        do { range = try CompactRange(size: size, hashes: subtrees) } catch { throw bad("has a frontier that does not fit its size") }
        guard range.root == root else { throw bad("has a frontier that does not match its root") }
        var anchor = AuditAnchor(origin: origin, genesisKey: key)
        anchor.range = range
        anchor.chain = chain
        guard keys.contains(key) else {
            throw bad("was signed by key \(key.name)+\(key.keyHash.hexString), which is neither the installed nor the staged audit signing key")
        }
        guard anchor.bodyText + "signature \(Base64.encode(signature))\n" == text,
            key.isValidSignature(signature, for: Array(anchor.bodyText.utf8))
        else { throw bad("does not verify: it was altered or not signed by its key") }
        self = anchor
    }
}

/// The log in the database does not extend the anchor the signer keeps: an entry was rewritten, removed or inserted,
/// the stored tree was altered, or a key handover was forged. The signer signs nothing and writes are refused.
public struct AuditAnchorMismatch: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// An entry's bytes or stored hashes differ from what the signer last signed, or entries are missing.
        case entryChanged = "entry-changed"
        /// The log holds fewer entries than the signer last signed.
        case rolledBack = "rolled-back"
        /// The stored Merkle nodes do not match the entries.
        case treeChanged = "tree-changed"
        /// A key handover entry that the key in force did not sign.
        case forgedHandover = "forged-handover"
    }

    public let kind: Kind
    /// The first entry found wrong, when one is known.
    public let seq: UInt64?
    public let detail: String

    public init(_ kind: Kind, seq: UInt64?, _ detail: String) {
        self.kind = kind
        self.seq = seq
        self.detail = detail
    }

    public var description: String { detail }
}

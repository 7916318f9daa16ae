/// Why a log failed verification, with the first bad entry's sequence number where one can be named.
public struct AuditFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure; tests and tools switch on it.
    public enum Kind: String, Sendable, Hashable {
        /// The entry's content no longer matches its chain hash; the next link is intact.
        case entryModified = "entry modified"
        /// The entry's stored chain hash was changed (it breaks both its own link and the next).
        case chainHashModified = "chain hash modified"
        /// The last entry does not match its chain hash (content or hash changed; no next entry to tell which).
        case entryOrChainHashModified = "entry or chain hash modified"
        /// A sequence number is skipped: an entry was deleted.
        case missingEntry = "entry missing"
        /// A sequence number appears twice: an entry was inserted or duplicated.
        case duplicateEntry = "duplicate entry"
        /// Two entries are swapped or entries are out of order.
        case outOfOrder = "entries out of order"
        /// The checkpoint's root differs from the root recomputed from the entries.
        case checkpointRootMismatch = "checkpoint root mismatch"
        /// A checkpoint covers more entries than the log holds: entries at the end were deleted.
        case truncated = "log truncated"
        /// A signature line claims a trusted key but does not verify.
        case forgedCheckpointSignature = "forged checkpoint signature"
        /// A checkpoint carries no signature by a key in force at its size.
        case untrustedCheckpoint = "checkpoint not signed by a trusted key"
        /// A checkpoint names another log.
        case wrongOrigin = "checkpoint origin mismatch"
        /// A key handover entry is malformed or not signed by the key in force.
        case invalidKeyHandover = "invalid key handover"
        /// The log is shorter than a checkpoint the auditor saved earlier: rolled back.
        case rolledBack = "log rolled back"
        /// The log's root at the saved checkpoint's size differs: the log forked or was rewritten.
        case forked = "log forked"
        /// The source could not be read (malformed bundle, corrupt row).
        case unreadable = "unreadable"
        /// The log holds entries but no valid checkpoint covers any of them (its checkpoints were deleted).
        case unanchored = "no valid checkpoint"
        /// The entries after the newest valid checkpoint are more, or older, than the verifier allows.
        case unsignedTail = "unsigned tail too long"
        /// A cosignature line names a trusted witness but does not verify.
        case forgedCosignature = "forged witness cosignature"
        /// No checkpoint carries cosignatures from enough trusted witnesses.
        case unwitnessed = "not witnessed"
        /// The entries after the newest sufficiently witnessed checkpoint are more, or older, than the verifier allows.
        case unwitnessedTail = "unwitnessed tail too long"
    }

    /// What is wrong.
    public var kind: Kind
    /// The first bad entry, when one can be named.
    public var seq: UInt64?
    /// The checkpoint's tree size, for checkpoint failures.
    public var checkpointSize: UInt64?
    /// A sentence for people: what was found and where.
    public var detail: String

    init(_ kind: Kind, seq: UInt64? = nil, checkpointSize: UInt64? = nil, detail: String) {
        self.kind = kind
        self.seq = seq
        self.checkpointSize = checkpointSize
        self.detail = detail
    }

    public var description: String {
        var head = kind.rawValue
        if let seq { head += " at entry \(seq)" } else if let checkpointSize { head += " at checkpoint size \(checkpointSize)" }
        return "\(head): \(detail)"
    }
}

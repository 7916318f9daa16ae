/// One entry of the tamper-evident audit log.
///
/// Every field is pseudonymous: principal, record and subject ids, field *names* and policy ids, never a personal
/// value. ``seq`` is the entry's 0-based position, equal to its RFC 9162 leaf index. The hashed content is the
/// canonical encoding (``canonicalBytes``); ``chainHash`` is the stored hash-chain value after this entry.
public struct AuditEntry: Sendable, Hashable {
    /// 0-based sequence number; the first entry of a log is 0 and equals the Merkle leaf index.
    public var seq: UInt64
    /// When the entry was appended, UTC.
    public var time: AuditTime
    /// Who acted.
    public var actor: AuditActor
    /// What was done, e.g. `record.read`, `key.rotate`.
    public var action: String
    /// What it was done to.
    public var target: AuditTarget
    /// Names of the fields touched (never values).
    public var fieldsTouched: [String]
    /// The gate's decision.
    public var decision: AuditDecision
    /// The declared purpose, if any.
    public var purpose: String?
    /// The request that caused the entry.
    public var requestID: String
    /// Flags (break-glass, key operation, ...).
    public var flags: AuditFlags
    /// A small map without personal data.
    public var details: [String: String]
    /// chain[seq] = SHA-256(chain[seq-1] || leafHash[seq]) as stored with the entry; 32 bytes.
    public var chainHash: [UInt8]

    /// Creates an entry from its parts. Stores build these; tests and tools may too.
    public init(
        seq: UInt64, time: AuditTime, draft: AuditEntryDraft, chainHash: [UInt8]
    ) {
        self.seq = seq
        self.time = time
        self.actor = draft.actor
        self.action = draft.action
        self.target = draft.target
        self.fieldsTouched = draft.fieldsTouched
        self.decision = draft.decision
        self.purpose = draft.purpose
        self.requestID = draft.requestID
        self.flags = draft.flags
        self.details = draft.details
        self.chainHash = chainHash
    }

    /// The content without position, time and hash: what a caller hands to a store.
    public var draft: AuditEntryDraft {
        AuditEntryDraft(
            actor: actor, action: action, target: target, fieldsTouched: fieldsTouched, decision: decision,
            purpose: purpose, requestID: requestID, flags: flags, details: details)
    }

    /// RFC 9162 leaf hash: SHA-256(0x00 || canonical bytes).
    public var leafHash: [UInt8] { AuditHashing.leafHash(canonicalBytes) }
}

/// What a caller appends: an entry without sequence number, time and chain hash (the store assigns those).
public struct AuditEntryDraft: Sendable, Hashable {
    public var actor: AuditActor
    public var action: String
    public var target: AuditTarget
    public var fieldsTouched: [String]
    public var decision: AuditDecision
    public var purpose: String?
    public var requestID: String
    public var flags: AuditFlags
    public var details: [String: String]

    /// - Parameters:
    ///   - actor: the principal (pseudonymous id and role).
    ///   - action: a dotted verb such as `record.read`.
    ///   - target: collection, record id and subject id, each optional.
    ///   - fieldsTouched: field names only.
    ///   - decision: allow or deny and the deciding policy ids.
    ///   - purpose: the declared purpose.
    ///   - requestID: the request id that ties the entry to an HTTP request or CLI run.
    ///   - flags: break-glass, key operation, erasure receipt, key handover.
    ///   - details: a small map with no personal data.
    public init(
        actor: AuditActor, action: String, target: AuditTarget = AuditTarget(), fieldsTouched: [String] = [],
        decision: AuditDecision, purpose: String? = nil, requestID: String, flags: AuditFlags = [],
        details: [String: String] = [:]
    ) {
        self.actor = actor
        self.action = action
        self.target = target
        self.fieldsTouched = fieldsTouched
        self.decision = decision
        self.purpose = purpose
        self.requestID = requestID
        self.flags = flags
        self.details = details
    }
}

/// The principal who acted.
public struct AuditActor: Sendable, Hashable {
    /// Pseudonymous principal id.
    public var id: String
    /// The role the principal acted in (`citizen`, `caseworker`, `security-officer`, `system`).
    public var role: String
    public init(id: String, role: String) {
        self.id = id
        self.role = role
    }
}

/// What an action touched. All parts are optional and pseudonymous.
public struct AuditTarget: Sendable, Hashable {
    public var collection: String?
    public var recordID: String?
    /// The data subject's pseudonymous id; indexed for the citizen's access report.
    public var subjectID: String?
    public init(collection: String? = nil, recordID: String? = nil, subjectID: String? = nil) {
        self.collection = collection
        self.recordID = recordID
        self.subjectID = subjectID
    }
}

/// The gate's decision for the audited action.
public struct AuditDecision: Sendable, Hashable {
    /// Allow or deny.
    public enum Effect: UInt8, Sendable, Hashable {
        case deny = 0
        case allow = 1
    }
    public var effect: Effect
    /// Ids of the policies that decided.
    public var policyIDs: [String]
    public init(_ effect: Effect, policyIDs: [String] = []) {
        self.effect = effect
        self.policyIDs = policyIDs
    }
    /// An allow decided by `policyIDs`.
    public static func allow(_ policyIDs: [String] = []) -> AuditDecision { AuditDecision(.allow, policyIDs: policyIDs) }
    /// A deny decided by `policyIDs`.
    public static func deny(_ policyIDs: [String] = []) -> AuditDecision { AuditDecision(.deny, policyIDs: policyIDs) }
}

/// Entry flags; their bit values are part of the canonical encoding and never change.
public struct AuditFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Access under break-glass.
    public static let breakGlass = AuditFlags(rawValue: 1 << 0)
    /// A key was created, rotated, wrapped or destroyed.
    public static let keyOperation = AuditFlags(rawValue: 1 << 1)
    /// The receipt of an erasure (crypto-shredding) of a subject's data.
    public static let erasureReceipt = AuditFlags(rawValue: 1 << 2)
    /// A signed handover to a new checkpoint signing key; see ``AuditKeyHandover``.
    public static let checkpointKeyHandover = AuditFlags(rawValue: 1 << 3)

    /// Every defined flag with its stable name, in bit order.
    public static let named: [(name: String, flag: AuditFlags)] = [
        ("breakGlass", .breakGlass), ("keyOperation", .keyOperation),
        ("erasureReceipt", .erasureReceipt), ("checkpointKeyHandover", .checkpointKeyHandover),
    ]
    /// All defined bits; an encoding with other bits set is rejected.
    public static let all: AuditFlags = [.breakGlass, .keyOperation, .erasureReceipt, .checkpointKeyHandover]

    /// The names of the set flags, in bit order.
    public var names: [String] { Self.named.filter { contains($0.flag) }.map(\.name) }

    /// The flag with a stable name, or `nil`.
    public init?(name: String) {
        guard let found = Self.named.first(where: { $0.name == name }) else { return nil }
        self = found.flag
    }
}

import Keyring

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Every key of an installation as `keys status` and the security officer's key page show it: each data key version
/// with its state, age, whether it is overdue for rotation and what it still protects, then the root and audit
/// signing keys dated by the audit log. Ids, versions, dates and counts only — never key bytes.
public struct KeyInventory: Sendable, Equatable {
    /// One key version (a data key) or one whole key (`root`, `audit-signing`, which have no versions).
    public struct Key: Sendable, Equatable {
        /// `records`, `index`, `subjects`, `root` or `audit-signing`.
        public let id: String
        /// The data key's version; `nil` for the root and audit signing keys.
        public let version: UInt32?
        /// `active`, `decrypt-only` or `retired` (the root and audit signing keys in force are `active`).
        public let state: String
        public let createdAt: Date
        public let ageDays: Int
        /// In use (new seals use it) for longer than the maximum age: see ``KeyInventory/isOverdue(since:active:maximumAgeDays:now:)``.
        public let overdue: Bool
        /// `records` versions: sealed fields under it (when the database could be read).
        public let sealedFields: Int?
        /// `index` versions: blind index rows under it.
        public let indexRows: Int?
        /// `subjects` versions: shredding keys it wraps (when there is a subject key store).
        public let shreddingKeys: Int?

        /// The root or the audit signing key, which only the command line rotates.
        public var isWholeKey: Bool { version == nil }
    }

    /// Data key versions in the key ring's order, then the root and the audit signing key (when the log dates them).
    public let keys: [Key]
    /// The age past which a key in use is overdue for rotation.
    public let maximumAgeDays: Int

    /// The one rule for "overdue": a key that new seals still use, older than `maximumAgeDays`. A decrypt-only or
    /// retired version only opens what is left under it, so its age does not matter.
    public static func isOverdue(since createdAt: Date, active: Bool, maximumAgeDays: Int, now: Date) -> Bool {
        active && now.timeIntervalSince(createdAt) > Double(maximumAgeDays) * 86_400
    }

    /// - Parameters:
    ///   - statuses: the key ring's versions (``Keyring/status()``).
    ///   - sealedFields: sealed fields per `records` version; `nil` when there is no database to count in.
    ///   - indexRows: blind index rows per `index` version.
    ///   - shreddingKeys: shredding keys per `subjects` version; `nil` without a subject key store.
    ///   - installed: when the root and audit signing keys came into use, from the audit log.
    public init(
        statuses: [KeyStatus], maximumAgeDays: Int, sealedFields: [UInt32: Int]? = nil, indexRows: [UInt32: Int]? = nil,
        shreddingKeys: [UInt32: Int]? = nil, installed: KeyInstallDates? = nil, now: Date = Date()
    ) {
        self.maximumAgeDays = maximumAgeDays
        func age(_ date: Date) -> Int { Int(now.timeIntervalSince(date) / 86_400) }
        var keys = statuses.map { status in
            Key(
                id: status.id.rawValue, version: status.version, state: status.state.rawValue, createdAt: status.createdAt,
                ageDays: age(status.createdAt),
                overdue: Self.isOverdue(since: status.createdAt, active: status.state == .active, maximumAgeDays: maximumAgeDays, now: now),
                sealedFields: status.id == .records ? sealedFields.map { $0[status.version] ?? 0 } : nil,
                indexRows: status.id == .index ? indexRows.map { $0[status.version] ?? 0 } : nil,
                shreddingKeys: status.id == SubjectKeyStore.wrappingKeyID ? shreddingKeys.map { $0[status.version] ?? 0 } : nil)
        }
        for (id, date) in [("root", installed?.root), ("audit-signing", installed?.auditSigning)] {
            guard let date else { continue }
            keys.append(Key(
                id: id, version: nil, state: KeyState.active.rawValue, createdAt: date, ageDays: age(date),
                overdue: Self.isOverdue(since: date, active: true, maximumAgeDays: maximumAgeDays, now: now),
                sealedFields: nil, indexRows: nil, shreddingKeys: nil))
        }
        self.keys = keys
    }
}

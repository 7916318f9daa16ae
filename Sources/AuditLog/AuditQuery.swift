/// Filters for `audit show` and the citizen's access report. Every set filter must match; pagination is by seq.
public struct AuditQuery: Sendable, Hashable {
    public var actorID: String?
    public var subjectID: String?
    public var action: String?
    /// Inclusive lower bound on time.
    public var from: AuditTime?
    /// Exclusive upper bound on time.
    public var until: AuditTime?
    /// Entries must carry all of these flags.
    public var flags: AuditFlags
    /// Only entries with seq greater than this (the last seq of the previous page).
    public var afterSeq: UInt64?
    /// Page size.
    public var limit: Int

    public init(
        actorID: String? = nil, subjectID: String? = nil, action: String? = nil, from: AuditTime? = nil,
        until: AuditTime? = nil, flags: AuditFlags = [], afterSeq: UInt64? = nil, limit: Int = 100
    ) {
        self.actorID = actorID
        self.subjectID = subjectID
        self.action = action
        self.from = from
        self.until = until
        self.flags = flags
        self.afterSeq = afterSeq
        self.limit = limit
    }

    /// Whether `entry` passes every filter (pagination by `afterSeq` included, `limit` not).
    public func matches(_ entry: AuditEntry) -> Bool {
        if let actorID, entry.actor.id != actorID { return false }
        if let subjectID, entry.target.subjectID != subjectID { return false }
        if let action, entry.action != action { return false }
        if let from, entry.time < from { return false }
        if let until, entry.time >= until { return false }
        if !entry.flags.isSuperset(of: flags) { return false }
        if let afterSeq, entry.seq <= afterSeq { return false }
        return true
    }
}

/// When to sign a new checkpoint: every N entries, every T, or both (whichever comes first); always on demand.
public struct AuditCheckpointPolicy: Sendable, Hashable {
    /// Sign when at least this many entries were appended since the last checkpoint (`nil`: no count rule).
    public var everyEntries: UInt64?
    /// Sign when at least this many milliseconds passed since the last checkpoint (`nil`: no time rule).
    public var everyMilliseconds: Int64?

    /// - Parameters:
    ///   - everyEntries: count rule, at least 1.
    ///   - every: time rule.
    public init(everyEntries: UInt64? = 1000, every interval: Duration? = .seconds(60)) {
        self.everyEntries = everyEntries.map { max(1, $0) }
        self.everyMilliseconds = interval.map { max(0, $0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000) }
    }

    /// Only on demand.
    public static let onDemandOnly = AuditCheckpointPolicy(everyEntries: nil, every: nil)

    /// Whether a checkpoint is due for a log of `size` entries, given the latest checkpoint's size and time.
    /// Never due when nothing was appended since the last checkpoint.
    public func isDue(size: UInt64, lastCheckpoint: (size: UInt64, time: AuditTime)?, now: AuditTime) -> Bool {
        guard let last = lastCheckpoint else { return size > 0 && (everyEntries != nil || everyMilliseconds != nil) }
        guard size > last.size else { return false }
        if let everyEntries, size - last.size >= everyEntries { return true }
        if let everyMilliseconds, now.millisecondsSince1970 - last.time.millisecondsSince1970 >= everyMilliseconds { return true }
        return false
    }
}

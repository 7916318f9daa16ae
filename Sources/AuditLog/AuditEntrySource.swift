/// Where the verifier reads a log from: the live SQLite store or an export bundle. Nothing it returns is trusted.
public protocol AuditEntrySource {
    /// How many entries the source says it holds; used for progress only.
    func entryCount() throws -> UInt64

    /// Every stored checkpoint, in storage order.
    func checkpoints() throws -> [SignedCheckpoint]

    /// Calls `body` with each entry in storage order, streaming (memory must not grow with the log).
    /// `body` returns `false` to stop early.
    ///
    /// - Throws: an error naming the unreadable entry or line; the verifier reports it as the failure.
    func forEachEntry(_ body: (AuditEntry) throws -> Bool) throws
}

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

    /// Calls `body` with each entry's canonical bytes (format v1) and stored chain hash, in storage order, without
    /// decoding them. The buffers are borrowed: valid only during the call. The verifier uses this to hash the
    /// stored bytes directly; it validates them itself, so a source need not.
    ///
    /// The default implementation encodes each entry of ``forEachEntry(_:)``. A store that keeps the canonical
    /// bytes implements it to skip the decode and re-encode; it must report anything else it stores beside the
    /// bytes (query columns) that disagrees with them as an error, as ``forEachEntry(_:)`` would.
    func forEachCanonicalEntry(
        _ body: (_ canonicalBytes: UnsafeRawBufferPointer, _ chainHash: UnsafeRawBufferPointer) throws -> Bool
    ) throws
}

extension AuditEntrySource {
    public func forEachCanonicalEntry(
        _ body: (_ canonicalBytes: UnsafeRawBufferPointer, _ chainHash: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try forEachEntry { entry in
            try entry.canonicalBytes.withUnsafeBytes { canonical in
                try entry.chainHash.withUnsafeBytes { chain in try body(canonical, chain) }
            }
        }
    }
}

import Dispatch
import GRDB

/// Gathers concurrent small reads into shared read transactions on one pooled reader connection.
///
/// The hot reads of the service (a request with its envelopes, before the read is audited) are a few indexed
/// lookups each; run one at a time through the pool, each pays for its own transaction, lock round trips and thread
/// hop, which cost more than the lookups. Here the reads waiting at a moment run back to back in one snapshot on a
/// serial queue, beside the group committer, so reading and auditing proceed in parallel.
///
/// Reads of one batch see the same committed state; a read never sees another's uncommitted write. A read that
/// throws fails alone. The queue is a dispatch queue, not a cooperative thread: waiting for a pooled reader there
/// cannot starve Swift's concurrency pool.
public final class GroupReader: Sendable {
    private let database: StrongroomDatabase
    private let maximumBatch: Int
    private let queue = DispatchQueue(label: "strongroom.group-read")
    private let pending = PendingBatches<Job>()

    private struct Job: Sendable {
        let run: @Sendable (Database) -> Void
        let fail: @Sendable (any Error) -> Void
    }

    /// - Parameter maximumBatch: the most reads one transaction takes.
    public init(database: StrongroomDatabase, maximumBatch: Int = 128) {
        self.database = database
        self.maximumBatch = maximumBatch
    }

    /// Runs `body` on a read-only snapshot shared with the other reads waiting now.
    ///
    /// `body` must only read and must not block: it runs on the reader's queue between other callers' reads.
    /// - Throws: what `body` throws, or the error of opening the snapshot.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            enqueue(
                { db in continuation.resume(with: Result { try body(db) }) },
                ifUnavailable: { error in continuation.resume(throwing: error) })
        }
    }

    /// Queues `body` for the next shared snapshot without waiting; `ifUnavailable` runs instead when the snapshot
    /// cannot be opened. Both run on the reader's queue and must not block. For a read whose result goes straight on
    /// to the group committer (an audited read), saving a trip back to the caller's task in between.
    public func enqueue(_ body: @escaping @Sendable (Database) -> Void, ifUnavailable: @escaping @Sendable (any Error) -> Void) {
        if pending.add(Job(run: body, fail: ifUnavailable)) { queue.async { self.drain() } }
    }

    private func drain() {
        while true {
            let batch = pending.take(upTo: maximumBatch)
            if batch.isEmpty { return }
            var finished = 0
            do {
                try database.pool.read { db in
                    for job in batch {
                        finished += 1
                        job.run(db)
                    }
                }
            } catch {
                // The snapshot could not be opened (or ended early): the reads that did not run get its error.
                for job in batch[finished...] { job.fail(error) }
            }
        }
    }
}

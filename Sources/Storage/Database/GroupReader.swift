import Dispatch
import GRDB
import Synchronization

/// Gathers concurrent small reads into shared read transactions on one pooled reader connection.
///
/// The hot reads of the service (a request with its envelopes, before the read is audited) are a few indexed
/// lookups each; run one at a time through the pool, each pays for its own transaction, lock round trips and thread
/// hop, which cost more than the lookups. Here the reads waiting at a moment run back to back in one snapshot on a
/// serial queue, beside the group committer, so reading and auditing proceed in parallel.
///
/// Reads of one batch see the same committed state; a read never sees another's uncommitted write. A read that
/// throws fails alone. The queues are dispatch queues, not cooperative threads: waiting for a pooled reader there
/// cannot starve Swift's concurrency pool.
///
/// Reads are spread over a few lanes (one serial queue and pooled connection each), so that one lane's snapshot
/// work does not bound the throughput of every audited read: with a single lane the reader was the pipeline's
/// bottleneck (the benchmark's batches stayed at ~40 however many reads were in flight).
public final class GroupReader: Sendable {
    private let database: StrongroomDatabase
    private let maximumBatch: Int
    private let lanes: [Lane]
    private let nextLane = Atomic<UInt>(0)

    private final class Lane: Sendable {
        let queue: DispatchQueue
        let pending = PendingBatches<Job>()
        init(_ index: Int) { queue = DispatchQueue(label: "strongroom.group-read.\(index)") }
    }

    private struct Job: Sendable {
        let run: @Sendable (Database) -> Void
        let fail: @Sendable (any Error) -> Void
    }

    /// - Parameters:
    ///   - maximumBatch: the most reads one transaction takes.
    ///   - lanes: how many snapshots may be read at once (at least 1; the pool keeps a connection for each).
    public init(database: StrongroomDatabase, maximumBatch: Int = 128, lanes: Int = 2) {
        self.database = database
        self.maximumBatch = maximumBatch
        self.lanes = (0..<max(1, lanes)).map(Lane.init)
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
        let lane = lanes[Int(nextLane.wrappingAdd(1, ordering: .relaxed).oldValue % UInt(lanes.count))]
        if lane.pending.add(Job(run: body, fail: ifUnavailable)) { lane.queue.async { self.drain(lane) } }
    }

    private func drain(_ lane: Lane) {
        while true {
            let batch = lane.pending.take(upTo: maximumBatch)
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

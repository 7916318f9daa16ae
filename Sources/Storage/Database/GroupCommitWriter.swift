import Dispatch
#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import GRDB
import Synchronization

/// When the write-ahead log is copied back into the database file.
public enum WALCheckpointing: Sendable, Equatable {
    /// After commits, off the commit path (see ``WALCheckpointer``), with SQLite's automatic checkpoint as a backstop.
    case background
    /// Never, unless asked (``StrongroomDatabase/checkpoint()``): every frame ever written stays in the WAL. For tests
    /// that scan the files for plaintext; the WAL grows without bound.
    case keepEveryFrame
}

/// Gathers concurrent writes into shared transactions, so throughput does not fall to one fsync per request.
///
/// A write that throws is rolled back alone and its caller gets the error; the others commit together (the batch
/// first runs without savepoints; if a write throws, the batch is rolled back and runs again with a savepoint per
/// write, so a write's body may run twice and must not have effects outside the database). A caller's `write` returns only after the batch
/// has committed (WAL, `synchronous=FULL`), so an acknowledged write is durable. Writes of one batch run in
/// arrival order on one serial queue, which also keeps the audit chain single-writer.
public final class GroupCommitWriter: Sendable {
    private let database: StrongroomDatabase
    private let maximumBatch: Int
    private let gatherMicroseconds: UInt32
    private let queue = DispatchQueue(label: "strongroom.group-commit")
    private let state = Mutex(State())
    /// The writer's automatic checkpoint threshold while the background checkpointer runs (SQLite's default: 1,000).
    static let automaticCheckpointPages = 4096

    /// Copies the WAL back off the commit path (`nil` if its connection could not be opened: SQLite's automatic
    /// checkpoint stays on then).
    let checkpointer: WALCheckpointer?

    private let pending = PendingBatches<Job>()

    private struct State {
        var batches = 0
        var writes = 0
        var lastBatchSize = 0
    }

    private struct Job: Sendable {
        let run: @Sendable (Database) throws -> Void
        let finish: @Sendable ((any Error)?) -> Void
    }

    /// - Parameter maximumBatch: the most writes one transaction takes.
    /// - Parameter gatherMicroseconds: how long the writer waits for more writes when commits are being shared.
    /// - Parameter checkpointing: ``WALCheckpointing/background`` in service; tests that must see every byte ever
    ///   written (the canary tests) keep every WAL frame.
    public init(
        database: StrongroomDatabase, maximumBatch: Int = 256, gatherMicroseconds: UInt32 = 200,
        checkpointing: WALCheckpointing = .background
    ) {
        self.database = database
        self.maximumBatch = maximumBatch
        self.gatherMicroseconds = gatherMicroseconds
        if checkpointing == .keepEveryFrame {
            // No background checkpointer and no automatic checkpoint: the WAL never starts over, so every frame
            // written stays in it until someone checkpoints by hand.
            try? database.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
            self.checkpointer = nil
            return
        }
        var checkpointer: WALCheckpointer?
        do {
            checkpointer = try WALCheckpointer(path: database.path)
            try database.pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Self.automaticCheckpointPages)")
            }
        } catch {
            checkpointer = nil
        }
        self.checkpointer = checkpointer
    }

    /// Runs `body` in a shared write transaction and returns once that transaction has committed.
    ///
    /// - Throws: what `body` throws (its changes are rolled back), or the commit's error (nothing was written).
    @discardableResult
    public func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let box = ResultBox<T>()
            enqueue({ db in box.value = try body(db) }, completion: { error in
                if let error {
                    continuation.resume(throwing: error)
                } else if let value = box.value {
                    continuation.resume(returning: value)
                } else {
                    continuation.resume(throwing: StorageError.corrupt("a grouped write finished without a result"))
                }
            })
        }
    }

    /// Queues `body` for the next shared transaction without waiting: `completion` runs on the writer's queue once
    /// that transaction has committed (`nil`: durable) or with the error that lost the write (nothing of it was
    /// kept). For a stage that hands its result straight to the writer (the group reader), saving a trip back to the
    /// caller's task in between. `completion` must not block.
    public func enqueue(_ body: @escaping @Sendable (Database) throws -> Void, completion: @escaping @Sendable ((any Error)?) -> Void) {
        if pending.add(Job(run: body, finish: completion)) { queue.async { self.drain() } }
    }

    /// How many transactions and writes have committed (for benchmarks and tests).
    public var statistics: (batches: Int, writes: Int) { state.withLock { ($0.batches, $0.writes) } }

    private func drain() {
        while true {
            // When the previous commit was shared (writers are arriving concurrently) but few are waiting now, give
            // the others a moment to arrive: one fsync then covers many writes. A lone writer never waits.
            let lastBatch = state.withLock { $0.lastBatchSize }
            if lastBatch > 1 && pending.count < min(lastBatch, maximumBatch) {
                usleep(gatherMicroseconds)
            }
            let batch = pending.take(upTo: maximumBatch)
            if batch.isEmpty { return }
            state.withLock { $0.lastBatchSize = batch.count }
            commit(batch)
        }
    }

    private func commit(_ batch: [Job]) {
        // Fast path: the whole batch in one transaction without per-write savepoints (two statements fewer per
        // write). Writes almost never fail; when one does, the transaction is rolled back — nothing of the batch is
        // kept — and the batch runs again with a savepoint per write, so only the failing write is lost.
        if batch.count > 1 {
            let committed: Bool
            do {
                committed = try database.pool.writeWithoutTransaction { db -> Bool in
                    var failed = false
                    try db.inTransaction(.immediate) {
                        for job in batch {
                            do {
                                try job.run(db)
                            } catch {
                                failed = true
                                return .rollback
                            }
                        }
                        return .commit
                    }
                    return !failed
                }
            } catch {
                for job in batch { job.finish(error) }
                return
            }
            if committed {
                record(batch.count)
                for job in batch { job.finish(nil) }
                return
            }
        }
        var outcomes = [(any Error)?](repeating: nil, count: batch.count)
        do {
            try database.pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    for (index, job) in batch.enumerated() {
                        try db.inSavepoint {
                            do {
                                try job.run(db)
                                return .commit
                            } catch {
                                outcomes[index] = error
                                return .rollback
                            }
                        }
                    }
                    return .commit
                }
            }
            record(batch.count)
            for (job, outcome) in zip(batch, outcomes) { job.finish(outcome) }
        } catch {
            for job in batch { job.finish(error) }
        }
    }

    private func record(_ writes: Int) {
        state.withLock {
            $0.batches += 1
            $0.writes += writes
        }
        checkpointer?.kick()
    }
}

/// Carries one write's result from the writer queue to its caller.
private final class ResultBox<T>: @unchecked Sendable {
    // @unchecked Sendable: written once on the writer queue before `finish` reads it on the same queue.
    var value: T?
}

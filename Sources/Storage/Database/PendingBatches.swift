import Synchronization

/// The jobs waiting for a single-threaded stage that works in batches (the group committer, the group reader), and
/// whether that stage is draining them.
///
/// ```swift
/// if pending.add(job) { queue.async { drain() } }      // the first job in starts the drain
/// while case let batch = pending.take(upTo: 128), !batch.isEmpty { run(batch) }
/// ```
final class PendingBatches<Job: Sendable>: Sendable {
    private let state = Mutex<(jobs: [Job], draining: Bool)>(([], false))

    /// Queues `job`.
    ///
    /// - Returns: `true` when no drain is running: the caller must start one.
    func add(_ job: Job) -> Bool {
        state.withLock { state in
            state.jobs.append(job)
            if state.draining { return false }
            state.draining = true
            return true
        }
    }

    /// How many jobs are waiting.
    var count: Int { state.withLock { $0.jobs.count } }

    /// Up to `maximum` of the oldest jobs, in arrival order. When none are left the drain is over: it returns an
    /// empty array, and the next ``add(_:)`` starts a new drain.
    func take(upTo maximum: Int) -> [Job] {
        state.withLock { state in
            if state.jobs.isEmpty {
                state.draining = false
                return []
            }
            let taken = Array(state.jobs.prefix(maximum))
            state.jobs.removeFirst(taken.count)
            return taken
        }
    }
}

import AuditLog
import Logging
import ServiceLifecycle
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The installation's rewrap job: ``Rewrap/run(batchSize:caller:requestID:progress:afterBatch:)`` in the background.
/// Stopping it cancels after the batch in hand (writes already handed to the writer commit whole), and the data keeps
/// its progress, so a stopped rewrap is resumed by starting it again.
public typealias RewrapJob = BackgroundJob<Rewrap.Report>

/// The installation's audit verification job: ``AuditVerifier`` over the live log in the background, for the
/// auditor's screen (a log of millions of entries takes seconds; the page shows its progress).
public typealias AuditVerificationJob = BackgroundJob<VerificationReport>

/// One long-running operation of the installation in the background: started from the staff pages (or the API),
/// watched through ``progress``, stopped cleanly on shutdown. One run at a time per job; a start while one runs is
/// refused. The progress holds counts, times and a role name — never a value.
public final class BackgroundJob<Report: Sendable>: Sendable {
    /// What the page shows about the current or last run of this process.
    public struct Progress: Sendable {
        public enum Outcome: Sendable {
            case running
            case finished(Report)
            /// Ended by an error; the reason is in the server log, and the person is told in plain words.
            case failed
            /// Stopped because the server shut down (start it again to resume).
            case stopped
        }

        public let startedAt: Date
        /// The role(s) of the person who started it (no account id: the audit log has it).
        public let startedByRole: String
        /// Rows done (fields and blind indexes), of `planned`.
        public var done: Int
        public var planned: Int
        public var outcome: Outcome
        public var finishedAt: Date?

        public var isRunning: Bool { if case .running = outcome { true } else { false } }
    }

    private struct State {
        var progress: Progress?
        var task: Task<Void, Never>?
        var closed = false
    }

    private let state = Mutex(State())
    private let clock: any ServiceClock
    private let logger: Logger
    /// What the job does, for the log (`rewrap`, `audit verification`) and its refusals.
    let name: String

    init(name: String, clock: any ServiceClock, logger: Logger) {
        self.name = name
        self.clock = clock
        self.logger = logger
    }

    /// The current run, or the last one since the installation opened (`nil`: none).
    public var progress: Progress? { state.withLock { $0.progress } }

    /// Starts `work` in the background unless a run is in progress or the installation is shutting down.
    ///
    /// - Parameter work: the run; it reports (rows done, rows planned) through the closure it is given.
    /// - Throws: `conflict` `rewrap_running` while a run is in progress; `unavailable` after ``stop()``.
    func start(
        role: String, planned: Int, onEnd: @escaping @Sendable (Progress) async -> Void = { _ in },
        _ work: @escaping @Sendable (_ report: @escaping @Sendable (Int, Int) -> Void) async throws -> Report
    ) throws -> Progress {
        let clock = self.clock, logger = self.logger, name = self.name
        return try state.withLock { state in
            if state.closed {
                throw StrongroomError(.unavailable, code: "shutting_down", message: "the server is shutting down; start the \(name) again after it restarts")
            }
            if state.progress?.isRunning == true {
                throw StrongroomError.conflict(
                    name == "rewrap" ? "rewrap_running" : "job_running",
                    name == "rewrap" ? "a rewrap is already running; wait for it to finish, then start another if keys were rotated meanwhile"
                        : "the \(name) is already running; wait for it to finish")
            }
            let progress = Progress(startedAt: clock.now, startedByRole: role, done: 0, planned: planned, outcome: .running)
            state.progress = progress
            state.task = Task { [self] in
                let outcome: Progress.Outcome
                do {
                    let report = try await work { done, planned in self.advance(done: done, planned: planned) }
                    outcome = .finished(report)
                } catch {
                    if Task.isCancelled || error is CancellationError {
                        outcome = .stopped
                    } else {
                        // The type only: an error's message may name rows or versions, and the log is no place for more.
                        logger.error("\(name) failed", metadata: ["type": .string(String(reflecting: type(of: error)))])
                        outcome = .failed
                    }
                }
                let ended = self.end(outcome)
                if let ended { await onEnd(ended) }
            }
            return progress
        }
    }

    private func advance(done: Int, planned: Int) {
        state.withLock { state in
            guard state.progress?.isRunning == true else { return }
            state.progress?.done = done
            state.progress?.planned = max(planned, done)
        }
    }

    private func end(_ outcome: Progress.Outcome) -> Progress? {
        let now = clock.now
        return state.withLock { state in
            guard var progress = state.progress else { return nil }
            progress.outcome = outcome
            progress.finishedAt = now
            if case .finished = outcome { progress.done = max(progress.done, progress.planned) }
            state.progress = progress
            state.task = nil
            return progress
        }
    }

    /// Waits until the current run (if any) has ended.
    public func waitUntilIdle() async {
        let task = state.withLock { $0.task }
        await task?.value
    }

    /// Refuses new runs, stops the current one after the batch in hand, and waits for it to end.
    public func stop() async {
        let task = state.withLock { state -> Task<Void, Never>? in
            state.closed = true
            return state.task
        }
        task?.cancel()
        await task?.value
    }
}

extension BackgroundJob.Progress: Equatable where Report: Equatable {}
extension BackgroundJob.Progress.Outcome: Equatable where Report: Equatable {}

/// Stops the installation's background jobs when the server shuts down, so that a rewrap's last batch commits whole
/// before the process exits (a service of `serve`, beside the checkpoint and retention services).
public struct BackgroundJobService: Service {
    let installation: Installation

    public init(installation: Installation) { self.installation = installation }

    public func run() async throws {
        // Returns when graceful shutdown begins, or throws when the group is cancelled: stop in both cases.
        try? await gracefulShutdown()
        async let rewrap: Void = installation.rewrapJob.stop()
        async let verification: Void = installation.verificationJob.stop()
        _ = await (rewrap, verification)
    }
}

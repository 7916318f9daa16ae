import AuditLog
import Dispatch
import Logging
import ServiceLifecycle
import Storage

/// Signs an audit checkpoint every N entries or T seconds (whichever comes first), for as long as the server runs,
/// and once more at shutdown.
public struct CheckpointService: Service {
    let installation: Installation
    let logger: Logger

    public init(installation: Installation, logger: Logger) {
        self.installation = installation
        self.logger = logger
    }

    public func run() async throws {
        let configuration = installation.configuration
        let policy = AuditCheckpointPolicy(
            everyEntries: UInt64(configuration.checkpointEveryEntries), every: .seconds(configuration.checkpointEverySeconds))
        // Every second: the entries appended since are re-hashed against the signer's anchor (so a rewrite of
        // entries the signer has not seen yet has at most about a second to happen), and a checkpoint is signed
        // when one is due.
        let tick = Duration.seconds(1)
        while !Task.isCancelledOrShuttingDown {
            await sleepUnlessShuttingDown(for: tick)
            await checkpoint(policy: policy)
        }
        await checkpoint(policy: AuditCheckpointPolicy(everyEntries: 1, every: nil))
    }

    func checkpoint(policy: AuditCheckpointPolicy) async {
        let checkpoints = installation.checkpoints
        do {
            // The expensive part — re-hashing the entries added since the last check — on a read snapshot, off the
            // writer; the write transaction then only checks the few entries appended in between.
            try await verifyCommittedLog()
            let signed = try await installation.writer.write { db -> Bool in
                // `nil` either when nothing is due or when the key in force (after a handover) is not here yet.
                try checkpoints.checkpoint(in: db, ifDue: policy) != nil
            }
            _ = signed
        } catch let error as StorageError where error == .auditLockedCode {
            // Already logged (critical) and alarmed by the signer; nothing more is signed.
        } catch {
            logger.error("audit checkpoint failed", metadata: ["error": .string(String(describing: type(of: error)))])
        }
    }

    /// Runs the signer's consistency proof on a dispatch thread: it reads the pool synchronously, which must not
    /// happen on the cooperative pool.
    private func verifyCommittedLog() async throws {
        let checkpoints = installation.checkpoints, pool = installation.database.pool
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            DispatchQueue.global(qos: .utility).async {
                do {
                    try checkpoints.verifyCommittedLog(reader: pool)
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}

extension Task where Success == Never, Failure == Never {
    static var isCancelledOrShuttingDown: Bool { Task.isCancelled || Task.isShuttingDownGracefully }
}

/// Sleeps for `duration`, or returns as soon as graceful shutdown begins (SIGTERM/SIGINT), so that a timer service
/// sleeping for hours does not hold the server's shutdown.
func sleepUnlessShuttingDown(for duration: Duration) async {
    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
}

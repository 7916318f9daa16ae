import Logging
import ServiceLifecycle

/// Writes the refusal counts of closed windows (``RefusalLog``) about once a second while the server runs, and every
/// open window at shutdown. List it after ``CheckpointService``: services stop in reverse order, so the counts are in
/// the log before the final checkpoint signs it.
public struct RefusalLogService: Service {
    let installation: Installation
    let logger: Logger

    public init(installation: Installation, logger: Logger) {
        self.installation = installation
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            await sleepUnlessShuttingDown(for: .seconds(1))
            do {
                try await installation.refusals.flush()
            } catch {
                logger.error("writing refusal counts failed; they are kept for the next try", metadata: ["error": .string(String(describing: type(of: error)))])
            }
        }
        do {
            try await installation.refusals.flush(all: true)
        } catch {
            logger.error("writing refusal counts at shutdown failed", metadata: ["error": .string(String(describing: type(of: error)))])
        }
    }
}

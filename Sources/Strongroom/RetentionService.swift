import Logging
import ServiceLifecycle

/// Runs the retention sweep (expired request fields, due erasure requests) on a timer while the server runs.
public struct RetentionService: Service {
    let installation: Installation
    let logger: Logger

    public init(installation: Installation, logger: Logger) {
        self.installation = installation
        self.logger = logger
    }

    public func run() async throws {
        let interval = Duration.seconds(max(60, installation.configuration.retentionSweepSeconds))
        while !Task.isCancelledOrShuttingDown {
            do {
                let receipts = try await installation.records.runRetention(
                    signReceipt: true)
                let keys = receipts.map(\.keysDestroyed).reduce(0, +)
                if keys > 0 { logger.notice("retention sweep", metadata: ["keys_destroyed": .stringConvertible(keys)]) }
                let purged = try await installation.accounts.purgeEndedSessions()
                if purged > 0 { logger.info("ended sessions purged", metadata: ["sessions": .stringConvertible(purged)]) }
            } catch {
                logger.error("retention sweep failed", metadata: ["error": .string(String(describing: type(of: error)))])
            }
            await sleepUnlessShuttingDown(for: interval)
        }
    }
}

import Logging
import ServiceLifecycle

/// Submits the newest signed checkpoint to the configured witnesses every few seconds, for as long as the server
/// runs (each witness backs off on its own when it is unreachable or refuses), and once more at shutdown.
public struct CosignatureService: Service {
    let submitter: WitnessSubmitter
    let interval: Duration

    public init(submitter: WitnessSubmitter, interval: Duration = .seconds(2)) {
        self.submitter = submitter
        self.interval = interval
    }

    public func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            await sleepUnlessShuttingDown(for: interval)
            await submitter.submitLatest()
        }
    }
}

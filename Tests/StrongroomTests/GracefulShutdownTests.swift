import Logging
import ServiceLifecycle
import Strongroom
import Testing

/// The server's timer services sleep for minutes or hours; graceful shutdown (SIGTERM) must not wait for them.
@Suite struct GracefulShutdownTests {
    @Test func timerServicesReturnPromptlyOnGracefulShutdown() async throws {
        let fixture = try InstallationFixture { $0.retentionSweepSeconds = 3600 }
        let logger = Logger(label: "test")
        let group = ServiceGroup(
            services: [
                CheckpointService(installation: fixture.installation, logger: logger),
                RefusalLogService(installation: fixture.installation, logger: logger),
                RetentionService(installation: fixture.installation, logger: logger),
                KeyAgeService(installation: fixture.installation, logger: logger),
                PolicyReloadService(installation: fixture.installation, logger: logger),
            ],
            gracefulShutdownSignals: [], cancellationSignals: [], logger: logger)
        let stopped = await withTaskGroup(of: Bool.self) { tasks in
            tasks.addTask {
                // A service that fails to start (or throws on the way out) is a failure, not a prompt return.
                do {
                    try await group.run()
                } catch {
                    Issue.record("the service group failed instead of shutting down gracefully: \(error)")
                }
                return true
            }
            tasks.addTask {
                try? await Task.sleep(for: .milliseconds(300))
                await group.triggerGracefulShutdown()
                // A generous bound, only so that a regression fails instead of hanging the suite: a loaded machine can
                // take a minute to run a shutdown, while a service that ignored it would sleep for an hour at least
                // (retention sweeps at least every 60 s, here 3600; key ages every 6 h; policy reloads on SIGHUP only).
                try? await Task.sleep(for: .seconds(300))
                return false
            }
            let first = await tasks.next() ?? false
            tasks.cancelAll()
            return first
        }
        #expect(stopped, "the services did not return after graceful shutdown")
    }
}

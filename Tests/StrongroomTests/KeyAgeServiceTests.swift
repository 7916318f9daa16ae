import Foundation
import Keyring
import Logging
import Strongroom
import Testing

@Suite("Overdue keys while the server runs")
struct KeyAgeServiceTests {
    @Test("keys in use for longer than the maximum age are named; decrypt-only and young keys are not")
    func overdueWarnings() {
        let now = Date()
        let warnings = KeyAgeService.overdueWarnings([
            KeyStatus(id: .records, version: 1, createdAt: now.addingTimeInterval(-900 * 86_400), state: .decryptOnly),
            KeyStatus(id: .records, version: 2, createdAt: now.addingTimeInterval(-366 * 86_400), state: .active),
            KeyStatus(id: .index, version: 1, createdAt: now.addingTimeInterval(-10 * 86_400), state: .active),
        ], maximumDays: 365, now: now)
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("records v2 is older than 365 days") == true)
        #expect(warnings.first?.contains("keys rotate --data records") == true)
    }

    @Test("the running service logs a warning for an overdue key", .timeLimit(.minutes(5)))
    func serviceLogsWarning() async throws {
        let fixture = try InstallationFixture { $0.maximumKeyAgeDays = 0 }
        let (lines, line) = AsyncStream.makeStream(of: String.self)
        let logger = Logger(label: "key-age") { _ in StreamingLogHandler(sink: line) }
        let service = KeyAgeService(installation: fixture.installation, logger: logger, interval: .milliseconds(20))
        let running = Task { try await service.run() }
        defer { running.cancel() }
        // Waits for the line itself, not for a time: a loaded machine can hold the service back for a long while.
        // The time limit only keeps a regression from hanging the suite.
        let warned = await lines.contains { $0.hasPrefix("warning") && $0.contains("key records v1 is older than 0 days") }
        #expect(warned)
    }
}

/// Hands each line the service logs to the test as it is logged.
struct StreamingLogHandler: LogHandler {
    let sink: AsyncStream<String>.Continuation
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) { sink.yield("\(event.level) \(event.message)") }
}

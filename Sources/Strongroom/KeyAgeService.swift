import Keyring
import Logging
import ServiceLifecycle

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Logs a warning, while the server runs, for every key in use longer than the configured maximum age
/// (``StrongroomConfiguration/maximumKeyAgeDays``): a key can become overdue long after the server started.
///
/// The server also checks once at start; this service checks again every ``interval``, after looking at the key
/// ring on disk (a rotation made by the CLI clears the warning).
public struct KeyAgeService: Service {
    let installation: Installation
    let logger: Logger
    let interval: Duration

    public init(installation: Installation, logger: Logger, interval: Duration = .seconds(6 * 3600)) {
        self.installation = installation
        self.logger = logger
        self.interval = interval
    }

    /// The warnings for keys in use (new seals use them) for longer than `maximumDays`. Never key bytes.
    public static func overdueWarnings(_ statuses: [KeyStatus], maximumDays: Int, now: Date = Date()) -> [String] {
        statuses.filter { KeyInventory.isOverdue(since: $0.createdAt, active: $0.state == .active, maximumAgeDays: maximumDays, now: now) }.map {
            "key \($0.id) v\($0.version) is older than \(maximumDays) days; rotate it with `strongroom keys rotate --data \($0.id)`"
        }
    }

    /// Overdue data keys, and the root and audit signing keys by the dates the audit log gives them.
    public static func allOverdueWarnings(_ installation: Installation, now: Date = Date()) async -> [String] {
        let maximumDays = installation.configuration.maximumKeyAgeDays
        var warnings = overdueWarnings(installation.keyring.status(), maximumDays: maximumDays, now: now)
        let store = installation.auditStore
        if let dates = try? await installation.database.read({ db in try KeyInstallDates.read(from: store, in: db) }) {
            warnings += dates.overdueWarnings(maximumDays: maximumDays, now: now)
        }
        return warnings
    }

    public func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            await sleepUnlessShuttingDown(for: interval)
            if Task.isCancelledOrShuttingDown { break }
            installation.keyring.refreshIfChanged()
            for warning in await Self.allOverdueWarnings(installation) { logger.warning("\(warning)") }
        }
    }
}

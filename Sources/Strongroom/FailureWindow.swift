#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// Counts failures per key (a client address, or a login that has no account) in a sliding window, in memory.
///
/// The per-login delays live elsewhere (``SignInDelay``: in the database for real accounts, in memory for logins
/// without one); this in-memory count is per node: the first line against spraying many accounts from one address,
/// and the sign-up throttle.
final class FailureWindow: Sendable {
    private let limit: Int
    private let window: Double
    private let maximumKeys: Int
    private let failures = Mutex<[String: [Date]]>([:])

    /// - Parameter maximumKeys: the most keys kept; past it, expired keys go first, then those whose last failure
    ///   is oldest, so a flood of distinct addresses or logins cannot grow memory without bound.
    init(limit: Int, window: Double, maximumKeys: Int = 100_000) {
        self.limit = max(1, limit)
        self.window = window
        self.maximumKeys = max(1, maximumKeys)
    }

    func isBlocked(_ key: String, now: Date) -> Bool {
        failures.withLock { table in
            let recent = (table[key] ?? []).filter { now.timeIntervalSince($0) < window }
            table[key] = recent.isEmpty ? nil : recent
            return recent.count >= limit
        }
    }

    /// Seconds until `key` is no longer blocked (0 when it is not).
    func secondsUntilOpen(_ key: String, now: Date) -> Double {
        failures.withLock { table in
            let recent = (table[key] ?? []).filter { now.timeIntervalSince($0) < window }
            guard recent.count >= limit else { return 0 }
            // Open again once enough of the newest `limit` failures have left the window to fall below the limit.
            let deciding = recent[recent.count - limit]
            return max(0, deciding.addingTimeInterval(window).timeIntervalSince(now))
        }
    }

    func recordFailure(_ key: String, now: Date) {
        failures.withLock { table in
            var recent = (table[key] ?? []).filter { now.timeIntervalSince($0) < window }
            recent.append(now)
            // Only the newest `limit` failures decide whether the key is blocked: keep no more per key.
            if recent.count > limit { recent.removeFirst(recent.count - limit) }
            table[key] = recent
            if table.count > maximumKeys {
                table = table.filter { !$0.value.isEmpty && now.timeIntervalSince($0.value.last!) < window }
            }
            if table.count > maximumKeys {
                // Still too many live keys: drop the quarter whose last failure is oldest (amortised, not per call).
                let keep = maximumKeys * 3 / 4
                let newest = table.sorted { $0.value.last! > $1.value.last! }.prefix(keep)
                table = Dictionary(uniqueKeysWithValues: newest.map { ($0.key, $0.value) })
            }
        }
    }

    /// How many keys and timestamps are held (tests).
    var footprint: (keys: Int, timestamps: Int) {
        failures.withLock { table in (table.count, table.values.reduce(0) { $0 + $1.count }) }
    }
}

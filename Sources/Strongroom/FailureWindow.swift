#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// Counts failures per key (a client address, or a login that has no account) in a sliding window, in memory.
///
/// Per-account lockout of real accounts lives in the database (it must survive restarts); this in-memory count is
/// per node: the first line against spraying many accounts from one address, and the stand-in lockout for logins
/// without an account, so that those look the same as real ones.
final class FailureWindow: Sendable {
    private let limit: Int
    private let window: Double
    private let failures = Mutex<[String: [Date]]>([:])

    init(limit: Int, window: Double) {
        self.limit = limit
        self.window = window
    }

    func isBlocked(_ key: String, now: Date) -> Bool {
        failures.withLock { table in
            let recent = (table[key] ?? []).filter { now.timeIntervalSince($0) < window }
            table[key] = recent.isEmpty ? nil : recent
            return recent.count >= limit
        }
    }

    func recordFailure(_ key: String, now: Date) {
        failures.withLock { table in
            var recent = (table[key] ?? []).filter { now.timeIntervalSince($0) < window }
            recent.append(now)
            table[key] = recent
            if table.count > 100_000 {
                table = table.filter { !$0.value.isEmpty && now.timeIntervalSince($0.value.last!) < window }
            }
        }
    }
}

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// Counts failed sign-ins per client address in a sliding window, in memory.
///
/// Per-account lockout lives in the database (it must survive restarts); per-address counting is a first line
/// against spraying many accounts from one address and is per node.
final class AddressThrottle: Sendable {
    private let limit: Int
    private let window: Double
    private let failures = Mutex<[String: [Date]]>([:])

    init(limit: Int, window: Double) {
        self.limit = limit
        self.window = window
    }

    func isBlocked(_ address: String, now: Date) -> Bool {
        failures.withLock { table in
            let recent = (table[address] ?? []).filter { now.timeIntervalSince($0) < window }
            table[address] = recent.isEmpty ? nil : recent
            return recent.count >= limit
        }
    }

    func recordFailure(_ address: String, now: Date) {
        failures.withLock { table in
            var recent = (table[address] ?? []).filter { now.timeIntervalSince($0) < window }
            recent.append(now)
            table[address] = recent
            if table.count > 100_000 {
                table = table.filter { !$0.value.isEmpty && now.timeIntervalSince($0.value.last!) < window }
            }
        }
    }
}

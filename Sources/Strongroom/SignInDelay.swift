#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// Progressive delays on one login: the answer to repeated failures, instead of a lockout that anyone who knows a
/// login could trigger at will.
///
/// The first ``freeFailures`` failures in a row cost nothing but their answer. The next one makes the login wait
/// ``base`` seconds before another attempt is considered, and each further failure doubles the wait, up to ``cap``.
/// A login whose last failure is ``memory`` seconds old starts again from zero; a successful sign-in resets it.
///
/// The same arithmetic runs on a real account's counters (in the database, so restarts do not reset them) and, in
/// memory, on logins that have no account (``UnknownLoginDelays``), so a wait never tells whether a login exists.
struct SignInDelay: Sendable, Equatable {
    let freeFailures: Int
    let base: Double
    let cap: Double
    let memory: Double

    init(freeFailures: Int, base: Double, cap: Double, memory: Double) {
        self.freeFailures = max(1, freeFailures)
        self.base = max(0.001, base)
        self.cap = max(self.base, cap)
        self.memory = max(self.cap, memory)
    }

    init(_ configuration: StrongroomConfiguration) {
        self.init(
            freeFailures: configuration.loginFailureLimit, base: configuration.loginDelayBaseSeconds, cap: configuration.loginDelayCapSeconds,
            memory: configuration.loginFailureMemorySeconds)
    }

    /// The wait, in seconds, after `failures` failures in a row: 0 before ``freeFailures``, then base, 2·base, 4·base… ≤ cap.
    func wait(afterFailures failures: Int) -> Double {
        guard failures >= freeFailures else { return 0 }
        let doublings = min(failures - freeFailures, 62)
        return min(cap, base * Double(UInt64(1) << UInt64(doublings)))
    }

    /// The failures in a row counted so far, given those stored and when the last one was: zero once it is forgotten.
    func current(_ stored: Int, lastFailure: Date?, now: Date) -> Int {
        guard let lastFailure, now.timeIntervalSince(lastFailure) < memory else { return 0 }
        return stored
    }

    /// When the next attempt is considered, or `nil` when it may be made now.
    func waitingUntil(failures stored: Int, lastFailure: Date?, now: Date) -> Date? {
        let failures = current(stored, lastFailure: lastFailure, now: now)
        guard let lastFailure, failures >= freeFailures else { return nil }
        let until = lastFailure.addingTimeInterval(wait(afterFailures: failures))
        return until > now ? until : nil
    }
}

/// ``SignInDelay`` for logins without an account, in memory and bounded, so that they wait exactly as real ones do.
final class UnknownLoginDelays: Sendable {
    private let delay: SignInDelay
    private let maximumKeys: Int
    private let failures = Mutex<[String: (count: Int, last: Date)]>([:])

    init(_ delay: SignInDelay, maximumKeys: Int = 100_000) {
        self.delay = delay
        self.maximumKeys = max(1, maximumKeys)
    }

    func waitingUntil(_ key: String, now: Date) -> Date? {
        failures.withLock { table in
            guard let entry = table[key] else { return nil }
            return delay.waitingUntil(failures: entry.count, lastFailure: entry.last, now: now)
        }
    }

    /// Counts a failure; returns when the next attempt is considered (`nil`: at once).
    @discardableResult
    func recordFailure(_ key: String, now: Date) -> Date? {
        failures.withLock { table in
            let entry = table[key]
            let count = delay.current(entry?.count ?? 0, lastFailure: entry?.last, now: now) + 1
            table[key] = (count, now)
            if table.count > maximumKeys {
                table = table.filter { now.timeIntervalSince($0.value.last) < delay.memory }
            }
            if table.count > maximumKeys {
                // Still too many live keys: keep the three quarters with the newest failures (amortised, not per call).
                let newest = table.sorted { $0.value.last > $1.value.last }.prefix(maximumKeys * 3 / 4)
                table = Dictionary(uniqueKeysWithValues: newest.map { ($0.key, $0.value) })
            }
            return delay.waitingUntil(failures: count, lastFailure: now, now: now)
        }
    }

    /// How many keys are held (tests).
    var footprint: Int { failures.withLock { $0.count } }
}

extension SignInDelay {
    /// When a real account's next attempt is considered (from its counters), or `nil` when at once.
    func waitingUntil(row: AccountRow, now: Date) -> Date? {
        waitingUntil(failures: row.failedLogins, lastFailure: row.lastFailedLoginAt > 0 ? Date(millis: row.lastFailedLoginAt) : nil, now: now)
    }
}

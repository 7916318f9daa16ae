import AuditLog
import GRDB
import Storage
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The audit log's record of refused requests that nobody authenticated: failed and throttled sign-ins, forged payment
/// callbacks. Anyone on the network can send those, so one entry per request would let them grow the append-only log
/// without bound (and bury the entries that matter).
///
/// Refusals are grouped by everything their entry says except the request id (action, actor, target, reason — the
/// callers put no raw login or address in these entries: an account's pseudonymous id at most). Per group and
/// window (``StrongroomConfiguration/refusalWindowSeconds``):
///
/// - the **first** refusal is written at once, with `count` 1. It is the one fact a crash must not lose: that an
///   attack or a burst of failures began, and against which account. One entry per group and window keeps the log
///   bounded all the same;
/// - the **repeats** are counted in memory and written as one entry (`count` N, `aggregated`, the window's start and
///   end) when the window has closed — at the next refusal of any kind after it, by ``RefusalLogService`` within about
///   a second, or at shutdown (``flush(all:)``).
///
/// The counts of all entries of a group add up to the refusals. What a crash (SIGKILL, power loss) can lose is the
/// count of the repeats of the windows still open, never a first refusal. The groups held in memory are bounded: past
/// ``maximumGroups`` every open window is written out early.
public final class RefusalLog: Sendable {
    let writer: GroupCommitWriter
    let audit: AuditTrail
    let clock: any ServiceClock
    /// The window length in seconds.
    let window: Double
    /// The most groups held in memory at once.
    let maximumGroups: Int

    private struct Pending: Sendable {
        var start: Date
        var repeats: Int
        var lastRequestID: String
    }

    private struct State: Sendable {
        var open: [AuditEntryDraft: Pending] = [:]
        /// After the shutdown flush: every refusal is written at once (the server is stopping; nothing would write it later).
        var stopped = false
    }

    private let state = Mutex(State())

    init(writer: GroupCommitWriter, audit: AuditTrail, clock: any ServiceClock, window: Double, maximumGroups: Int = 10_000) {
        self.writer = writer
        self.audit = audit
        self.clock = clock
        self.window = max(1, window)
        self.maximumGroups = max(1, maximumGroups)
    }

    /// Records one refusal: at once when it opens its group's window, else as a count written when the window closes.
    /// Windows of other groups that have closed are written in the same transaction.
    ///
    public func record(_ draft: AuditEntryDraft) async throws {
        _ = try await record(draft, alongside: { _ in true })
    }

    /// ``record(_:)`` with a write that commits in the same transaction as whatever is written now (for example a
    /// failure counter), or on its own when nothing is; returns what it returns.
    public func record<T: Sendable>(_ draft: AuditEntryDraft, alongside: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let now = clock.now
        var group = draft
        group.requestID = ""
        let window = self.window, maximumGroups = self.maximumGroups
        let (due, first) = state.withLock { state -> ([(AuditEntryDraft, Pending)], AuditEntryDraft?) in
            var due = Self.takeClosed(&state.open, now: now, window: window)
            var first = draft
            first.details["count"] = "1"
            if state.stopped { return (due, first) }
            if var pending = state.open[group] {
                pending.repeats += 1
                pending.lastRequestID = draft.requestID
                state.open[group] = pending
                return (due, nil)
            }
            state.open[group] = Pending(start: now, repeats: 0, lastRequestID: draft.requestID)
            if state.open.count > maximumGroups {
                // Too many groups at once: write every open window now rather than hold more in memory.
                due += state.open.filter { $0.value.repeats > 0 }.map { ($0.key, $0.value) }
                state.open = [group: Pending(start: now, repeats: 0, lastRequestID: draft.requestID)]
            }
            return (due, first)
        }
        return try await write(due, first: first, at: now, alongside: alongside)
    }

    /// Writes the windows that have closed; with `all`, every open window too and, from then on, each refusal at once
    /// (for shutdown). Returns how many refusals the written entries count.
    @discardableResult
    public func flush(all: Bool = false) async throws -> Int {
        let now = clock.now
        let window = self.window
        let due = state.withLock { state -> [(AuditEntryDraft, Pending)] in
            if all {
                state.stopped = true
                let every = state.open.filter { $0.value.repeats > 0 }.map { ($0.key, $0.value) }
                state.open = [:]
                return every
            }
            return Self.takeClosed(&state.open, now: now, window: window)
        }
        if !due.isEmpty { _ = try await write(due, first: nil, at: now, alongside: { _ in true }) }
        return due.reduce(0) { $0 + $1.1.repeats }
    }

    /// How many groups have a window open (tests).
    var openGroups: Int { state.withLock { $0.open.count } }

    /// Removes the windows that have closed; returns those with repeats to write.
    private static func takeClosed(
        _ open: inout [AuditEntryDraft: Pending], now: Date, window: Double
    ) -> [(AuditEntryDraft, Pending)] {
        var due: [(AuditEntryDraft, Pending)] = []
        for (group, pending) in open where now.timeIntervalSince(pending.start) >= window {
            open[group] = nil
            if pending.repeats > 0 { due.append((group, pending)) }
        }
        return due
    }

    private func write<T: Sendable>(
        _ due: [(AuditEntryDraft, Pending)], first: AuditEntryDraft?, at now: Date, alongside: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        let window = self.window
        let drafts = due.map { group, pending in
            var entry = group
            entry.requestID = bounded(pending.lastRequestID, 128)
            entry.details["count"] = String(pending.repeats)
            entry.details["aggregated"] = "true"
            entry.details["window_start"] = pending.start.formatted(.iso8601)
            entry.details["window_end"] = min(now, pending.start.addingTimeInterval(window)).formatted(.iso8601)
            return entry
        } + (first.map { [$0] } ?? [])
        let audit = self.audit
        do {
            return try await writer.write { db in
                let value = try alongside(db)
                for draft in drafts { try audit.record(draft, in: db) }
                return value
            }
        } catch {
            // Nothing was written: the counts go back (a lost first refusal as a repeat), to be written with the next flush.
            state.withLock { state in
                if let first {
                    var group = first
                    group.requestID = ""
                    group.details["count"] = nil
                    state.open[group, default: Pending(start: now, repeats: 0, lastRequestID: first.requestID)].repeats += 1
                }
                for (group, pending) in due {
                    if var current = state.open[group] {
                        current.repeats += pending.repeats
                        current.start = min(current.start, pending.start)
                        state.open[group] = current
                    } else {
                        state.open[group] = pending
                    }
                }
            }
            throw error
        }
    }
}

import AuditLog
import Foundation
import Logging
import ServiceLifecycle
import Strongroom
import Testing

/// Refusals of unauthenticated requests are counted per window, so that nobody can grow the audit log without bound.
@Suite struct RefusalLogTests {
    static let password = "correct horse battery staple"

    /// Entries of refused sign-ins, and the refusals they count.
    static func refusedSignIns(_ fixture: InstallationFixture) throws -> (entries: [AuditEntry], count: Int) {
        let entries = try fixture.auditEntries().filter { $0.action == "session.create" && $0.decision.effect == .deny }
        return (entries, entries.map { Int($0.details["count"] ?? "") ?? 0 }.reduce(0, +))
    }

    @Test func aThousandBadSignInsInAWindowAreABoundedNumberOfEntriesThatCountThemAll() async throws {
        let fixture = try InstallationFixture { $0.addressFailureLimit = 10_000 }
        try await fixture.accounts.signUp(login: "known@example.org", password: Self.password, context: fixture.access())
        let before = try fixture.auditEntries().count
        // 500 against one known login (most of them while it waits), 500 spraying as many unknown logins, each from an
        // address of its own.
        for n in 0..<1000 {
            let login = n % 2 == 0 ? "known@example.org" : "sprayed.\(n)@example.org"
            let error = await strongroomError {
                try await fixture.accounts.logIn(
                    login: login, password: "guess number \(n)", address: "10.\(n / 250).\(n % 250).1", context: fixture.access())
            }
            #expect(error == .badCredentials || error == .throttled)
        }
        // Within the window: a handful of entries, the first of each kind at once.
        let during = try Self.refusedSignIns(fixture)
        #expect(during.entries.count <= 4, "\(during.entries.map(\.details))")
        #expect(during.count < 1000)
        // The window closes (here: the server's shutdown writes what is still open).
        try await fixture.installation.refusals.flush(all: true)
        let after = try Self.refusedSignIns(fixture)
        #expect(after.entries.count <= 8, "\(after.entries.map(\.details))")
        #expect(after.count == 1000)
        #expect(try fixture.auditEntries().count - before == after.entries.count)
        // Every aggregate says what it counts and when.
        for entry in after.entries where entry.details["aggregated"] == "true" {
            #expect(entry.details["window_start"] != nil && entry.details["window_end"] != nil)
        }
        // Nothing personal: no login and no address in any entry, only the known account's pseudonymous id.
        for entry in after.entries {
            for text in ["known@example.org", "sprayed.", "example.org", "10.0.", "10.3."] {
                #expect(!entry.canonicalText.contains(text), "\(text) in \(entry.canonicalText)")
            }
            #expect(entry.actor.id == "anonymous" || entry.actor.id.hasPrefix("acc_"))
        }
        let report = AuditVerifier(trustedKeys: [fixture.installation.checkpointSigner.verifierKey]).verify(fixture.installation.auditStore)
        #expect(report.failure == nil, "\(report.render())")
    }

    @Test func aClosedWindowIsWrittenAtTheNextRefusalAndANewOneBegins() async throws {
        let fixture = try InstallationFixture { $0.refusalWindowSeconds = 60 }
        func fail(_ n: Int) async {
            _ = await strongroomError {
                try await fixture.accounts.logIn(login: "nobody@example.org", password: "guess \(n)", address: "192.0.2.\(n)", context: fixture.access())
            }
        }
        for n in 0..<4 { await fail(n) }
        #expect(try Self.refusedSignIns(fixture).count == 1, "the first at once, the repeats counted")
        fixture.clock.advance(by: 61)
        await fail(9)
        let entries = try Self.refusedSignIns(fixture).entries
        // The first of window one, its three repeats (written now, without any flush), and the first of window two.
        #expect(entries.map { $0.details["count"] } == ["1", "3", "1"])
        #expect(entries[1].details["aggregated"] == "true")
        // A flush before the new window closes writes nothing more; after it, nothing is left to write.
        #expect(try await fixture.installation.refusals.flush() == 0)
        fixture.clock.advance(by: 61)
        #expect(try await fixture.installation.refusals.flush() == 0, "the new window had no repeats")
    }

    @Test func forgedPaymentCallbacksAreCountedNotEachLogged() async throws {
        let fixture = try InstallationFixture()
        let before = try fixture.auditEntries().count
        for n in 0..<300 {
            let forged = PaymentEvent(
                eventID: "evt_\(n)", paymentID: "pay_\(n)", kind: .paid, amountMinor: 500, currency: "EUR", providerReference: "x", signature: "00")
            let error = await strongroomError { try await fixture.records.applyPaymentEvent(forged, requestID: "forged-\(n)") }
            #expect(error?.code == "invalid_signature")
        }
        try await fixture.installation.refusals.flush(all: true)
        let added = try fixture.auditEntries(after: before)
        #expect(added.count == 2 && added.allSatisfy { $0.action == "payment.event" && $0.decision.effect == .deny })
        #expect(added.map { Int($0.details["count"] ?? "") ?? 0 }.reduce(0, +) == 300)
        // The forger's ids are not in the log.
        for entry in added { #expect(!entry.canonicalText.contains("evt_") && !entry.canonicalText.contains("pay_")) }
    }

    @Test func theServiceWritesOpenWindowsAtShutdown() async throws {
        let fixture = try InstallationFixture()
        for n in 0..<5 {
            _ = await strongroomError {
                try await fixture.accounts.logIn(login: "nobody@example.org", password: "guess \(n)", address: "192.0.2.1", context: fixture.access())
            }
        }
        #expect(try Self.refusedSignIns(fixture).count == 1)
        let logger = Logger(label: "test")
        let group = ServiceGroup(
            services: [RefusalLogService(installation: fixture.installation, logger: logger)], gracefulShutdownSignals: [], cancellationSignals: [],
            logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Task.sleep(for: .milliseconds(200))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(try Self.refusedSignIns(fixture).count == 5)
        // After shutdown, a late refusal is written at once rather than held for a flush that will not come.
        _ = await strongroomError {
            try await fixture.accounts.logIn(login: "nobody@example.org", password: "late", address: "192.0.2.1", context: fixture.access())
        }
        #expect(try Self.refusedSignIns(fixture).count == 6)
    }

    @Test func eachAccountIsItsOwnGroupAndTheGroupsInMemoryAreBounded() async throws {
        func run(groups: Int) async throws -> (before: Int, after: Int, count: Int, actors: Set<String>, accounts: Set<String>) {
            let fixture = try InstallationFixture {
                $0.addressFailureLimit = 10_000
                $0.loginFailureLimit = 1000
                $0.refusalGroupsInMemory = groups
            }
            var accounts: Set<String> = []
            for n in 0..<3 { accounts.insert(try await fixture.citizen("holder\(n)@example.org").accountID) }
            for round in 0..<3 {
                for n in 0..<3 {
                    _ = await strongroomError {
                        try await fixture.accounts.logIn(
                            login: "holder\(n)@example.org", password: "guess \(round)", address: "192.0.2.\(n)", context: fixture.access())
                    }
                }
            }
            let before = try Self.refusedSignIns(fixture).entries.count
            try await fixture.installation.refusals.flush(all: true)
            let (entries, count) = try Self.refusedSignIns(fixture)
            return (before, entries.count, count, Set(entries.map(\.actor.id)), accounts)
        }
        // Room for every group: one first entry per account at once, one count per account at the end.
        let roomy = try await run(groups: 100)
        #expect(roomy.before == 3 && roomy.after == 6 && roomy.count == 9)
        #expect(roomy.actors == roomy.accounts)
        // Room for two: the third group writes the open windows out early and starts again; still every refusal counted.
        let tight = try await run(groups: 2)
        #expect(tight.before > 3)
        #expect(tight.count == 9)
        #expect(tight.actors == tight.accounts)
    }
}

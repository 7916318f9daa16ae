import AuditLog
import Foundation
import Storage
import Strongroom
import Testing
import TestSupport

@testable import StrongroomCLI

/// The root and audit signing keys have no date in their files; their ages come from the audit log.
@Suite("Root and audit signing key ages")
struct KeyInstallDatesTests {
    func dates(_ data: String) async throws -> KeyInstallDates {
        let reader = try StrongroomDatabase.openReadOnly(dataDirectory: data)
        let store = SQLiteAuditStore(reader: reader)
        return try await reader.read { db in try KeyInstallDates.read(from: store, in: db) }
    }

    /// Waits until the wall clock reads at least two milliseconds past `date`.
    static func clockPasses(_ date: Date) async -> Bool {
        await eventually(every: .milliseconds(1)) { Date().timeIntervalSince(date) >= 0.002 }
    }

    @Test("init dates both; each rotation moves only its own key's date; status flags them when old")
    func agesFollowRotations() async throws {
        let temp = TemporaryDirectory()
        let keys = temp.appending("Keys"), data = temp.appending("data")
        #expect(await run(["init", "--keys", keys, "--data", data]) == 0)
        let created = try await dates(data)
        let root = try #require(created.root)
        #expect(created.auditSigning == root)

        // The CLI dates entries by the wall clock in milliseconds: a rotation can only be seen to move a date once
        // the clock has moved on from the last one (waited for, not assumed after a fixed sleep).
        #expect(await Self.clockPasses(root))
        #expect(await run(["keys", "rotate", "--root", "--keys", keys, "--data-directory", data]) == 0)
        let afterRoot = try await dates(data)
        #expect(try #require(afterRoot.root) > root)
        #expect(afterRoot.auditSigning == root)

        #expect(await Self.clockPasses(try #require(afterRoot.root)))
        #expect(await run(["keys", "rotate", "--audit-signing", "--keys", keys, "--data-directory", data]) == 0)
        let afterAudit = try await dates(data)
        #expect(afterAudit.root == afterRoot.root)
        #expect(try #require(afterAudit.auditSigning) > root)

        // A year and a day later both are overdue, with the command that fixes each.
        let later = try #require(afterAudit.auditSigning).addingTimeInterval(366 * 86_400)
        let warnings = afterAudit.overdueWarnings(maximumDays: 365, now: later)
        #expect(warnings.count == 2)
        #expect(warnings.contains { $0.contains("keys rotate --root") } && warnings.contains { $0.contains("keys rotate --audit-signing") })
        #expect(afterAudit.overdueWarnings(maximumDays: 365, now: try #require(afterAudit.auditSigning)).isEmpty)

        let report = KeyStatusReport(statuses: [], directory: keys, maximumAgeDays: 365, installed: afterAudit, now: later)
        let text = report.render(json: false)
        #expect(text.contains("root") && text.contains("audit-signing") && text.contains("Overdue: rotate the root key"))
    }
}

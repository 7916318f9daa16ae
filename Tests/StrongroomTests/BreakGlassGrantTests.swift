import AuditLog
import Foundation
import GRDB
import Strongroom
import TestSupport
import Testing

/// Break-glass that a reviewer can judge: the justification is sealed and shown to the reviewer, and the rule's time
/// limit (`break-glass for 4h`) is a grant that expires.
@Suite struct BreakGlassGrantTests {
    static let justification = "Citizen phoned the north desk about an urgent unpaid benefit, ticket 4471"

    struct Scene {
        let fixture: InstallationFixture
        let request: String
        let other: String
        let supervisor: AuthenticatedCaller
        let auditor: AuthenticatedCaller
    }

    /// Two submitted requests of the central office; a supervisor of the north office (break-glass only) and an auditor.
    static func scene() async throws -> Scene {
        let fixture = try InstallationFixture()
        let owner = try await fixture.citizen("owner@example.org").caller
        var ids: [String] = []
        for _ in 0..<2 {
            ids.append(try await fixture.records.createRequest(
                serviceID: "benefit-application", values: ServiceSample.benefit, submit: true, caller: owner, access: fixture.access()).id)
        }
        let supervisor = try await fixture.staff("sup.north@agency.example", roles: ["supervisor"], office: "north")
        let auditor = try await fixture.staff("auditor@agency.example", roles: ["auditor"], office: nil)
        return Scene(fixture: fixture, request: ids[0], other: ids[1], supervisor: supervisor, auditor: auditor)
    }

    static func reads(_ fixture: InstallationFixture, after mark: Int, actor: String) throws -> [AuditEntry] {
        try fixture.auditEntries(after: mark).filter { $0.actor.id == actor && $0.action == "request.read" }
    }

    @Test func aJustifiedAccessOpensAGrantForTheRulesTimeLimitAndItExpires() async throws {
        let scene = try await Self.scene()
        let fixture = scene.fixture
        let mark = try fixture.auditEntries().count
        let opened = fixture.clock.now
        _ = try await fixture.records.request(
            scene.request, caller: scene.supervisor, access: fixture.access(purpose: "supervision", justification: Self.justification))
        let first = try #require(try Self.reads(fixture, after: mark, actor: scene.supervisor.accountID).last)
        #expect(first.decision == .allow(["supervisor-break-glass"]) && first.flags.contains(.breakGlass))
        let grant = try #require(first.details["grant"])
        #expect(first.details["grant_opened"] == "now")
        #expect(first.details["grant_expires_ms"] == String(Int64((opened.timeIntervalSince1970 * 1000).rounded()) + 4 * 3_600_000), "the rule says for 4h")

        // Within the limit, the same person reads the same record again without repeating the justification:
        // still break-glass (flagged, to review), and tied to the grant.
        fixture.clock.advance(by: 3 * 3600)
        _ = try await fixture.records.request(scene.request, caller: scene.supervisor, access: fixture.access(purpose: "supervision"))
        let second = try #require(try Self.reads(fixture, after: mark, actor: scene.supervisor.accountID).last)
        #expect(second.seq > first.seq && second.flags.contains(.breakGlass))
        #expect(second.details["grant"] == grant && second.details["grant_opened"] == "earlier")

        // The grant covers that record only.
        let elsewhere = await strongroomError {
            try await fixture.records.request(scene.other, caller: scene.supervisor, access: fixture.access(purpose: "supervision"))
        }
        #expect(elsewhere?.kind == .notFound)

        // Past the limit, the grant is worth nothing; a new justification opens a new grant.
        fixture.clock.advance(by: 3600 + 1)
        let expired = await strongroomError {
            try await fixture.records.request(scene.request, caller: scene.supervisor, access: fixture.access(purpose: "supervision"))
        }
        #expect(expired?.kind == .notFound)
        #expect(try Self.reads(fixture, after: mark, actor: scene.supervisor.accountID).last?.decision.effect == .deny)
        _ = try await fixture.records.request(
            scene.request, caller: scene.supervisor,
            access: fixture.access(purpose: "supervision", justification: "The citizen called back: the payment is still missing today"))
        let renewed = try #require(try Self.reads(fixture, after: mark, actor: scene.supervisor.accountID).last)
        #expect(renewed.details["grant"] != nil && renewed.details["grant"] != grant && renewed.details["grant_opened"] == "now")
    }

    @Test func aGrantIsOnePersonsAndAForgedOneIsRefusedWithTheAlarm() async throws {
        let scene = try await Self.scene()
        let fixture = scene.fixture
        _ = try await fixture.records.request(
            scene.request, caller: scene.supervisor, access: fixture.access(purpose: "supervision", justification: Self.justification))
        let colleague = try await fixture.staff("sup.north2@agency.example", roles: ["supervisor"], office: "north")
        let notMine = await strongroomError {
            try await fixture.records.request(scene.request, caller: colleague, access: fixture.access(purpose: "supervision"))
        }
        #expect(notMine?.kind == .notFound, "another person's grant does not stand in for a justification")

        // A database writer copies the grant for the colleague: its MAC does not match, so it grants nothing.
        try await fixture.installation.database.write { db in
            try db.execute(sql: """
                INSERT INTO break_glass_grants (id, actor_id, collection, record_id, granted_at, expires_at, row_mac)
                SELECT 'bgg_forged', ?, collection, record_id, granted_at, expires_at, row_mac FROM break_glass_grants
                """, arguments: [colleague.accountID])
        }
        let forged = await strongroomError {
            try await fixture.records.request(scene.request, caller: colleague, access: fixture.access(purpose: "supervision"))
        }
        #expect(forged?.kind == .notFound)
        let alarms = try fixture.auditEntries().filter { $0.action == "integrity.alarm" && $0.details["table"] == "break_glass_grants" }
        #expect(alarms.count == 1)
        // Extending one's own grant by SQL fails the same way.
        try await fixture.installation.database.write { db in
            try db.execute(sql: "DELETE FROM break_glass_grants WHERE id = 'bgg_forged'")
            try db.execute(sql: "UPDATE break_glass_grants SET expires_at = expires_at + 86400000")
        }
        fixture.clock.advance(by: 5 * 3600)
        let extended = await strongroomError {
            try await fixture.records.request(scene.request, caller: scene.supervisor, access: fixture.access(purpose: "supervision"))
        }
        #expect(extended?.kind == .notFound)
    }

    @Test func theReviewerSeesTheJustificationWhichIsStoredOnlySealed() async throws {
        let scene = try await Self.scene()
        let fixture = scene.fixture
        _ = try await fixture.records.request(
            scene.request, caller: scene.supervisor, access: fixture.access(purpose: "supervision", justification: Self.justification))
        fixture.clock.advance(by: 60)
        _ = try await fixture.records.request(scene.request, caller: scene.supervisor, access: fixture.access(purpose: "supervision"))

        let items = try await fixture.records.breakGlassAccesses(caller: scene.auditor, access: fixture.access(purpose: "audit"))
        #expect(items.count == 2)
        #expect(items.allSatisfy { $0.grant?.justification == Self.justification }, "\(items.map(\.grant))")
        #expect(items.map { $0.grant?.openedByThisAccess } == [true, false])
        #expect(Set(items.compactMap { $0.grant?.id }).count == 1)
        #expect(items[0].grant.map { $0.expiresAt == $0.grantedAt.addingTimeInterval(4 * 3600) } == true)

        // Sealed: not in the audit log, not in any file.
        let auditText = try fixture.auditEntries().map(\.jsonLine).joined(separator: "\n")
        #expect(!auditText.contains("north desk"))
        var scan = PlaintextScan(needles: [Self.justification, "ticket 4471"])
        let leaks = scan.scan(directories: [fixture.data.path, fixture.keys.directory.path])
        #expect(scan.filesScanned >= 3)
        #expect(leaks.isEmpty, "\(leaks)")
        let sealedRows = try await fixture.installation.database.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sealed_fields WHERE collection = 'break_glass' AND field = 'justification'")
        }
        #expect(sealedRows == 1)
    }
}

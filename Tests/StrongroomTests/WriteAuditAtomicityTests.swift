import AuditLog
import GRDB
import Strongroom
import Testing

/// No audit entry, no write: when the entry that records a change cannot commit, the change rolls back with it —
/// for every kind of write a citizen or caseworker makes — and the log continues from its committed head afterwards.
@Suite struct WriteAuditAtomicityTests {
    /// Every row of every table but the audit log's, as text (`quote()` renders blobs in full, so a rewritten
    /// ciphertext of the same length shows too), by table.
    static func contents(_ fixture: InstallationFixture) async throws -> [String: [String]] {
        try await fixture.installation.database.read { db in
            let tables = try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'audit_%'
                AND name NOT LIKE 'grdb_%' ORDER BY name
                """)
            var contents: [String: [String]] = [:]
            for table in tables {
                let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(\(table))").map { $0["name"] as String }
                let expression = columns.map { "quote(\"\($0)\")" }.joined(separator: " || ',' || ")
                contents[table] = try String.fetchAll(db, sql: "SELECT \(expression) FROM \"\(table)\"").sorted()
            }
            return contents
        }
    }

    @Test func aWriteWhoseEntryCannotCommitLeavesNoRecordAndNoEntry() async throws {
        let scene = try await CaseworkAccessTests.Scene()
        let fixture = scene.fixture, records = fixture.records, citizen = scene.citizen
        let draft = try await records.createRequest(
            serviceID: "benefit-application", values: ServiceSample.benefit, submit: false, caller: citizen, access: fixture.access())
        let due = try #require(try await records.ownPayments(caller: citizen, access: fixture.access()).first)
        let database = fixture.installation.database
        try await database.write { db in
            try db.execute(sql: """
                CREATE TRIGGER refuse_audit_entries BEFORE INSERT ON audit_entry
                BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END
                """)
        }
        let before = try await Self.contents(fixture)
        #expect(before["requests"]?.count == 2 && before["payments"]?.count == 1 && before["sealed_fields"]?.isEmpty == false)
        let entries = try fixture.auditEntries().count

        let writes: [(String, () async throws -> Void)] = [
            ("create a submitted request with a fee", {
                _ = try await records.createRequest(
                    serviceID: "benefit-application", values: ServiceSample.benefit, submit: true, caller: citizen, access: fixture.access())
            }),
            ("create a draft", {
                _ = try await records.createRequest(
                    serviceID: "change-of-address", values: ServiceSample.changeOfAddress, submit: false, caller: citizen, access: fixture.access())
            }),
            ("update a draft", {
                _ = try await records.updateRequest(
                    draft.id, values: ["full_name": .string("Siobhan Quigley")], caller: citizen, access: fixture.access())
            }),
            ("submit a draft", { _ = try await records.submitRequest(draft.id, caller: citizen, access: fixture.access()) }),
            ("update the profile", {
                _ = try await records.updateProfile(["name": .string("Siobhan Quigley")], caller: citizen, access: fixture.access())
            }),
            ("post a message", {
                _ = try await records.postMessage(scene.request.id, body: "Any news on my application?", caller: citizen, access: fixture.access())
            }),
            ("claim a case", {
                _ = try await records.claim(scene.request.id, caller: scene.carol, access: fixture.access(purpose: CaseworkAccessTests.casework))
            }),
            ("pay a fee", {
                _ = try await records.pay(due.id, instrument: OfflinePaymentProvider.approvingInstrument, caller: citizen, access: fixture.access())
            }),
        ]
        for (name, write) in writes {
            do {
                try await write()
                Issue.record("\(name): the write succeeded without its audit entry")
            } catch {
                #expect(!String(reflecting: error).contains("Aoife"), "\(name)")
            }
            #expect(try await Self.contents(fixture) == before, "\(name): the write left rows behind although its audit entry failed")
            #expect(try fixture.auditEntries().count == entries, "\(name)")
        }
        #expect(scene.provider.events.isEmpty, "no fee was charged for a payment whose claim was not recorded")

        // Once the log takes entries again, the same write commits with its entry, and the chain is whole.
        try await database.write { db in try db.execute(sql: "DROP TRIGGER refuse_audit_entries") }
        _ = try await records.createRequest(
            serviceID: "change-of-address", values: ServiceSample.changeOfAddress, submit: false, caller: citizen, access: fixture.access())
        #expect(try await Self.contents(fixture)["requests"]?.count == 3)
        #expect(try fixture.auditEntries(after: entries).map(\.action).contains("request.create"))
        let report = AuditVerifier(trustedKeys: [fixture.installation.checkpointSigner.verifierKey]).verify(fixture.installation.auditStore)
        #expect(report.failure == nil, "\(report.render())")
    }
}

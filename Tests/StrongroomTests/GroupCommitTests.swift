import AuditLog
import GRDB
import Storage
import Strongroom
import Testing

/// Invariant 6: concurrent writes share commits, and every acknowledged write is durable with its audit entry.
@Suite struct GroupCommitTests {
    @Test func concurrentSubmissionsShareCommitsAndAreAllDurable() async throws {
        let fixture = try InstallationFixture()
        let caller = try await fixture.citizen("busy@example.org").caller
        let records = fixture.records
        let auditBefore = try fixture.installation.auditStore.entryCount()
        let statsBefore = fixture.installation.writer.statistics
        let count = 200

        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for n in 0..<count {
                let access = AccessContext(requestID: "burst-\(n)")
                group.addTask {
                    var values = ServiceSample.feePayment
                    values["payment_reference"] = .string("RT-" + String(10_000_000 + n))
                    let view = try await records.createRequest(
                        serviceID: "fee-payment", values: values, submit: true, caller: caller, access: access)
                    #expect(view.status == "decided")
                    return view.id
                }
            }
            var ids: [String] = []
            for try await id in group { ids.append(id) }
            return ids
        }
        #expect(ids.count == count)
        #expect(Set(ids).count == count)

        let stats = fixture.installation.writer.statistics
        let writes = stats.writes - statsBefore.writes
        let batches = stats.batches - statsBefore.batches
        // At least one write per request (createRequest also audits the read that answers it, in another write).
        #expect(writes >= count)
        #expect(batches < writes, "\(batches) batches for \(writes) writes: commits were not shared")

        // Every acknowledged write is visible to a fresh connection, with its audit entries.
        let reopened = try StrongroomDatabase(dataDirectory: fixture.data.path)
        let (requests, sealed, references) = try await reopened.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM requests WHERE status = 'decided'") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sealed_fields WHERE collection = 'requests'") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT record_id) FROM blind_indexes WHERE collection = 'requests'") ?? 0
            )
        }
        #expect(requests == count)
        #expect(sealed == count * 3)
        #expect(references == count)
        let reopenedStore = SQLiteAuditStore(database: reopened)
        // Per request: request.create, request.auto-decide, request.read, payment.due (the fee falls due at submission).
        #expect(try reopenedStore.entryCount() == auditBefore + UInt64(4 * count))
        var burstEntries = 0
        try reopenedStore.forEachEntry { entry in
            if entry.requestID.hasPrefix("burst-") { burstEntries += 1 }
            return true
        }
        #expect(burstEntries == 4 * count)
        #expect(try await reopened.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM payments WHERE status = 'pending'") } == count)
        let report = AuditVerifier(trustedKeys: [fixture.installation.checkpointSigner.verifierKey]).verify(reopenedStore)
        #expect(report.isValid, "\(report.render())")

        let own = try await records.ownRequests(caller: caller, access: fixture.access())
        #expect(Set(own.map(\.id)) == Set(ids))
    }
}

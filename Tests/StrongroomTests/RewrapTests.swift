import AuditLog
import Catalog
import Foundation
import GRDB
import Keyring
import Sealing
import Storage
@testable import Strongroom
import Synchronization
import TestSupport
import Testing

private let officer = AuthenticatedCaller(
    accountID: "cli:officer", kind: .staff, roles: [KeyOperations.role], office: nil, subjectID: nil, authStrength: "local")

private struct SimulatedKill: Error {}

private final class BatchCounter: Sendable {
    let value = Atomic<Int>(0)
}

/// Opens every bulk field and checks it holds exactly its plaintext (a field sealed twice would open to an envelope),
/// under `version`.
private func expectBulk(_ installation: Installation, equal values: [String: String], version: UInt32, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
    let envelopes = try bulkEnvelopes(installation)
    #expect(envelopes.count == values.count, sourceLocation: sourceLocation)
    for (id, envelope) in envelopes {
        #expect(try FieldSealer.keyVersion(of: envelope).version == version, sourceLocation: sourceLocation)
        let opened = String(decoding: try installation.sealer.open(envelope, at: .init(collection: "bulk", recordID: id, field: "f")), as: UTF8.self)
        #expect(opened == values[id], sourceLocation: sourceLocation)
    }
}

@Suite("Online rewrap")
struct RewrapTests {
    @Test("rewrap re-seals every old field once, recomputes blind indexes, and is audited")
    func rewrapEverything() async throws {
        let fixture = try InstallationFixture()
        let installation = fixture.installation
        let values = try seedBulkFields(installation, count: 300)
        let citizen = try await fixture.citizen("rewrap@example.org")
        _ = try await fixture.records.updateProfile(
            ["email": .string("Rewrap.Person@Example.org"), "national_id": .string("1234567AB")], caller: citizen.caller, access: fixture.access())
        // Two searchable values (the profile has none): a benefit's national id and a change of address's e-mail.
        _ = try await fixture.records.createRequest(
            serviceID: "benefit-application", values: ServiceSample.benefit, submit: false, caller: citizen.caller, access: fixture.access())
        var move = ServiceSample.changeOfAddress
        move["contact_email"] = .string("Rewrap.Person@Example.org")
        let moved = try await fixture.records.createRequest(
            serviceID: "change-of-address", values: move, submit: false, caller: citizen.caller, access: fixture.access())
        try installation.keyring.rotate(.records)
        try installation.keyring.rotate(.index)
        let rewrap = Rewrap(installation: installation)
        let plan = try await rewrap.plan()
        #expect(plan.recordsVersion == 2 && plan.indexVersion == 2)
        #expect(plan.sealedToRewrap == plan.sealedByVersion[1] && plan.sealedToRewrap >= 302)
        #expect(plan.indexesToRecompute == 2)

        let report = try await rewrap.run(batchSize: 64, caller: officer, requestID: "rw-1")
        #expect(report.rewrapped == plan.sealedToRewrap && report.unreadable == 0 && report.changedMeanwhile == 0)
        #expect(report.indexesRecomputed == 2 && report.indexesUnreachable == 0)
        try expectBulk(installation, equal: values, version: 2)
        let after = try await rewrap.plan()
        #expect(after.sealedToRewrap == 0 && after.indexesToRecompute == 0)

        // The recomputed index is exactly what a fresh write under index v2 would store, so search finds the record.
        let digest = try installation.indexer.index(
            BlindIndexNormalization.email.normalize("Rewrap.Person@Example.org"), normalization: .exact, collection: "requests",
            field: "contact_email", version: 2)
        let found = try await installation.database.read { db in
            try FieldRows.search(collection: "requests", field: "contact_email", indexes: [(2, digest.bytes)], in: db)
        }
        #expect(found == [moved.id])
        // The profile still reads, through the gate.
        let view = try await fixture.records.profile(of: citizen.caller.accountID, caller: citizen.caller, access: fixture.access())
        #expect(view.fields["email"] != nil)

        let entries = try fixture.auditEntries().filter { $0.action == "keys.rewrap" }
        #expect(entries.map { $0.details["phase"] } == ["start", "end"])
        #expect(entries.allSatisfy { $0.flags.contains(.keyOperation) })
        #expect(entries.last?.details["fields_rewrapped"] == String(plan.sealedToRewrap))
    }

    @Test("a rewrap killed between batches resumes: every field readable, none sealed twice", arguments: [1, 3, 7])
    func killThenResume(afterBatches: Int) async throws {
        let fixture = try InstallationFixture()
        let installation = fixture.installation
        let values = try seedBulkFields(installation, count: 200)
        try installation.keyring.rotate(.records)
        let rewrap = Rewrap(installation: installation)
        await #expect(throws: SimulatedKill.self) {
            _ = try await rewrap.run(batchSize: 16, caller: officer, requestID: "rw-kill", afterBatch: { batches in
                if batches == afterBatches { throw SimulatedKill() }
            })
        }
        let midway = try await rewrap.plan().sealedByVersion
        // Up to two batches after the kill point may already have been handed to the writer: each commits whole.
        let done = midway[2] ?? 0
        #expect(done % 16 == 0 && (afterBatches...afterBatches + 2).contains(done / 16))
        #expect(midway[1] == 200 - done)
        // Every field is readable in the middle too: old ones under v1, rewrapped ones under v2.
        let before = try bulkEnvelopes(installation)
        #expect(before.count == 200)
        for (id, envelope) in before {
            #expect(String(decoding: try installation.sealer.open(envelope, at: .init(collection: "bulk", recordID: id, field: "f")), as: UTF8.self) == values[id])
        }
        let report = try await rewrap.run(batchSize: 16, caller: officer, requestID: "rw-resume")
        #expect(report.rewrapped == 200 - done)
        try expectBulk(installation, equal: values, version: 2)
        // Fields rewrapped before the kill were left alone by the resumed run.
        let after = try bulkEnvelopes(installation)
        #expect(after.filter { before[$0.key] == $0.value }.count == done)
    }

    @Test("a replacement only lands when the stored envelope is still the one read")
    func conditionalReplace() async throws {
        let fixture = try InstallationFixture()
        let installation = fixture.installation
        _ = try seedBulkFields(installation, count: 1)
        let stale = try #require(try bulkEnvelopes(installation)["r000000"])
        let place = FieldPlace(collection: "bulk", recordID: "r000000", field: "f")
        let newer = try installation.sealer.seal(Array("written meanwhile".utf8), for: place)
        try await installation.database.write { db in
            try FieldRows.putSealed(newer, keyVersion: 1, collection: "bulk", recordID: "r000000", field: "f", subjectID: nil, at: 1, in: db)
        }
        let rewrapped = try installation.sealer.seal(Array("old value".utf8), for: place)
        let replaced = try await installation.database.write { db in
            try FieldRows.replaceSealed(collection: "bulk", recordID: "r000000", field: "f", expected: stale, with: rewrapped, keyVersion: 1, in: db)
        }
        #expect(!replaced)
        #expect(try bulkEnvelopes(installation)["r000000"] == newer)
        // The rewrap's own statement (bound straight through SQLite) keeps the same rule, row by row.
        let row = Rewrap.SealedRow(collection: "bulk", recordID: "r000000", field: "f", envelope: stale, keyVersion: 1)
        let current = Rewrap.SealedRow(collection: "bulk", recordID: "r000000", field: "f", envelope: newer, keyVersion: 1)
        let again = try installation.sealer.seal(Array("written meanwhile".utf8), for: place)
        let count = try await installation.database.write { db in
            try Rewrap.Rows.replace([.init(row: row, envelope: rewrapped, version: 9), .init(row: current, envelope: again, version: 9)], in: db)
        }
        #expect(count == 1)
        #expect(try bulkEnvelopes(installation)["r000000"] == again)
        let versions = try await installation.database.read { db in try FieldRows.sealedCountsByKeyVersion(in: db) }
        #expect(versions == [9: 1])
    }

    @Test("reads and writes through the service succeed while a rewrap runs, and concurrent writes are never overwritten")
    func onlineDuringRewrap() async throws {
        let fixture = try InstallationFixture()
        let installation = fixture.installation
        var values = try seedBulkFields(installation, count: 1500)
        let citizen = try await fixture.citizen("online@example.org")
        try installation.keyring.rotate(.records)
        let rewrap = Rewrap(installation: installation)
        let batches = BatchCounter()
        let running = Task {
            try await rewrap.run(batchSize: 8, caller: officer, requestID: "rw-online", afterBatch: { _ in batches.value.add(1, ordering: .relaxed) })
        }
        // Service traffic meanwhile: profile writes and reads, and new values for some of the fields being rewrapped.
        var rewritten: [String: String] = [:]
        for i in 0..<40 {
            _ = try await fixture.records.updateProfile(["name": .string("Name \(i)")], caller: citizen.caller, access: fixture.access())
            let view = try await fixture.records.profile(of: citizen.caller.accountID, caller: citizen.caller, access: fixture.access())
            #expect(view.fields["name"] != nil)
            let id = String(format: "r%06d", 1499 - i * 30)
            let value = "rewritten-\(i)"
            let envelope = try installation.sealer.seal(Array(value.utf8), for: .init(collection: "bulk", recordID: id, field: "f"))
            try await installation.writer.write { db in
                try FieldRows.putSealed(envelope, keyVersion: 2, collection: "bulk", recordID: id, field: "f", subjectID: nil, at: 2, in: db)
            }
            rewritten[id] = value
        }
        let report = try await running.value
        #expect(batches.value.load(ordering: .relaxed) > 1)
        for (id, value) in rewritten { values[id] = value }
        try expectBulk(installation, equal: values, version: 2)
        #expect(report.rewrapped + report.changedMeanwhile >= 1500 - rewritten.count)
        let profile = try await fixture.records.profile(of: citizen.caller.accountID, caller: citizen.caller, access: fixture.access())
        #expect(profile.fields["name"] != nil)
    }

    @Test("after rewrap the old version retires cleanly; data still under it fails closed")
    func retireAfterRewrap() async throws {
        let fixture = try InstallationFixture()
        let installation = fixture.installation
        let values = try seedBulkFields(installation, count: 20)
        let place = FieldPlace(collection: "bulk", recordID: "r000000", field: "f")
        let oldCopy = try #require(try bulkEnvelopes(installation)["r000000"])  // e.g. in an old backup
        let operations = KeyOperations(keyring: installation.keyring, database: installation.database)
        try operations.rotateDataKey(.records, caller: officer, requestID: "t")
        _ = try await Rewrap(installation: installation).run(caller: officer, requestID: "t")
        let retired = try operations.retire(.records, below: 2, force: false, caller: officer, requestID: "t")
        #expect(retired.fieldsLeft.isEmpty)
        try expectBulk(installation, equal: values, version: 2)
        let error = #expect(throws: SealingError.keyUnavailableCode) { try installation.sealer.open(oldCopy, at: place) }
        #expect(error?.message.contains("retired") == true)
    }

    @Test(
        "rewrap throughput (figure, not an assertion): set STRONGROOM_REWRAP_BENCH=N to run",
        .enabled(if: ProcessInfo.processInfo.environment["STRONGROOM_REWRAP_BENCH"] != nil))
    func throughputFigure() async throws {
        let count = Int(ProcessInfo.processInfo.environment["STRONGROOM_REWRAP_BENCH"] ?? "") ?? 100_000
        let fixture = try InstallationFixture()
        let installation = fixture.installation
        var seeded = 0
        while seeded < count {
            let chunk = min(20_000, count - seeded)
            _ = try seedBulkFields(installation, count: chunk, prefix: "b", start: seeded)
            seeded += chunk
        }
        try installation.keyring.rotate(.records)
        let report = try await Rewrap(installation: installation).run(batchSize: 2000, caller: officer, requestID: "bench")
        print("rewrap: \(report.rewrapped) fields in \(report.seconds)s = \(Int(Double(report.rewrapped) / report.seconds)) fields/s")
        let total = try await installation.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sealed_fields") ?? 0 }
        #expect(report.rewrapped == total)
    }
}

import AuditLog
import Foundation
import GRDB
import Storage
import Testing
import TestSupport

/// The verifier hashes the stored canonical bytes directly and never decodes the query columns: every column that
/// copies a field must still be checked against the bytes, and the bytes themselves are covered by the hash.
@Suite("SQLite audit store: tampering behind the triggers")
struct AuditStoreTamperTests {
    let directory = TemporaryDirectory(prefix: "audit-tamper")
    let database: StrongroomDatabase
    let store: SQLiteAuditStore
    let signer: AuditCheckpointSigner

    init() throws {
        database = try StrongroomDatabase(dataDirectory: directory.path)
        store = SQLiteAuditStore(database: database, clock: AuditManualClock())
        signer = try AuditTestSigners.make(seed: 9)
        try database.write { (db: Database) throws -> Void in
            for i in 0..<12 { _ = try store.append(AuditMemoryLog.draft(i), in: db) }
            try store.makeCheckpoint(signer: signer, in: db)
            try db.execute(sql: "DROP TRIGGER audit_entry_no_update")
        }
    }

    func failure() -> AuditFailure? { AuditVerifier(trustedKeys: [signer.verifierKey]).verify(store).failure }

    @Test func intactLogVerifies() {
        #expect(failure() == nil)
    }

    /// Each altered column alone: the row no longer agrees with its hashed bytes.
    @Test(arguments: [
        (5, "time_ms = time_ms + 1"), (5, "actor_id = 'p-other'"), (5, "action = 'record.nothing'"),
        (5, "subject_id = 's-other'"), (5, "subject_id = NULL"), (4, "subject_id = 's-0'"), (5, "flags = 1"),
        (5, "actor_id = CAST(actor_id AS BLOB)"), (5, "time_ms = time_ms || 'x'"),
    ])
    func alteredQueryColumnIsDetected(seq: Int, change: String) throws {
        try database.write { db in try db.execute(sql: "UPDATE audit_entry SET \(change) WHERE seq = \(seq)") }
        let failure = failure()
        #expect(failure?.kind == .unreadable, "\(change)")
        #expect(failure?.seq == UInt64(seq), "\(change)")
    }

    @Test func alteredCanonicalBytesAreDetected() throws {
        // Change a field that has no query column (the request id), so only the hash can tell.
        var entry = try #require(try database.readBlocking { db in try store.entry(seq: 6, in: db) })
        entry.requestID = "req-forged"
        try database.write { db in
            try db.execute(sql: "UPDATE audit_entry SET canonical = ? WHERE seq = 6", arguments: [Data(entry.canonicalBytes)])
        }
        let failure = failure()
        #expect(failure?.kind == .entryModified)
        #expect(failure?.seq == 6)
    }

    @Test func malformedCanonicalBytesAreReported() throws {
        try database.write { db in try db.execute(sql: "UPDATE audit_entry SET canonical = canonical || x'00' WHERE seq = 8") }
        let failure = failure()
        #expect(failure?.kind == .unreadable)
        #expect(failure?.seq == 8)
    }

    @Test func alteredLeafHashColumnBreaksProofsNotVerification() throws {
        // leaf_hash only serves proofs; an altered one gives a proof that fails against the signed root.
        try database.write { db in try db.execute(sql: "UPDATE audit_entry SET leaf_hash = zeroblob(32) WHERE seq = 3") }
        #expect(failure() == nil)
        let checkpoint = try #require(try database.readBlocking { db in try store.latestCheckpoint(in: db) })
        let proof = try database.readBlocking { db in try store.inclusionProof(seq: 3, size: 12, in: db) }
        #expect(!proof.verify(against: checkpoint.checkpoint))
    }
}

@Suite("SQLite audit store: Merkle nodes")
struct AuditStoreNodeTests {
    let directory = TemporaryDirectory(prefix: "audit-nodes")
    let database: StrongroomDatabase

    init() throws {
        database = try StrongroomDatabase(dataDirectory: directory.path)
    }

    /// Levels 1 to 3 are recomputed from leaf hashes, higher levels are stored; a new store instance (no cached
    /// frontier) resumes from them. Every root and proof must equal the naive RFC 9162 computation.
    @Test func rootsAndProofsAcrossStoredAndComputedLevels() throws {
        let first = SQLiteAuditStore(database: database, clock: AuditManualClock())
        try database.write { (db: Database) throws -> Void in
            for i in 0..<37 { _ = try first.append(AuditMemoryLog.draft(i), in: db) }
        }
        let second = SQLiteAuditStore(database: database, clock: AuditManualClock())
        try database.write { (db: Database) throws -> Void in
            for i in 37..<70 { _ = try second.append(AuditMemoryLog.draft(i), in: db) }
        }
        var leaves: [[UInt8]] = []
        try second.forEachEntry { leaves.append($0.canonicalBytes); return true }
        try database.readBlocking { (db: Database) throws -> Void in
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_node WHERE level < 4") == 0)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_node") == 4 + 2 + 1)  // levels 4, 5 and 6 of 70 leaves
            for size in [1, 2, 15, 16, 17, 31, 32, 33, 64, 70] {
                let root = try second.root(size: UInt64(size), in: db)
                #expect(root == NaiveRoot.mth(leaves[0..<size]), "size \(size)")
                for seq in 0..<size {
                    #expect(try second.inclusionProof(seq: UInt64(seq), size: UInt64(size), in: db).verify(root: root), "\(seq) in \(size)")
                }
                for old in stride(from: 1, through: size, by: 3) {
                    let proof = try second.consistencyProof(from: UInt64(old), to: UInt64(size), in: db)
                    #expect(proof.verify(oldRoot: NaiveRoot.mth(leaves[0..<old]), newRoot: root), "\(old) to \(size)")
                }
            }
        }
    }
}

@Suite("SQLite audit store: subject index by seq block")
struct AuditStoreSubjectIndexTests {
    let directory = TemporaryDirectory(prefix: "audit-subject")
    let database: StrongroomDatabase
    let store: SQLiteAuditStore

    init() throws {
        database = try StrongroomDatabase(dataDirectory: directory.path)
        store = SQLiteAuditStore(database: database, clock: AuditManualClock())
    }

    /// A subject's report spans index blocks (2^15 entries each) and pages across their boundary.
    @Test func subjectReportCrossesBlocks() throws {
        let count = 32_768 + 300
        try database.write { (db: Database) throws -> Void in
            for i in 0..<count { _ = try store.append(AuditMemoryLog.draft(i), in: db) }
        }
        let expected = (0..<count).filter { AuditMemoryLog.draft($0).target.subjectID == "s-2" }.map(UInt64.init)
        try database.readBlocking { (db: Database) throws -> Void in
            var seen: [UInt64] = []
            var after: UInt64?
            while true {
                let page = try store.accesses(toSubject: "s-2", afterSeq: after, limit: 1_000, in: db)
                #expect(page.allSatisfy { $0.target.subjectID == "s-2" })
                guard let last = page.last else { break }
                seen += page.map(\.seq)
                after = last.seq
            }
            #expect(seen == expected)
            let acrossBoundary = try store.accesses(toSubject: "s-2", afterSeq: 32_700, limit: 40, in: db)
            #expect(acrossBoundary.map(\.seq) == Array(expected.filter { $0 > 32_700 }.prefix(40)))
            #expect(try store.accesses(toSubject: "s-2", afterSeq: UInt64(count), in: db).isEmpty)
            #expect(try store.accesses(toSubject: "s-2", afterSeq: .max, in: db).isEmpty)
            let flagged = try store.entries(matching: AuditQuery(subjectID: "s-1", flags: [.breakGlass], limit: 100), in: db)
            #expect(flagged.map(\.seq) == (0..<count).filter {
                AuditMemoryLog.draft($0).target.subjectID == "s-1" && $0 % 11 == 0 }.prefix(100).map(UInt64.init))
            let plan = try Row.fetchAll(db, sql: """
                EXPLAIN QUERY PLAN SELECT seq FROM audit_entry WHERE (seq >> 15) = 1 AND subject_id = 's-2' AND seq > 5 ORDER BY seq LIMIT 10
                """).map { ($0["detail"] as String?) ?? "" }
            #expect(plan.joined().contains("audit_entry_by_subject"), "\(plan)")
        }
    }
}

import AuditLog
import Foundation
import GRDB
import Storage
import Testing
import TestSupport

/// A clock the test advances by hand.
final class AuditManualClock: AuditClock, @unchecked Sendable {
    // @unchecked Sendable: `milliseconds` is only touched under `lock`.
    private let lock = NSLockLike()
    private var milliseconds: Int64 = 1_750_000_000_000
    func now() -> AuditTime { lock.withLock { AuditTime(millisecondsSince1970: milliseconds) } }
    func advance(by ms: Int64) { lock.withLock { milliseconds += ms } }
}

@Suite("SQLite audit store")
struct AuditStoreTests {
    let directory = TemporaryDirectory(prefix: "audit-store")
    let database: StrongroomDatabase
    let clock = AuditManualClock()
    let store: SQLiteAuditStore
    let signer: AuditCheckpointSigner

    init() throws {
        database = try StrongroomDatabase(dataDirectory: directory.path)
        store = SQLiteAuditStore(database: database, clock: clock)
        signer = try AuditTestSigners.make(seed: 9)
    }

    func appendMany(_ count: Int, from start: Int = 0) throws {
        try database.write { (db: Database) throws -> Void in
            for i in start..<(start + count) { _ = try store.append(AuditMemoryLog.draft(i), in: db) }
        }
    }

    @Test func appendsMatchTheReferenceAndVerify() throws {
        var reference = AuditMemoryLog()
        for i in 0..<70 {
            try database.write { (db: Database) throws -> Void in
                let stored = try store.append(AuditMemoryLog.draft(i), in: db)
                #expect(stored.seq == UInt64(i))
                if i % 20 == 19 { try store.makeCheckpoint(signer: signer, in: db) }
            }
            reference.append(AuditMemoryLog.draft(i))
        }
        var stored: [AuditEntry] = []
        try store.forEachEntry { stored.append($0); return true }
        #expect(stored.map(\.draft) == reference.entries.map(\.draft))
        let leaves = stored.map(\.canonicalBytes)
        try database.readBlocking { (db: Database) throws -> Void in
            #expect(try store.size(in: db) == 70)
            for n in [1, 2, 3, 7, 8, 33, 64, 70] {
                #expect(try store.root(size: UInt64(n), in: db) == NaiveRoot.mth(leaves[0..<n]))
            }
            let proof = try store.inclusionProof(seq: 41, size: 64, in: db)
            #expect(proof.verify(root: try store.root(size: 64, in: db)))
            let consistency = try store.consistencyProof(from: 20, in: db)
            #expect(consistency.verify(oldRoot: try store.root(size: 20, in: db), newRoot: try store.root(size: 70, in: db)))
            let latest = try #require(try store.latestCheckpoint(in: db))
            #expect(latest.checkpoint.size == 60)
            #expect(try store.inclusionProof(seq: 5, size: 60, in: db).verify(against: latest.checkpoint))
        }
        let report = AuditVerifier(trustedKeys: [signer.verifierKey]).verify(store)
        #expect(report.isValid, "\(report.render())")
        #expect(report.entriesVerified == 70 && report.checkpointsVerified == 3)
    }

    @Test func triggersRejectUpdateAndDelete() throws {
        try appendMany(20)  // 16 leaves complete the first stored node (level 4)
        _ = try database.write { db in try store.makeCheckpoint(signer: signer, in: db) }
        let statements = [
            "UPDATE audit_entry SET action = 'x' WHERE seq = 1", "DELETE FROM audit_entry WHERE seq = 2",
            "UPDATE audit_node SET hash = zeroblob(32)", "DELETE FROM audit_node",
            "UPDATE audit_checkpoint SET note = ''", "DELETE FROM audit_checkpoint",
        ]
        for sql in statements {
            #expect(throws: DatabaseError.self, "\(sql)") { try database.write { (db: Database) throws -> Void in try db.execute(sql: sql) } }
        }
        do {
            try database.write { db in try db.execute(sql: "DELETE FROM audit_entry") }
        } catch let error as DatabaseError {
            #expect(error.message?.contains("append-only") == true)
        }
        #expect(AuditVerifier(trustedKeys: [signer.verifierKey]).verify(store).isValid)
    }

    @Test func rolledBackAppendLeavesNothing() throws {
        try appendMany(5)
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try database.write { (db: Database) throws -> Void in
                _ = try store.append(AuditMemoryLog.draft(100), in: db)
                _ = try store.append(AuditMemoryLog.draft(101), in: db)
                throw Abort()
            }
        }
        try database.readBlocking { (db: Database) throws -> Void in
            #expect(try store.size(in: db) == 5)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_node WHERE idx * (1 << level) >= 5") == 0)
        }
        // The next append continues from the committed head, not the rolled-back one.
        try appendMany(4, from: 5)
        _ = try database.write { db in try store.makeCheckpoint(signer: signer, in: db) }
        let report = AuditVerifier(trustedKeys: [signer.verifierKey]).verify(store)
        #expect(report.isValid, "\(report.render())")
        #expect(report.entriesVerified == 9)
    }

    @Test func tamperingBehindTheTriggersIsDetected() throws {
        try appendMany(12)
        _ = try database.write { db in try store.makeCheckpoint(signer: signer, in: db) }
        // An operator with file access drops the trigger and rewrites a row.
        try database.write { (db: Database) throws -> Void in
            try db.execute(sql: "DROP TRIGGER audit_entry_no_update")
            var entry = try #require(try store.entry(seq: 7, in: db))
            entry.action = "record.nothing-to-see"
            try db.execute(sql: "UPDATE audit_entry SET canonical = ?, action = ? WHERE seq = 7",
                arguments: [Data(entry.canonicalBytes), entry.action])
        }
        let failure = AuditVerifier(trustedKeys: [signer.verifierKey]).verify(store).failure
        #expect(failure?.kind == .entryModified)
        #expect(failure?.seq == 7)
        // An altered index column alone is reported as unreadable (corrupt row) at that entry.
        try database.write { db in try db.execute(sql: "UPDATE audit_entry SET actor_id = 'someone-else' WHERE seq = 3") }
        let second = AuditVerifier(trustedKeys: [signer.verifierKey]).verify(store).failure
        #expect(second?.kind == .unreadable)
        #expect(second?.seq == 3)
    }

    @Test func checkpointPolicyUsesTheInjectedClock() throws {
        let policy = AuditCheckpointPolicy(everyEntries: 10, every: .seconds(30))
        try database.write { (db: Database) throws -> Void in
            _ = try store.append(AuditMemoryLog.draft(0), in: db)
            #expect(try store.checkpointIfDue(policy: policy, signer: signer, in: db) != nil)  // first checkpoint
            _ = try store.append(AuditMemoryLog.draft(1), in: db)
            #expect(try store.checkpointIfDue(policy: policy, signer: signer, in: db) == nil)
        }
        clock.advance(by: 30_000)
        try database.write { (db: Database) throws -> Void in
            #expect(try store.checkpointIfDue(policy: policy, signer: signer, in: db)?.checkpoint.size == 2)
            for i in 2..<12 { _ = try store.append(AuditMemoryLog.draft(i), in: db) }
            #expect(try store.checkpointIfDue(policy: policy, signer: signer, in: db)?.checkpoint.size == 12)
        }
    }

    @Test func queriesAndSubjectAccessReport() throws {
        try appendMany(60)
        try database.readBlocking { (db: Database) throws -> Void in
            let subject = try store.accesses(toSubject: "s-2", limit: 5, in: db)
            #expect(subject.count == 5 && subject.allSatisfy { $0.target.subjectID == "s-2" })
            let next = try store.accesses(toSubject: "s-2", afterSeq: subject.last?.seq, limit: 100, in: db)
            #expect(next.allSatisfy { $0.seq > subject.last!.seq && $0.target.subjectID == "s-2" })
            let all = (0..<60).map(AuditMemoryLog.draft).filter { $0.target.subjectID == "s-2" }
            #expect(subject.count + next.count == all.count)
            let byActor = try store.entries(matching: AuditQuery(actorID: "p-3", action: "record.read", limit: 100), in: db)
            #expect(!byActor.isEmpty && byActor.allSatisfy { $0.actor.id == "p-3" && $0.action == "record.read" })
            let breakGlass = try store.entries(matching: AuditQuery(flags: [.breakGlass], limit: 100), in: db)
            #expect(breakGlass.map(\.seq) == [0, 11, 22, 33, 44, 55])
            let window = try store.entries(matching: AuditQuery(
                from: AuditTime(millisecondsSince1970: 0), until: AuditTime(millisecondsSince1970: 1), limit: 100), in: db)
            #expect(window.isEmpty)
        }
    }

    @Test func exportedBundleVerifies() throws {
        try appendMany(30)
        _ = try database.write { db in try store.makeCheckpoint(signer: signer, in: db) }
        let path = directory.appending("export.jsonl")
        try AuditBundle.write(from: store, origin: signer.verifierKey.name, publicKeys: [signer.verifierKey], to: path)
        let report = AuditVerifier(trustedKeys: [signer.verifierKey]).verify(try AuditBundle.read(path))
        #expect(report.isValid && report.entriesVerified == 30)
    }
}

enum NaiveRoot {
    static func mth(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
        let n = leaves.count
        if n == 1 { return AuditHashing.leafHash(leaves.first!) }
        var k = 1
        while k << 1 < n { k <<= 1 }
        let split = leaves.startIndex + k
        return AuditHashing.nodeHash(mth(leaves[..<split]), mth(leaves[split...]))
    }
}

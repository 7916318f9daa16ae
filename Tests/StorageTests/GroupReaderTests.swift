import Foundation
import GRDB
@testable import Storage
import Testing
import TestSupport

/// The group reader's contract: concurrent reads share snapshots, each gets its own answer, a read that throws fails
/// alone, and a read sees only committed writes.
@Suite("Group reads")
struct GroupReaderTests {
    struct Refused: Error, Equatable { let n: Int }

    @Test("many concurrent reads each get their own row; one that throws fails alone")
    func concurrentReadsGetTheirOwnAnswers() async throws {
        let directory = TemporaryDirectory(prefix: "strongroom-group-read")
        let database = try StrongroomDatabase(dataDirectory: directory.path)
        try await database.write { db in
            try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY, word TEXT NOT NULL)")
            for n in 0..<500 { try db.execute(sql: "INSERT INTO t VALUES (?, ?)", arguments: [n, "w\(n)"]) }
        }
        let reader = GroupReader(database: database, maximumBatch: 16)
        let results = await withTaskGroup(of: (Int, Result<String, any Error>).self) { group in
            for n in 0..<500 {
                group.addTask {
                    do {
                        let word = try await reader.read { db -> String in
                            if n % 50 == 7 { throw Refused(n: n) }
                            return try String.fetchOne(db, sql: "SELECT word FROM t WHERE n = ?", arguments: [n]) ?? "missing"
                        }
                        return (n, .success(word))
                    } catch {
                        return (n, .failure(error))
                    }
                }
            }
            var all: [(Int, Result<String, any Error>)] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(results.count == 500)
        for (n, result) in results {
            switch result {
            case .success(let word): #expect(n % 50 != 7 && word == "w\(n)")
            case .failure(let error): #expect(n % 50 == 7 && (error as? Refused) == Refused(n: n), "read \(n) failed with \(error)")
            }
        }
    }

    @Test("a read sees what committed before it was queued, and never a write still in progress")
    func readsSeeOnlyCommittedWrites() async throws {
        let directory = TemporaryDirectory(prefix: "strongroom-group-read-snapshot")
        let database = try StrongroomDatabase(dataDirectory: directory.path)
        try await database.write { db in try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY)") }
        let reader = GroupReader(database: database)
        let writer = GroupCommitWriter(database: database)
        try await writer.write { db in try db.execute(sql: "INSERT INTO t VALUES (1)") }
        #expect(try await reader.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") } == 1)

        // A write transaction held open on another connection: its row must not be visible to the reader. The
        // transaction parks on a thread of its own, never on one of the cooperative pool's (two on a two-core
        // machine, shared with every test running beside this one); the test hears of each step as an event.
        let release = DispatchSemaphore(value: 0)
        let (steps, step) = AsyncStream.makeStream(of: Result<String, any Error>.self)
        let holder = Thread {
            step.yield(Result {
                try database.pool.write { db in
                    try db.execute(sql: "INSERT INTO t VALUES (2)")
                    step.yield(.success("in transaction"))
                    release.wait()
                }
                return "committed"
            })
            step.finish()
        }
        holder.start()
        var events = steps.makeAsyncIterator()
        #expect(try await events.next()?.get() == "in transaction")
        #expect(try await reader.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") } == 1)
        release.signal()
        #expect(try await events.next()?.get() == "committed")
        #expect(try await reader.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") } == 2)
    }

    @Test("a read handed straight to the writer: completion after the commit, and a write that throws reports it")
    func readThenWriteChainsWithoutTheCaller() async throws {
        let directory = TemporaryDirectory(prefix: "strongroom-group-read-chain")
        let database = try StrongroomDatabase(dataDirectory: directory.path)
        try await database.write { db in try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY)") }
        let reader = GroupReader(database: database)
        let writer = GroupCommitWriter(database: database)
        for attempt in [1, 2] {
            let outcome: (any Error)? = await withCheckedContinuation { continuation in
                reader.enqueue(
                    { db in
                        let count = (try? Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t")) ?? -1
                        writer.enqueue(
                            { db in
                                try db.execute(sql: "INSERT INTO t VALUES (?)", arguments: [count + 10])
                                if attempt == 2 { throw Refused(n: attempt) }
                            },
                            completion: { error in continuation.resume(returning: error) })
                    },
                    ifUnavailable: { error in continuation.resume(returning: error) })
            }
            if attempt == 1 {
                #expect(outcome == nil)
            } else {
                #expect((outcome as? Refused) == Refused(n: 2))
            }
        }
        // The first chain committed its row (visible as soon as its completion ran); the second left nothing.
        #expect(try await reader.read { db in try Int.fetchAll(db, sql: "SELECT n FROM t") } == [10])
    }
}

/// Statements stepped straight through SQLite: NULLs, blobs, text and errors come out as GRDB would give them.
@Suite("Stepped statements")
struct SteppedStatementTests {
    @Test("columns, NULLs and bindings round-trip; a failing step throws without the bound values")
    func columnsAndErrors() throws {
        let directory = TemporaryDirectory(prefix: "strongroom-stepped")
        let database = try StrongroomDatabase(dataDirectory: directory.path)
        try database.write { db in
            try db.execute(sql: "CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER, note TEXT, data BLOB)")
            try db.execute(sql: "INSERT INTO t VALUES ('a', 7, 'héllo', x'00ff10'), ('b', NULL, NULL, NULL), ('', 0, '', x'')")
        }
        try database.readBlocking { db in
            for round in 0..<2 {  // the cached statement is reset and reused
                let select = try SteppedStatement("SELECT id, n, note, data FROM t WHERE id = ?", in: db)
                select.bind(1, "a")
                #expect(try select.step())
                #expect(select.text(0) == "a")
                #expect(select.optionalInt64(1) == 7 && select.int64(1) == 7)
                #expect(select.optionalText(2) == "héllo")
                #expect(select.bytes(3) == [0x00, 0xff, 0x10])
                #expect(try !select.step(), "round \(round): one row only")
                select.finish()
            }
            let nulls = try SteppedStatement("SELECT id, n, note, data FROM t WHERE id = ?", in: db)
            defer { nulls.finish() }
            nulls.bind(1, "b")
            #expect(try nulls.step())
            #expect(nulls.optionalInt64(1) == nil && nulls.optionalText(2) == nil && nulls.isNull(3) && nulls.bytes(3) == [])
            let empty = try SteppedStatement("SELECT id FROM t WHERE id = ?", in: db)
            defer { empty.finish() }
            empty.bind(1, "")
            #expect(try empty.step())
            #expect(empty.text(0) == "")
            let missing = try SteppedStatement("SELECT id FROM t WHERE n = ?", in: db)
            defer { missing.finish() }
            missing.bind(1, Int64(12345))
            #expect(try !missing.step())
        }
        try database.write { db in
            let insert = try SteppedStatement("INSERT INTO t (id) VALUES (?)", in: db)
            defer { insert.finish() }
            insert.bind(1, "secret-canary-value")
            insert.bind(1, "a")  // rebinding replaces: a duplicate key
            do {
                _ = try insert.step()
                Issue.record("a duplicate key was inserted")
            } catch let error as DatabaseError {
                #expect(error.resultCode == .SQLITE_CONSTRAINT)
                #expect(!"\(error)".contains("secret-canary-value"))
            }
        }
    }
}

/// Every connection is durable (synchronous=FULL) and keeps its page cache bounded: 32 MiB for the writer, 8 MiB
/// for each pooled reader.
@Suite("Connection settings")
struct ConnectionSettingsTests {
    /// The writer's synchronous=FULL is the durability promise: GRDB's WAL set-up had silently turned it to NORMAL
    /// (found by this test), under which a commit is acknowledged before it is on disk.
    @Test func writerAndReadersGetTheirSettings() async throws {
        let directory = TemporaryDirectory(prefix: "strongroom-connection-settings")
        let database = try StrongroomDatabase(dataDirectory: directory.path)
        let writer = try await database.write { db in
            (try Int.fetchOne(db, sql: "PRAGMA cache_size"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(writer.0 == -32768 && writer.1 == 2)
        let reader = try await GroupReader(database: database).read { db in
            (try Int.fetchOne(db, sql: "PRAGMA cache_size"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(reader.0 == -8192 && reader.1 == 2)
    }
}

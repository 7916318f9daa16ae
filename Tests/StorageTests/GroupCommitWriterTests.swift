import Foundation
import GRDB
@testable import Storage
import Testing
import TestSupport

/// The group committer's contract: writes share transactions, and a write that throws is rolled back alone.
@Suite("Group commit")
struct GroupCommitWriterTests {
    struct Refused: Error, Equatable { let n: Int }

    /// Whether write `n` throws: with `failEvery` 0 none does, with 1 every one, with 7 one in seven.
    static func fails(_ n: Int, every failEvery: Int) -> Bool { failEvery > 0 && n % failEvery == 3 % failEvery }

    @Test("in a shared batch, a write that throws leaves nothing and its neighbours all commit", arguments: [0, 1, 7])
    func failingWriteIsRolledBackAlone(failEvery: Int) async throws {
        let directory = TemporaryDirectory(prefix: "strongroom-group-commit")
        let database = try StrongroomDatabase(dataDirectory: directory.path)
        try await database.write { db in try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY, half INTEGER)") }
        let writer = GroupCommitWriter(database: database)
        let count = 400
        let results = await withTaskGroup(of: (Int, Result<Int, any Error>).self) { group in
            for n in 0..<count {
                group.addTask {
                    do {
                        let value = try await writer.write { db -> Int in
                            try db.execute(sql: "INSERT INTO t (n, half) VALUES (?, ?)", arguments: [n, n / 2])
                            // A failure after a successful statement: the row above must not survive.
                            if Self.fails(n, every: failEvery) { throw Refused(n: n) }
                            return n * 10
                        }
                        return (n, .success(value))
                    } catch {
                        return (n, .failure(error))
                    }
                }
            }
            var all: [(Int, Result<Int, any Error>)] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(results.count == count)
        let planned = (0..<count).filter { Self.fails($0, every: failEvery) }.count
        #expect(planned == [0: 0, 1: count, 7: 57][failEvery], "the fault injector fails the writes it is meant to")
        var expected: Set<Int> = []
        var failed = 0
        for (n, result) in results {
            let shouldFail = Self.fails(n, every: failEvery)
            switch result {
            case .success(let value):
                #expect(!shouldFail && value == n * 10)
                expected.insert(n)
            case .failure(let error):
                #expect(shouldFail && (error as? Refused) == Refused(n: n), "write \(n) failed with \(error)")
                failed += 1
            }
        }
        #expect(failed == planned)
        let stored = Set(try await database.read { db in try Int.fetchAll(db, sql: "SELECT n FROM t") })
        #expect(stored == expected)
        let statistics = writer.statistics
        #expect(statistics.writes == count)
        #expect(statistics.batches < count, "\(statistics.batches) batches for \(count) writes: commits were not shared")
    }
}

/// WAL checkpoints run off the commit path, and still happen.
@Suite("Background WAL checkpoints")
struct WALCheckpointerTests {
    @Test("the writer checkpoints in its commits only past a higher threshold; the background checkpointer copies the WAL back")
    func walIsCopiedBackOffTheCommitPath() async throws {
        let directory = TemporaryDirectory(prefix: "strongroom-wal")
        let database = try StrongroomDatabase(dataDirectory: directory.path)
        let writer = GroupCommitWriter(database: database)
        let checkpointer = try #require(writer.checkpointer)
        let automatic = try await database.write { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") }
        #expect(automatic == GroupCommitWriter.automaticCheckpointPages)
        try await writer.write { db in try db.execute(sql: "CREATE TABLE blobs (n INTEGER PRIMARY KEY, data BLOB)") }
        let sizeBefore = (try? FileManager.default.attributesOfItem(atPath: database.path)[.size] as? Int) ?? 0
        await withTaskGroup(of: Void.self) { group in
            for n in 0..<2000 {
                group.addTask { _ = try? await writer.write { db in try db.execute(sql: "INSERT INTO blobs VALUES (?, randomblob(2000))", arguments: [n]) } }
            }
        }
        let result = try checkpointer.checkpointNow()
        #expect(result.walFrameCount == result.checkpointedFrameCount, "every WAL frame is in the database file")
        let sizeAfter = (try? FileManager.default.attributesOfItem(atPath: database.path)[.size] as? Int) ?? 0
        #expect(sizeAfter >= sizeBefore + 2000 * 2000, "the rows reached the database file, not just the WAL")
        let count = try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM blobs") }
        #expect(count == 2000)
    }
}

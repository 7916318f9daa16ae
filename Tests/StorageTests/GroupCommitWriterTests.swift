import Foundation
import GRDB
import Storage
import Testing
import TestSupport

/// The group committer's contract: writes share transactions, and a write that throws is rolled back alone.
@Suite("Group commit")
struct GroupCommitWriterTests {
    struct Refused: Error, Equatable { let n: Int }

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
                            if failEvery > 0, n % failEvery == 3 { throw Refused(n: n) }
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
        var expected: Set<Int> = []
        for (n, result) in results {
            let shouldFail = failEvery > 0 && n % failEvery == 3
            switch result {
            case .success(let value):
                #expect(!shouldFail && value == n * 10)
                expected.insert(n)
            case .failure(let error):
                #expect(shouldFail && (error as? Refused) == Refused(n: n), "write \(n) failed with \(error)")
            }
        }
        let stored = Set(try await database.read { db in try Int.fetchAll(db, sql: "SELECT n FROM t") })
        #expect(stored == expected)
        let statistics = writer.statistics
        #expect(statistics.writes == count)
        #expect(statistics.batches < count, "\(statistics.batches) batches for \(count) writes: commits were not shared")
    }
}

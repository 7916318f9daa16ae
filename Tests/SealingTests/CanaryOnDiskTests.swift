import Foundation
import GRDB
import Keyring
import Sealing
import Storage
import Testing
import TestSupport

@Suite("Plaintext never reaches disk")
struct CanaryOnDiskTests {
    @Test("a sealed canary appears nowhere in the database file or its WAL")
    func canaryAbsent() throws {
        let keys = try TestKeys()
        let sealer = FieldSealer(keyring: keys.keyring)
        let indexer = BlindIndexer(keyring: keys.keyring)
        let data = TemporaryDirectory(prefix: "strongroom-data")
        let database = try StrongroomDatabase(dataDirectory: data.path)
        let canaries = (0..<50).map { "CANARY-\($0)-7f3e91c2-Ωmega" }
        try database.write { db in
            try db.execute(sql: "CREATE TABLE sealed_test (id TEXT PRIMARY KEY, value BLOB NOT NULL, idx BLOB NOT NULL)")
            for (n, canary) in canaries.enumerated() {
                let place = FieldPlace(collection: "sealed_test", recordID: "rec-\(n)", field: "value")
                let sealed = try sealer.seal(Array(canary.utf8), for: place)
                let index = try indexer.index(canary, normalization: .exact, collection: "sealed_test", field: "value")
                try db.execute(
                    sql: "INSERT INTO sealed_test (id, value, idx) VALUES (?, ?, ?)",
                    arguments: ["rec-\(n)", Data(sealed), Data(index.bytes)])
            }
        }
        // Read back through the sealer to prove the rows are the real thing.
        let first = try database.readBlocking { db in try Data.fetchOne(db, sql: "SELECT value FROM sealed_test WHERE id = 'rec-0'")! }
        #expect(try sealer.open([UInt8](first), at: FieldPlace(collection: "sealed_test", recordID: "rec-0", field: "value")) == Array(canaries[0].utf8))

        let files = try FileManager.default.contentsOfDirectory(atPath: data.path)
        #expect(files.contains { $0.hasSuffix("-wal") }, "the WAL must exist while the pool is open")
        for file in files {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: data.appending(file)))
            for canary in canaries {
                #expect(bytes.range(of: Data(canary.utf8)) == nil, "\(file) holds a canary")
            }
            #expect(bytes.range(of: Data("CANARY".utf8)) == nil)
        }
    }
}

import AuditLog
import Foundation
import GRDB
import Storage
import Testing
import TestSupport

/// The auditor's and security officer's commands against an insider's edits of the database file: strict
/// verification, a checkpoint saved only after it verifies, no checkpoint signed over a rewrite, and re-anchoring.
@Suite struct AuditStrictCommandTests {
    let temp = TemporaryDirectory()
    var keys: String { temp.appending("Keys") }
    var data: String { temp.appending("data") }
    var pub: String { keys + "/audit-signing.pub" }
    var database: String { data + "/strongroom.sqlite" }

    func setUp() async throws {
        #expect(await run(["init", "--keys", keys, "--data", data]) == 0)
        let administrator = try await TestOperator.add(keys: keys, data: data, login: "admin@agency.example", roles: ["administrator"])
        for index in 0..<3 {
            #expect(await administrator.run([
                "staff", "add", "--keys", keys, "--data", data, "--catalog", repositoryRoot + "/Catalog",
                "--policies", repositoryRoot + "/Policies", "--login", "officer\(index)@agency.example", "--role", "auditor",
            ]) == 0)
            #expect(await run(["audit", "checkpoint", "--data", data, "--keys", keys, "--new"]) == 0)
        }
        #expect(await run(["audit", "verify", "--data", data, "--public-key", pub]) == 0)
    }

    func databasePath() throws -> String {
        let names = try FileManager.default.contentsOfDirectory(atPath: data).filter { $0.hasSuffix(".sqlite") }
        return data + "/" + (try #require(names.first))
    }

    @Test func verifyFailsWhenTheCheckpointsWereDeleted() async throws {
        try await setUp()
        try LogForger.withDatabase(path: try databasePath()) { db in try LogForger.deleteCheckpoints(above: 0, in: db) }
        #expect(await run(["audit", "verify", "--data", data, "--public-key", pub]) == 1)
        // Forensic reading still works, with warnings.
        #expect(await run(["audit", "verify", "--data", data, "--public-key", pub, "--allow-unsigned-tail"]) == 0)
    }

    @Test func verifyFailsOnALongUnsignedTail() async throws {
        try await setUp()
        // Keep only the first checkpoint (size 1): the rest of the log is unsigned.
        try LogForger.withDatabase(path: try databasePath()) { db in try LogForger.deleteCheckpoints(above: 1, in: db) }
        #expect(await run(["audit", "verify", "--data", data, "--public-key", pub, "--max-unsigned-entries", "2"]) == 1)
        #expect(await run(["audit", "verify", "--data", data, "--public-key", pub, "--max-unsigned-entries", "1000"]) == 0)
        #expect(await run(["audit", "verify", "--data", data, "--public-key", pub, "--origin", "elsewhere.example/audit"]) == 1)
    }

    @Test func aForgedNewestCheckpointIsNotSaved() async throws {
        try await setUp()
        // The insider inserts a checkpoint of their own (signed by a key of another installation) as the newest row.
        let otherKeys = temp.appending("OtherKeys"), otherData = temp.appending("otherdata")
        #expect(await run(["init", "--keys", otherKeys, "--data", otherData]) == 0)
        let foreign = temp.appending("foreign.txt")
        #expect(await run(["audit", "checkpoint", "--data", otherData, "--public-key", otherKeys + "/audit-signing.pub", "--save", foreign]) == 0)
        let note = try String(contentsOfFile: foreign, encoding: .utf8)
        try LogForger.withDatabase(path: try databasePath()) { db in
            try db.execute(sql: "INSERT INTO audit_checkpoint (tree_size, created_ms, note) VALUES (1, 0, ?)", arguments: [note])
        }
        let saved = temp.appending("saved.txt")
        #expect(await run(["audit", "checkpoint", "--data", data, "--public-key", pub, "--save", saved]) == 1)
        #expect(!FileManager.default.fileExists(atPath: saved))
    }

    @Test func noCheckpointIsSignedOverARewriteUntilReAnchored() async throws {
        try await setUp()
        #expect(await run(["audit", "anchor", "--keys", keys, "--data", data]) == 0)
        // Rewrite the second entry with every hash recomputed and its checkpoints deleted.
        try LogForger.withDatabase(path: try databasePath()) { db in
            try LogForger.rewrite(seq: 1, in: db) { $0.details["note"] = "rewritten" }
            try LogForger.deleteCheckpoints(above: 1, in: db)
        }
        let before = try await DatabaseQueue(path: try databasePath()).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM audit_checkpoint") }
        #expect(await run(["audit", "checkpoint", "--data", data, "--keys", keys, "--new"]) == 1)
        let after = try await DatabaseQueue(path: try databasePath()).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM audit_checkpoint") }
        #expect(before == after)
        // After investigation the officer re-anchors explicitly; the reset is itself in the log, and signing resumes.
        #expect(await run(["audit", "anchor", "--keys", keys, "--data", data, "--reset"]) == 0)
        #expect(await run(["audit", "checkpoint", "--data", data, "--keys", keys, "--new"]) == 0)
        let actions = try await DatabaseQueue(path: try databasePath()).read { try String.fetchAll($0, sql: "SELECT action FROM audit_entry") }
        #expect(actions.contains("audit.anchor-reset"))
    }
}

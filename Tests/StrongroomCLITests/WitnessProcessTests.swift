import AuditLog
import Foundation
import GRDB
import Keyring
import Storage
import Testing
import TestSupport

/// A real witness process beside a real server process: the server submits each checkpoint with its consistency
/// proof, stores the cosignatures, and `audit verify --witness` passes; then an insider holding the database and the
/// key directory rewrites history and makes the server sign the rewrite — the witness refuses to cosign it and
/// `audit verify --witness` fails, while verification with the log's own key alone is fooled.
@Suite(.serialized) struct WitnessProcessTests {
    let temp = TemporaryDirectory()
    var keys: String { temp.appending("Keys") }
    var data: String { temp.appending("data") }
    var witnessDirectory: String { temp.appending("witness") }
    var pub: String { keys + "/audit-signing.pub" }
    var witnessPub: String { witnessDirectory + "/witness.pub" }

    func startServer(log: String) async throws -> ChildProcess {
        try await ChildProcess.start([
            "serve", "--keys", keys, "--data", data, "--catalog", repositoryRoot + "/Catalog", "--policies", repositoryRoot + "/Policies",
            "--port", "0", "--payment-provider", "offline-test", "--checkpoint-every-seconds", "1",
        ], logPath: temp.appending(log))
    }

    func witnessedSize() throws -> UInt64 {
        let json = try Data(contentsOf: URL(fileURLWithPath: witnessDirectory + "/witness.state"))
        let state = try JSONSerialization.jsonObject(with: json) as? [String: Any]
        let logs = state?["logs"] as? [[String: Any]] ?? []
        return (logs.first?["size"] as? NSNumber)?.uint64Value ?? 0
    }

    func databasePath() throws -> String {
        let names = try FileManager.default.contentsOfDirectory(atPath: data).filter { $0.hasSuffix(".sqlite") }
        return data + "/" + (try #require(names.first))
    }

    @Test func aWitnessCosignsTheHonestLogAndRefusesARewrite() async throws {
        #expect(await run(["init", "--keys", keys, "--data", data]) == 0)
        #expect(await run(["witness", "init", "--dir", witnessDirectory, "--name", "dpa.test/witness"]) == 0)
        #expect(await run(["witness", "add-log", "--dir", witnessDirectory, "--key", pub]) == 0)
        let witness = try await ChildProcess.start(["witness", "serve", "--dir", witnessDirectory, "--port", "0"], logPath: temp.appending("witness.log"))
        defer { witness.stop() }
        let witnessKey = try String(contentsOfFile: witnessPub, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        try "# test witness\n\(witnessKey) http://127.0.0.1:\(witness.port)\n".write(toFile: keys + "/witnesses", atomically: true, encoding: .utf8)
        #expect(chmod(keys + "/witnesses", 0o600) == 0)

        // 1. The honest log: the server's first checkpoint is cosigned and stored beside it.
        var server = try await startServer(log: "server-1.log")
        #expect(await server.waitForOutput { $0.contains("checkpoint cosigned by witness") }, "server log: \(server.output.suffix(3000))")
        server.stop()
        let honestSize = try witnessedSize()
        #expect(honestSize > 0)
        #expect(await run(["audit", "verify", "--data", data, "--public-key", pub, "--witness", witnessPub]) == 0)
        // More witnesses required than trusted keys given: refused as a usage error, not a pass.
        #expect(await run(["audit", "verify", "--data", data, "--public-key", pub, "--witness", witnessPub, "--min-witnesses", "2"]) != 0)
        // The export bundle carries the cosignatures.
        let bundle = temp.appending("audit.bundle")
        #expect(await run(["audit", "export", "--data", data, "--public-key", pub, "--out", bundle]) == 0)
        #expect(await run(["audit", "verify", "--bundle", bundle, "--public-key", pub, "--witness", witnessPub]) == 0)

        // 2. The insider holds the database and the key directory: they rewrite entry 1 with every hash recomputed,
        // replace the checkpoints with one they sign with the audit key over the rewritten log, and remove the signer's
        // anchor, so the restarted server adopts the rewrite (it verifies against the public key) and signs on.
        let signer = try AuditCheckpointSigner(
            name: "strongroom-audit", keyPair: try Keyring.open(KeyDirectory(path: keys)).auditSigningKeyPair())
        try LogForger.withDatabase(path: try databasePath()) { db in
            try LogForger.rewrite(seq: 1, in: db) { $0.details["note"] = "rewritten by an insider" }
            try LogForger.deleteCheckpoints(above: 0, in: db)
            let store = SQLiteAuditStore(reader: try DatabaseQueue())
            let size = try UInt64(Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_entry") ?? 0)
            let forged = signer.sign(AuditCheckpoint(origin: "strongroom.local/audit", size: size, rootHash: try store.root(size: size, in: db)))
            try db.execute(sql: "INSERT INTO audit_checkpoint (tree_size, created_ms, note) VALUES (?, 0, ?)", arguments: [Int64(size), forged.text])
        }
        try FileManager.default.removeItem(atPath: keys + "/audit-signer.state")
        server = try await startServer(log: "server-2.log")
        #expect(await server.waitForOutput { $0.contains("AUDIT LOG REWRITTEN") }, "server log: \(server.output.suffix(3000))")
        server.stop()

        // The server signed the rewrite with its own key, so verification with that key alone passes…
        #expect(await run(["audit", "verify", "--data", data, "--public-key", pub]) == 0)
        // …but the witness refused it: it still holds the honest size, kept the request as evidence, and
        // verification that requires the witness fails.
        #expect(try witnessedSize() == honestSize)
        let evidence = (try? FileManager.default.contentsOfDirectory(atPath: witnessDirectory + "/evidence")) ?? []
        #expect(evidence.count >= 1)
        #expect(witness.output.contains("REFUSED"))
        #expect(await run(["audit", "verify", "--data", data, "--public-key", pub, "--witness", witnessPub]) == 1)
    }
}

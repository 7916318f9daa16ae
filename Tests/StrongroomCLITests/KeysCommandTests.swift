import ArgumentParser
import Foundation
import GRDB
import Keyring
import Storage
import Testing
import TestSupport

@testable import StrongroomCLI

@Suite("strongroom keys")
struct KeysCommandTests {
    /// A fresh installation made by `init`, with an administrator and a caseworker the administrator added (their
    /// logins and authenticator secrets are sealed: 4 fields).
    private func installation() async throws -> (temp: TemporaryDirectory, keys: String, data: String, common: [String], admin: TestOperator) {
        let temp = TemporaryDirectory()
        let keys = temp.appending("Keys"), data = temp.appending("data")
        #expect(await run(["init", "--keys", keys, "--data", data]) == 0)
        let common = ["--keys", keys, "--data", data, "--catalog", repositoryRoot + "/Catalog", "--policies", repositoryRoot + "/Policies"]
        let admin = try await TestOperator.add(keys: keys, data: data, login: "admin@agency.example", roles: ["administrator"])
        #expect(await admin.run(["staff", "add", "--login", "kim@agency.example", "--role", "caseworker", "--office", "central"] + common) == 0)
        return (temp, keys, data, common, admin)
    }

    private func sealedVersions(_ data: String) async throws -> [Int64: Int] {
        try await StrongroomDatabase.openReadOnly(dataDirectory: data).read { db in
            var out: [Int64: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT key_version, COUNT(*) FROM sealed_fields GROUP BY key_version") { out[row[0]] = row[1] }
            return out
        }
    }

    private func keyOperations(_ data: String) async throws -> [String] {
        try await StrongroomDatabase.openReadOnly(dataDirectory: data).read { db in
            try String.fetchAll(db, sql: "SELECT action FROM audit_entry ORDER BY seq")
        }.filter { $0.hasPrefix("keys.") || $0.hasPrefix("audit.key") }
    }

    @Test("rotate --data, rewrap (dry run, then real), retire, status: the whole life cycle, audited, and the log verifies")
    func dataKeyLifeCycle() async throws {
        let (temp, keys, data, common, admin) = try await installation()
        let original = temp.appending("original.pub")
        try FileManager.default.copyItem(atPath: keys + "/audit-signing.pub", toPath: original)
        #expect(try await sealedVersions(data) == [1: 4])
        #expect(await run(["keys", "rotate", "--data", "--keys", keys, "--data-directory", data]) == 0)
        #expect(await run(["keys", "rotate", "--data", "index", "--keys", keys, "--data-directory", data]) == 0)
        #expect(await run(["keys", "retire", "--below", "2", "--keys", keys, "--data", data]) == 1)  // fields remain
        #expect(await run(["keys", "rewrap", "--dry-run"] + common) == 0)
        #expect(try await sealedVersions(data) == [1: 4])
        #expect(await run(["keys", "rewrap", "--batch", "1"] + common) == 0)
        #expect(try await sealedVersions(data) == [2: 4])
        #expect(await run(["keys", "retire", "--below", "2", "--keys", keys, "--data", data]) == 0)
        #expect(await run(["keys", "status", "--keys", keys, "--data", data]) == 0)
        #expect(await run(["keys", "status", "--keys", keys, "--data", data, "--json"]) == 0)
        let keyring = try Keyring.open(KeyDirectory(path: keys))
        #expect(keyring.status().first { $0.id == .records && $0.version == 1 }?.state == .retired)
        #expect(try await keyOperations(data) == ["keys.create", "keys.rotate", "keys.rotate", "keys.rewrap", "keys.rewrap", "keys.retire"])
        // The staff members still sign in after the rotation (the administrator does, as the operator of `staff list`,
        // whose code opens under the new version), and `staff list` opens the sealed logins.
        #expect(await admin.run(["staff", "list"] + common) == 0)
        #expect(await run(["audit", "checkpoint", "--new", "--data", data, "--keys", keys]) == 0)
        #expect(await run(["audit", "verify", "--data", data, "--public-key", original]) == 0)
    }

    @Test("rotate --audit-signing: an auditor with the original public key still verifies, and new checkpoints use the new key")
    func auditSigningRotation() async throws {
        let (temp, keys, data, _, _) = try await installation()
        let original = temp.appending("original.pub")
        try FileManager.default.copyItem(atPath: keys + "/audit-signing.pub", toPath: original)
        #expect(await run(["keys", "rotate", "--audit-signing", "--keys", keys, "--data-directory", data]) == 0)
        #expect(await run(["audit", "checkpoint", "--new", "--data", data, "--keys", keys]) == 0)
        #expect(await run(["audit", "verify", "--data", data, "--public-key", original]) == 0)
        #expect(await run(["audit", "verify", "--data", data, "--public-key", keys + "/audit-signing.pub"]) == 0)
        #expect(await run(["keys", "rotate", "--audit-signing", "--keys", keys, "--data-directory", data]) == 0)
        #expect(await run(["audit", "checkpoint", "--new", "--data", data, "--keys", keys]) == 0)
        #expect(await run(["audit", "verify", "--data", data, "--public-key", original]) == 0)
        #expect(try await keyOperations(data).filter { $0 == "audit.key-handover" }.count == 2)
    }

    @Test("rotate --root: the key directory and data keep working, passphrase protection is kept")
    func rootRotation() async throws {
        let (temp, keys, data, common, admin) = try await installation()
        let before = try Data(contentsOf: URL(fileURLWithPath: keys + "/root.key"))
        #expect(await run(["keys", "rotate", "--root", "--keys", keys, "--data-directory", data]) == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: keys + "/root.key")) != before)
        #expect(await admin.run(["staff", "list"] + common) == 0)
        #expect(await run(["audit", "checkpoint", "--new", "--data", data, "--keys", keys]) == 0)
        #expect(await run(["audit", "verify", "--data", data, "--public-key", keys + "/audit-signing.pub"]) == 0)
        // Moving to passphrase protection with --new-passphrase-file, then keeping it.
        let passphrase = temp.appending("pass.txt")
        try "a long test passphrase\n".write(toFile: passphrase, atomically: true, encoding: .utf8)
        #expect(await run(["keys", "rotate", "--root", "--keys", keys, "--data-directory", data, "--new-passphrase-file", passphrase]) == 0)
        #expect(try Keyring.needsPassphrase(KeyDirectory(path: keys)))
        #expect(await run(["keys", "rotate", "--root", "--keys", keys, "--data-directory", data, "--passphrase-file", passphrase]) == 0)
        #expect(try Keyring.needsPassphrase(KeyDirectory(path: keys)))
        #expect(await run(["keys", "status", "--keys", keys, "--data", data, "--passphrase-file", passphrase]) == 0)
    }

    @Test("bad key arguments are validation errors", arguments: [
        ["keys", "rotate"], ["keys", "rotate", "--data", "--root"], ["keys", "rotate", "--root", "index"],
        ["keys", "rotate", "--data", "subjects"], ["keys", "rewrap", "--batch", "0"], ["keys", "retire"],
    ])
    func badArguments(arguments: [String]) async {
        #expect(await run(arguments) != 0)
    }

    @Test("status flags overdue keys, in the table and in JSON, and shows what remains under each version")
    func statusReport() throws {
        let now = Date()
        let statuses = [
            KeyStatus(id: .index, version: 1, createdAt: now.addingTimeInterval(-10 * 86_400), state: .active),
            KeyStatus(id: .records, version: 1, createdAt: now.addingTimeInterval(-400 * 86_400), state: .decryptOnly),
            KeyStatus(id: .records, version: 2, createdAt: now.addingTimeInterval(-366 * 86_400), state: .active),
        ]
        let report = KeyStatusReport(
            statuses: statuses, directory: "K", maximumAgeDays: 365, sealedFields: [1: 7, 2: 3], indexRows: [1: 4], now: now)
        let table = report.render(json: false)
        #expect(table.contains("OVERDUE") && table.contains("yes (> 365d)") && table.contains("7 fields") && table.contains("4 index rows"))
        #expect(table.contains("Overdue keys"))
        let lines = report.render(json: true).split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(lines.map { $0["overdue"] as? Bool } == [false, false, true])
        #expect(lines.map { $0["sealedFields"] as? Int } == [nil, 7, 3])
        #expect(lines[0]["indexRows"] as? Int == 4)
    }
}

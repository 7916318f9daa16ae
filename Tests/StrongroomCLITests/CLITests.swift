import ArgumentParser
import Foundation
import GRDB
import Keyring
import Storage
import Strongroom
import Testing
import TestSupport

@testable import StrongroomCLI

/// Runs a command line in process and returns the exit code it ends with (0 when it returns normally).
func run(_ arguments: [String]) async -> Int32 {
    do {
        var command = try StrongroomCommand.parseAsRoot(arguments)
        if var asyncCommand = command as? any AsyncParsableCommand {
            try await asyncCommand.run()
        } else {
            try command.run()
        }
        return 0
    } catch {
        return StrongroomCommand.exitCode(for: error).rawValue
    }
}

let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// Runs `strongroom init` in `keys` and `data` and opens the installation it made with this repository's catalog and
/// policies (minimum Argon2id cost), as a server beside the command line would.
func initializedInstallation(keys: String, data: String) async throws -> Installation {
    #expect(await run(["init", "--keys", keys, "--data", data]) == 0)
    var configuration = StrongroomConfiguration(
        keys: KeyDirectory(path: keys), dataDirectory: data, catalogDirectory: repositoryRoot + "/Catalog",
        policyDirectory: repositoryRoot + "/Policies")
    configuration.passwordLimits = .minimumForTesting
    return try Installation(configuration: configuration)
}

@Suite("strongroom CLI")
struct CLITests {
    @Test("init creates keys, database and the first audit entry; a second init is refused")
    func initOnce() async throws {
        let temp = TemporaryDirectory()
        let keys = temp.appending("Keys"), data = temp.appending("data")
        #expect(await run(["init", "--keys", keys, "--data", data]) == 0)
        for file in ["root.key", "keyring.json", "audit-signing.key", "audit-signing.pub"] {
            #expect(FileManager.default.fileExists(atPath: keys + "/" + file))
        }
        let count = try await StrongroomDatabase.openReadOnly(dataDirectory: data).read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_entry")
        }
        #expect(count == 1)
        #expect(await run(["init", "--keys", keys, "--data", data]) == 1)
        #expect(await run(["keys", "status", "--keys", keys]) == 0)
        #expect(await run(["keys", "status", "--keys", keys, "--json"]) == 0)
    }

    @Test("a key file with loose permissions stops every command with exit 1")
    func loosePermissions() async throws {
        let temp = TemporaryDirectory()
        let keys = temp.appending("Keys")
        #expect(await run(["init", "--keys", keys, "--data", temp.appending("data")]) == 0)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keys + "/root.key")
        #expect(await run(["keys", "status", "--keys", keys]) == 1)
        #expect(await run(["keys", "status", "--keys", temp.appending("missing")]) == 1)
    }

    @Test("audit verify passes on a fresh log and fails once an entry is altered")
    func auditVerifyDetectsTampering() async throws {
        let temp = TemporaryDirectory()
        let keys = temp.appending("Keys"), data = temp.appending("data")
        #expect(await run(["init", "--keys", keys, "--data", data]) == 0)
        let pub = keys + "/audit-signing.pub"
        #expect(await run(["audit", "verify", "--data", data, "--public-key", pub]) == 0)
        let saved = temp.appending("checkpoint.txt")
        #expect(await run(["audit", "checkpoint", "--data", data, "--public-key", pub, "--save", saved]) == 0)
        #expect(await run(["audit", "verify", "--data", data, "--public-key", pub, "--since", saved]) == 0)
        let bundle = temp.appending("bundle.jsonl")
        #expect(await run(["audit", "export", "--data", data, "--public-key", pub, "--out", bundle]) == 0)
        #expect(await run(["audit", "verify", "--bundle", bundle, "--public-key", pub]) == 0)
        #expect(await run(["audit", "prove", "--data", data, "--entry", "0"]) == 0)
        #expect(await run(["audit", "show", "--data", data, "--json"]) == 0)

        // An insider with SQL access drops the trigger and rewrites the first entry's action.
        let database = try StrongroomDatabase(dataDirectory: data)
        try await database.write { db in
            let triggers = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_entry'")
            for trigger in triggers { try db.execute(sql: "DROP TRIGGER \(trigger)") }
            let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(audit_entry)").map { $0["name"] as String }
            if columns.contains("action") {
                try db.execute(sql: "UPDATE audit_entry SET action = 'keys.nothing-happened' WHERE seq = 0")
            }
            if columns.contains("canonical") {
                try db.execute(sql: "UPDATE audit_entry SET canonical = substr(canonical, 1, length(canonical) - 1) || x'00' WHERE seq = 0")
            }
        }
        #expect(await run(["audit", "verify", "--data", data, "--public-key", pub]) == 1)
        let otherKeys = temp.appending("OtherKeys")
        #expect(await run(["init", "--keys", otherKeys, "--data", temp.appending("otherdata")]) == 0)
        #expect(await run(["audit", "verify", "--bundle", bundle, "--public-key", otherKeys + "/audit-signing.pub"]) == 1)
    }

    @Test func policyAndCatalogChecksPass() async throws {
        let policies = repositoryRoot + "/Policies", catalog = repositoryRoot + "/Catalog"
        #expect(await run(["catalog", "check", "--catalog", catalog]) == 0)
        #expect(await run(["policy", "check", "--policies", policies, "--catalog", catalog]) == 0)
        #expect(await run(["policy", "test", "--policies", policies, "--catalog", catalog]) == 0)
        #expect(await run([
            "policy", "explain", "--policies", policies, "--catalog", catalog, "principal.roles=caseworker", "principal.kind=staff",
            "principal.office=central", "action=read", "resource.type=request", "resource.office=central",
            "resource.service=benefit-application", "context.purpose=case-handling", "context.auth_strength=mfa",
        ]) == 0)
    }

    @Test("a broken catalog fails the check with exit 1")
    func brokenCatalog() async throws {
        let temp = TemporaryDirectory()
        try "id: Broken Service\ntitle: x\n".write(toFile: temp.appending("broken.yaml"), atomically: true, encoding: .utf8)
        #expect(await run(["catalog", "check", "--catalog", temp.path]) == 1)
    }

    @Test("bad arguments are validation errors, not crashes", arguments: [
        ["serve", "--port", "70000"], ["audit", "prove"], ["staff", "add", "--login", "x@y.z", "--role", "wizard"], ["no-such-command"],
    ])
    func badArguments(arguments: [String]) async {
        #expect(await run(arguments) != 0)
    }

    @Test("staff accounts are created, listed and disabled through the CLI")
    func staffCommands() async throws {
        let temp = TemporaryDirectory()
        let keys = temp.appending("Keys"), data = temp.appending("data")
        #expect(await run(["init", "--keys", keys, "--data", data]) == 0)
        let common = ["--keys", keys, "--data", data, "--catalog", repositoryRoot + "/Catalog", "--policies", repositoryRoot + "/Policies"]
        let admin = try await TestOperator.add(keys: keys, data: data, login: "root@agency.example", roles: ["administrator"])
        #expect(await admin.run(["staff", "add", "--login", "carol@agency.example", "--role", "caseworker", "--office", "central"] + common) == 0)
        #expect(await admin.run(["staff", "add", "--login", "carol@agency.example", "--role", "caseworker", "--office", "central"] + common) == 1)
        #expect(await admin.run(["staff", "add", "--login", "x@agency.example", "--role", "caseworker"] + common) == 1)
        #expect(await admin.run(["staff", "list"] + common) == 0)
        #expect(await admin.run(["staff", "disable", "--login", "carol@agency.example"] + common) == 0)
        #expect(await run(["demo", "code", "carol@agency.example"] + common) == 1)
    }
}

@Suite struct ServePaymentProviderTests {
    @Test("outside --demo, serve refuses to start on a catalog with fees unless a payment provider is named")
    func serveNeedsANamedProvider() async throws {
        let temp = TemporaryDirectory()
        let keys = temp.appending("Keys"), data = temp.appending("data")
        #expect(await run(["init", "--keys", keys, "--data", data]) == 0)
        let common = ["serve", "--keys", keys, "--data", data, "--catalog", repositoryRoot + "/Catalog", "--policies", repositoryRoot + "/Policies", "--port", "0"]
        #expect(await run(common) == 1)
        #expect(await run(common + ["--payment-provider", "none"]) == 1)
        #expect(await run(common + ["--payment-provider", "stripe-live"]) != 0)
    }
}

@Suite struct DemoModeTests {
    @Test("serve --demo refuses an installation it did not create, and adds no account to it")
    func demoRefusesARealInstallation() async throws {
        let temp = TemporaryDirectory()
        let keys = temp.appending("Keys"), data = temp.appending("data")
        #expect(await run(["init", "--keys", keys, "--data", data]) == 0)
        let before = try await DatabaseQueue(path: data + "/strongroom.sqlite").read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM accounts") }
        #expect(await run([
            "serve", "--demo", "--keys", keys, "--data", data, "--catalog", repositoryRoot + "/Catalog",
            "--policies", repositoryRoot + "/Policies", "--port", "0",
        ]) == 1)
        let after = try await DatabaseQueue(path: data + "/strongroom.sqlite").read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM accounts") }
        #expect(before == after)
        #expect(!DemoData.isDemo(dataDirectory: data))
    }

    @Test("demo code prints codes only for the accounts demo mode created")
    func demoCodeOnlyForDemoAccounts() async throws {
        let temp = TemporaryDirectory()
        let keys = temp.appending("Keys"), data = temp.appending("data")
        let installation = try await initializedInstallation(keys: keys, data: data)
        _ = try await DemoData.seed(installation)
        let common = ["--keys", keys, "--data", data, "--catalog", repositoryRoot + "/Catalog", "--policies", repositoryRoot + "/Policies"]
        let admin = try await TestOperator.add(to: installation, login: "real.admin@agency.example", roles: ["administrator"])
        #expect(await admin.run(["staff", "add", "--login", "real.person@agency.example", "--role", "caseworker", "--office", "central"] + common) == 0)
        #expect(await run(["demo", "code", "carol@agency.example"] + common) == 0)
        #expect(await run(["demo", "code", "real.person@agency.example"] + common) == 1)
    }
}

@Suite struct RootPassphraseTests {
    @Test("init --protect-with-passphrase refuses an empty or weak passphrase and creates nothing; a strong one protects the root key")
    func weakPassphrasesAreRefused() async throws {
        let temp = TemporaryDirectory()
        for (name, passphrase) in [("empty", ""), ("short", "tiny words"), ("repetitive", "abababababababababab")] {
            let file = temp.appending("\(name).txt")
            try (passphrase + "\n").write(toFile: file, atomically: true, encoding: .utf8)
            let keys = temp.appending("Keys-\(name)")
            #expect(await run(["init", "--keys", keys, "--data", temp.appending("data-\(name)"), "--protect-with-passphrase", "--passphrase-file", file]) == 1)
            #expect(!FileManager.default.fileExists(atPath: keys + "/root.key"), "\(name)")
        }
        let file = temp.appending("strong.txt")
        try "correct horse battery staple\n".write(toFile: file, atomically: true, encoding: .utf8)
        let keys = temp.appending("Keys")
        #expect(await run(["init", "--keys", keys, "--data", temp.appending("data"), "--protect-with-passphrase", "--passphrase-file", file]) == 0)
        #expect(await run(["keys", "status", "--keys", keys, "--data", temp.appending("data"), "--passphrase-file", file]) == 0)
    }
}

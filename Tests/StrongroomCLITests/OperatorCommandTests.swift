import AuditLog
import Foundation
import GRDB
import Storage
import Strongroom
import Testing
import TestSupport

@testable import StrongroomCLI

/// Commands that read or change personal data run as an authenticated operator: a staff account signed in with
/// password and one-time code, decided by the gate with their roles and purpose, named in the audit log.
@Suite("CLI operator identity")
struct OperatorCommandTests {
    /// An installation made by `init` with a citizen and one member of staff per role.
    struct World {
        let temp = TemporaryDirectory()
        var keys: String { temp.appending("Keys") }
        var data: String { temp.appending("data") }
        var common: [String] {
            ["--keys", keys, "--data", data, "--catalog", repositoryRoot + "/Catalog", "--policies", repositoryRoot + "/Policies"]
        }
        let installation: Installation
        let subjectID: String
        let administrator: TestOperator
        let supervisor: TestOperator
        let auditor: TestOperator
        let caseworker: TestOperator
        static let citizenPassword = "correct horse battery staple"

        init() async throws {
            installation = try await initializedInstallation(keys: temp.appending("Keys"), data: temp.appending("data"))
            let access = AccessContext(requestID: "cli-test")
            try await installation.accounts.signUp(login: "aoife@example.ie", password: Self.citizenPassword, context: access)
            let citizen = try await installation.accounts.logIn(
                login: "aoife@example.ie", password: Self.citizenPassword, address: "198.51.100.7", context: access).caller
            subjectID = try #require(citizen.subjectID)
            administrator = try await TestOperator.add(to: installation, login: "ada@agency.example", roles: ["administrator"])
            supervisor = try await TestOperator.add(to: installation, login: "sam@agency.example", roles: ["supervisor"], office: "central")
            auditor = try await TestOperator.add(to: installation, login: "aud@agency.example", roles: ["auditor"])
            caseworker = try await TestOperator.add(to: installation, login: "cas@agency.example", roles: ["caseworker"], office: "central")
            for login in ["leaver@agency.example", "lost@agency.example"] {
                _ = try await TestOperator.add(to: installation, login: login, roles: ["caseworker"], office: "central")
            }
        }

        func op(_ role: String) -> TestOperator {
            switch role {
            case "administrator": administrator
            case "supervisor": supervisor
            case "auditor": auditor
            default: caseworker
            }
        }

        /// Entries of `action` (allowed and refused alike) by anyone but the set-up, from the database as it is now.
        func entries(_ action: String) async throws -> [AuditEntry] {
            let store = SQLiteAuditStore(reader: try StrongroomDatabase.openReadOnly(dataDirectory: data))
            return try await store.reader.read { db in
                try store.entries(matching: AuditQuery(action: action, limit: 1000), in: db).filter { $0.actor.id != "test-setup" }
            }
        }

        /// Rows per table, but for the audit log and the sessions (an operator who signs in has a session, revoked at the
        /// end): what a refused command must leave as it was.
        func recordCounts() async throws -> [String: Int] {
            try await StrongroomDatabase.openReadOnly(dataDirectory: data).read { db in
                var counts: [String: Int] = [:]
                let tables = try String.fetchAll(db, sql: """
                    SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%'
                    AND name NOT LIKE 'audit_%' AND name <> 'sessions'
                    """)
                for table in tables { counts[table] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") }
                return counts
            }
        }

        func verifies() async -> Bool {
            await run(["audit", "verify", "--data", data, "--public-key", keys + "/audit-signing.pub"]) == 0
        }
    }

    /// One command on personal data: who may run it (per the sample policies), who may not, and the audit action
    /// that records it.
    struct Case: Sendable, CustomTestStringConvertible {
        let arguments: @Sendable (World) -> [String]
        let allowed: String
        let refused: String
        let action: String
        let purpose: String
        let name: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(arguments: { ["subjects", "erase", $0.subjectID, "--basis", "GDPR art. 17 request 2026-7"] }, allowed: "supervisor",
             refused: "caseworker", action: "subject.erase", purpose: "legal-obligation", name: "subjects erase"),
        Case(arguments: { ["subjects", "access-report", $0.subjectID] }, allowed: "supervisor", refused: "auditor",
             action: "subject.access-report", purpose: "legal-obligation", name: "subjects access-report"),
        Case(arguments: { _ in ["staff", "add", "--login", "new@agency.example", "--role", "caseworker", "--office", "central"] },
             allowed: "administrator", refused: "supervisor", action: "staff.create", purpose: "administration", name: "staff add"),
        Case(arguments: { _ in ["staff", "list"] }, allowed: "administrator", refused: "caseworker", action: "staff.list",
             purpose: "administration", name: "staff list"),
        Case(arguments: { _ in ["staff", "disable", "--login", "leaver@agency.example"] }, allowed: "administrator", refused: "auditor",
             action: "staff.disable", purpose: "administration", name: "staff disable"),
        Case(arguments: { _ in ["staff", "reset-mfa", "--login", "lost@agency.example"] }, allowed: "administrator", refused: "caseworker",
             action: "staff.reset-mfa", purpose: "administration", name: "staff reset-mfa"),
        Case(arguments: { _ in ["retention", "run"] }, allowed: "supervisor", refused: "caseworker", action: "retention.sweep",
             purpose: "legal-obligation", name: "retention run"),
        Case(arguments: { _ in ["audit", "review"] }, allowed: "auditor", refused: "caseworker", action: "break-glass.list",
             purpose: "audit", name: "audit review"),
    ]

    @Test("refused without an operator, with a wrong password or code, and for a role the policies do not allow (audited); done and named in the log for the right role", arguments: cases)
    func operatorIsRequired(_ command: Case) async throws {
        let world = try await World()
        let arguments = command.arguments(world) + world.common
        let records = try await world.recordCounts()
        // No operator, and no terminal to ask on: a clear refusal, nothing done.
        #expect(await runWithoutOperator(arguments) == 1)
        #expect(await runWithoutOperator(arguments + ["--operator", world.op(command.allowed).login]) == 1, "a login without password and code")
        // A wrong password, then a wrong code: refused at sign-in, nothing done.
        let allowed = world.op(command.allowed)
        #expect(await allowed.run(arguments, password: "not the password at all") == 1)
        let code = try allowed.currentCode()
        let wrongCode = String(code.map { Character(String((Int(String($0))! + 5) % 10)) })
        #expect(await allowed.run(arguments, code: wrongCode) == 1)
        #expect(try await world.entries(command.action).isEmpty, "nothing was done or decided")
        #expect(try await world.recordCounts() == records)

        // A role the policies do not give this: the gate refuses, and the refusal names the account.
        let refused = world.op(command.refused)
        #expect(await refused.run(arguments) == 1)
        let denials = try await world.entries(command.action)
        #expect(denials.count == 1 && denials.first?.decision.effect == .deny, "\(denials)")
        #expect(denials.first?.actor.id == refused.accountID)
        #expect(try await world.recordCounts() == records)

        // The right role: done, and the log names the operator's account with the purpose.
        #expect(await allowed.run(arguments) == 0)
        let allowedEntries = try await world.entries(command.action).filter { $0.decision.effect == .allow }
        #expect(allowedEntries.count == 1, "\(allowedEntries)")
        #expect(allowedEntries.first?.actor.id == allowed.accountID)
        #expect(allowedEntries.first?.purpose == command.purpose)
        // The operator's session is over when the command is.
        let open = try await StrongroomDatabase.openReadOnly(dataDirectory: world.data).read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sessions WHERE account_id = ? AND revoked_at IS NULL", arguments: [allowed.accountID])
        }
        #expect(open == 0)
        #expect(await world.verifies())
    }

    @Test("a citizen's account is not an operator, even with the right password")
    func citizensAreNotOperators() async throws {
        let world = try await World()
        let environment = [OperatorSignIn.passwordVariable: World.citizenPassword, OperatorSignIn.codeVariable: "123456"]
        #expect(await runWithoutOperator(
            ["subjects", "access-report", world.subjectID, "--operator", "aoife@example.ie"] + world.common, environment: environment) == 1)
        #expect(try await world.entries("subject.access-report").isEmpty)
    }

    @Test("the sweep run by hand names its operator on every entry; the server's own sweep runs as the system")
    func retentionNamesItsOperator() async throws {
        let world = try await World()
        _ = try await world.installation.records.runRetention(signReceipt: false)
        #expect(await world.supervisor.run(["retention", "run"] + world.common) == 0)
        let sweeps = try await world.entries("retention.sweep")
        #expect(sweeps.map(\.actor.id) == ["retention", world.supervisor.accountID])
    }

    @Test("staff bootstrap makes the first administrator once, as the system; then administrators add staff")
    func bootstrap() async throws {
        let temp = TemporaryDirectory()
        let keys = temp.appending("Keys"), data = temp.appending("data")
        #expect(await run(["init", "--keys", keys, "--data", data]) == 0)
        let common = ["--keys", keys, "--data", data, "--catalog", repositoryRoot + "/Catalog", "--policies", repositoryRoot + "/Policies"]
        #expect(await run(["staff", "bootstrap", "--login", "first@agency.example"] + common) == 0)
        #expect(await run(["staff", "bootstrap", "--login", "second@agency.example"] + common) == 1)
        let installation = try openInstallation(keys: keys, data: data)
        let refused = await strongroomError {
            _ = try await installation.bootstrapAdministrator(login: "third@agency.example", access: AccessContext(requestID: "t"))
        }
        #expect(refused?.code == "administrator_exists")
        let store = installation.auditStore
        let created = try await installation.database.read { db in try store.entries(matching: AuditQuery(action: "staff.create"), in: db) }
        #expect(created.map(\.actor.id) == ["bootstrap"])
        #expect(created.first?.details["roles"] == "administrator")
    }

    @Test("as a script runs it: a clear error without an operator; password and code from the environment, never printed")
    func scriptedThroughTheEnvironment() async throws {
        let world = try await World()
        let missing = try await StrongroomProcess.run(["staff", "list"] + world.common)
        #expect(missing.status == 1)
        #expect(missing.errors.contains("--operator LOGIN"), "\(missing.errors)")
        #expect(missing.errors.contains("STRONGROOM_OPERATOR_PASSWORD") && missing.errors.contains("Nothing was changed"), "\(missing.errors)")
        let admin = world.administrator
        let listed = try await StrongroomProcess.run(
            ["staff", "list", "--operator", admin.login] + world.common,
            environment: [OperatorSignIn.passwordVariable: admin.password, OperatorSignIn.codeVariable: try admin.currentCode()])
        #expect(listed.status == 0, "\(listed.errors)")
        #expect(listed.output.contains("ada@agency.example") && listed.output.contains("lost@agency.example"))
        #expect(!listed.output.contains(admin.password) && !listed.errors.contains(admin.password))
        let wrong = try await StrongroomProcess.run(
            ["staff", "list", "--operator", admin.login] + world.common,
            environment: [OperatorSignIn.passwordVariable: "a wrong password here", OperatorSignIn.codeVariable: try admin.currentCode()])
        #expect(wrong.status == 1)
        #expect(wrong.errors.contains("not right") && !wrong.errors.contains("a wrong password here"), "\(wrong.errors)")
        let entries = try await world.entries("staff.list")
        #expect(entries.count == 1 && entries.first?.actor.id == admin.accountID)
    }
}

/// The service error a call throws, or `nil`.
func strongroomError(_ body: () async throws -> Void) async -> StrongroomError? {
    do {
        try await body()
        return nil
    } catch let error as StrongroomError {
        return error
    } catch {
        return nil
    }
}

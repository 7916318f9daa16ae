import AuditLog
import Foundation
import GRDB
import Keyring
import Storage
import Strongroom
import Testing
import TestSupport

@testable import StrongroomCLI

/// `strongroom audit review` and `strongroom subjects access-report` on an installation made by `init`.
@Suite("strongroom audit review and subjects access-report")
struct CaseworkCommandTests {
    /// An installation created by `strongroom init`, with a citizen's request read once by break-glass.
    struct World {
        let temp = TemporaryDirectory()
        var keys: String { temp.appending("Keys") }
        var data: String { temp.appending("data") }
        var common: [String] {
            ["--keys", keys, "--data", data, "--catalog", repositoryRoot + "/Catalog", "--policies", repositoryRoot + "/Policies"]
        }
        var subjectID = ""
        var breakGlassSeq: UInt64 = 0
        /// The auditor who reviews break-glass accesses, and the supervisor who answers a written access request: the
        /// operators of the commands.
        let auditor: TestOperator
        let officer: TestOperator

        init() async throws {
            let installation = try await initializedInstallation(keys: temp.appending("Keys"), data: temp.appending("data"))
            let access = AccessContext(requestID: "cli-test")
            try await installation.accounts.signUp(login: "aoife@example.ie", password: "correct horse battery staple", context: access)
            let citizen = try await installation.accounts.logIn(
                login: "aoife@example.ie", password: "correct horse battery staple", address: "198.51.100.7", context: access).caller
            let request = try await installation.records.createRequest(
                serviceID: "benefit-application",
                values: SampleRequests.values(for: "benefit-application") ?? [:],
                submit: true, caller: citizen, access: access)
            let enrolment = try await installation.accounts.addStaff(
                login: "nina@agency.example", roles: ["supervisor"], office: "north", by: .system(), context: access)
            let code = try installation.accounts.unsafeCurrentOneTimeCode(accountID: enrolment.accountID)
            let nina = try await installation.accounts.logIn(
                login: "nina@agency.example", password: enrolment.password, oneTimeCode: code, address: "198.51.100.8", context: access).caller
            _ = try await installation.records.request(
                request.id, caller: nina, access: AccessContext(justification: "urgent safeguarding referral", requestID: "glass"))
            auditor = try await TestOperator.add(to: installation, login: "ada@agency.example", roles: ["auditor"])
            officer = try await TestOperator.add(to: installation, login: "olu@agency.example", roles: ["supervisor"], office: "central")
            subjectID = try #require(citizen.subjectID)
            breakGlassSeq = try #require(try await installation.records.breakGlassItems(includeReviewed: false).first?.auditSeq)
        }

        func entries(_ action: String) async throws -> Int {
            // Allowed entries only: a refused attempt is logged under the same action as a deny.
            let store = SQLiteAuditStore(reader: try StrongroomDatabase.openReadOnly(dataDirectory: data))
            return try await store.reader.read { db in
                try store.entries(matching: AuditQuery(action: action, limit: 1000), in: db).filter { $0.decision.effect == .allow }.count
            }
        }
    }

    @Test("the review report lists the access until it is marked, once; a bad finding is a validation error")
    func review() async throws {
        let world = try await World()
        let auditor = world.auditor
        #expect(await auditor.run(["audit", "review"] + world.common) == 0)
        #expect(await auditor.run(["audit", "review", "--json", "--all"] + world.common) == 0)
        #expect(await auditor.run(["audit", "review", "--mark", String(world.breakGlassSeq)] + world.common) == 64)
        #expect(await auditor.run(["audit", "review", "--mark", String(world.breakGlassSeq), "--finding", "fine"] + world.common) == 64)
        #expect(await auditor.run(["audit", "review", "--mark", "1", "--finding", "justified"] + world.common) == 1, "entry 1 is not a break-glass access")
        #expect(try await world.entries("break-glass.review") == 0)
        #expect(await auditor.run(["audit", "review", "--mark", String(world.breakGlassSeq), "--finding", "justified"] + world.common) == 0)
        #expect(try await world.entries("break-glass.review") == 1)
        #expect(await auditor.run(["audit", "review", "--mark", String(world.breakGlassSeq), "--finding", "unjustified"] + world.common) == 1)
        #expect(try await world.entries("break-glass.review") == 1)
        #expect(await run(["audit", "verify", "--data", world.data, "--public-key", world.keys + "/audit-signing.pub"]) == 0)
    }

    @Test("the access report for an officer is produced and audited; an unknown subject fails")
    func accessReport() async throws {
        let world = try await World()
        #expect(await world.officer.run(["subjects", "access-report", world.subjectID] + world.common) == 0)
        #expect(await world.officer.run(["subjects", "access-report", world.subjectID, "--json"] + world.common) == 0)
        #expect(try await world.entries("subject.access-report") == 2)
        #expect(await world.officer.run(["subjects", "access-report", "sub_unknown"] + world.common) == 1)
    }
}

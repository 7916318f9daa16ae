import Foundation
import Testing
import TestSupport

@testable import Strongroom
@testable import StrongroomCLI

/// `strongroom subjects erase`: the erasure, and what its receipt line says about the checkpoint that covers it.
@Suite("strongroom subjects erase")
struct SubjectsEraseCommandTests {
    @Test("the receipt line names the signed checkpoint, or says none covers it yet and the server's next one will")
    func receiptLine() {
        let signed = ShreddingReceipt(
            subjectID: "sub_x", keysDestroyed: 3, fieldsRemoved: 9, openFieldsRemoved: 1, auditSeq: 41, coverage: .signed(treeSize: 42))
        let line = SubjectsCommand.Erase.report(subject: "sub_x", signed)
        #expect(line.contains("audit entry 41, covered by the checkpoint signed just now (tree size 42)"))
        let unsigned = ShreddingReceipt(
            subjectID: "sub_x", keysDestroyed: 3, fieldsRemoved: 9, openFieldsRemoved: 1, auditSeq: 41,
            coverage: .unsigned(reason: "the audit signing key in force is not available to this process"))
        let pending = SubjectsCommand.Erase.report(subject: "sub_x", unsigned)
        #expect(pending.contains("not yet covered by a signed checkpoint"))
        #expect(pending.contains("the next checkpoint the server signs will cover it"))
        #expect(!pending.contains("covered by the checkpoint signed"))
    }

    @Test("erasing from the command line tombstones the subject for every later process")
    func eraseFromTheCommandLine() async throws {
        let temp = TemporaryDirectory()
        let keys = temp.appending("Keys"), data = temp.appending("data")
        let server = try await initializedInstallation(keys: keys, data: data)
        let access = AccessContext(requestID: "cli-test")
        try await server.accounts.signUp(login: "aoife@example.ie", password: "correct horse battery staple", context: access)
        let citizen = try await server.accounts.logIn(
            login: "aoife@example.ie", password: "correct horse battery staple", address: "198.51.100.7", context: access).caller
        let subject = try #require(citizen.subjectID)
        let common = ["--keys", keys, "--data", data, "--catalog", repositoryRoot + "/Catalog", "--policies", repositoryRoot + "/Policies"]
        let officer = try await TestOperator.add(to: server, login: "olu@agency.example", roles: ["supervisor"], office: "central")
        #expect(await officer.run(["subjects", "erase", subject, "--basis", "GDPR art. 17 request 2026-114"] + common) == 0)
        #expect(try server.subjectKeys.erasedAt(subject: subject) != nil)
        // The server (another process's view) follows the store's generation within the check interval.
        try await Task.sleep(for: SubjectKeyStore.generationCheckInterval + .milliseconds(100))
        #expect(throws: StrongroomError.subjectErased) { try server.subjectKeys.keyID(subject: subject, scope: "subject") }
        // Again: harmless, and completes nothing more.
        #expect(await officer.run(["subjects", "erase", subject, "--basis", "GDPR art. 17 request 2026-114"] + common) == 0)
        #expect(await officer.run(["subjects", "erase", "sub_unknown", "--basis", "x"] + common) == 1)
    }
}

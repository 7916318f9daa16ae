import AuditLog
import Catalog
import Storage
import Strongroom
import Testing

/// Every operation leaves an entry, the chain verifies with the public key alone, and entries carry field names,
/// never values.
@Suite struct AuditTrailTests {
    @Test func everyOperationIsAuditedAndTheChainVerifies() async throws {
        let fixture = try InstallationFixture()
        let records = fixture.records
        let accounts = fixture.accounts
        var expected: [String] = []

        func step(_ action: String, _ body: () async throws -> Void) async throws {
            let mark = Int(try fixture.installation.auditStore.entryCount())
            try await body()
            let added = try fixture.auditEntries(after: mark)
            #expect(added.contains { $0.action == action }, "\(action) left no audit entry; got \(added.map(\.action))")
            expected.append(action)
        }

        var session: AccountService.Session?
        try await step("account.create") {
            try await accounts.signUp(login: "audited@example.org", password: "correct horse battery staple", context: fixture.access())
        }
        try await step("session.create") {
            session = try await accounts.logIn(
                login: "audited@example.org", password: "correct horse battery staple", address: "198.51.100.7", context: fixture.access())
        }
        let caller = try #require(session).caller
        try await step("profile.update") {
            _ = try await records.updateProfile(
                ["name": .string("Aoife Byrne"), "national_id": .string("1234567AB")], caller: caller, access: fixture.access())
        }
        try await step("profile.read") { _ = try await records.profile(of: caller.accountID, caller: caller, access: fixture.access()) }
        var draftID = ""
        try await step("request.create") {
            draftID = try await records.createRequest(
                serviceID: "benefit-application", values: ["full_name": .string("Aoife Byrne")], submit: false, caller: caller,
                access: fixture.access()).id
        }
        try await step("request.update") {
            _ = try await records.updateRequest(draftID, values: ServiceSample.benefit, caller: caller, access: fixture.access())
        }
        try await step("request.submit") { _ = try await records.submitRequest(draftID, caller: caller, access: fixture.access()) }
        try await step("request.read") { _ = try await records.request(draftID, caller: caller, access: fixture.access()) }
        try await step("request.withdraw") { _ = try await records.withdrawRequest(draftID, caller: caller, access: fixture.access()) }
        try await step("request.auto-decide") {
            _ = try await records.createRequest(
                serviceID: "change-of-address", values: ServiceSample.changeOfAddress, submit: true, caller: caller, access: fixture.access())
        }
        try await step("request.list") { _ = try await records.ownRequests(caller: caller, access: fixture.access()) }
        try await step("staff.create") {
            _ = try await accounts.addStaff(login: "cw@agency.example", roles: ["caseworker"], office: "central", by: .system("op"), context: fixture.access())
        }
        try await step("staff.list") { _ = try await accounts.listStaff(by: .system("op"), context: fixture.access()) }
        try await step("staff.disable") { try await accounts.disableStaff(login: "cw@agency.example", by: .system("op"), context: fixture.access()) }
        try await step("session.revoke") { try await accounts.logOut(token: try #require(session).token, context: fixture.access()) }
        #expect(expected.count == 15)

        // The automatic decision names its rule and the service.
        let auto = try #require(try fixture.auditEntries().last { $0.action == "request.auto-decide" })
        #expect(auto.decision == .allow(["own-move-in-county"]))
        #expect(auto.details["outcome"] == "approved" && auto.details["service"] == "change-of-address")
        #expect(auto.actor.role == "automatic-rules")

        // Request ids of the context are carried into the entries.
        let entries = try fixture.auditEntries()
        #expect(entries.prefix(fixture.openingEntries).map(\.action) == ["catalog.load", "policies.load"])
        #expect(entries.dropFirst(fixture.openingEntries).allSatisfy { $0.requestID.hasPrefix("test-req-") })
        #expect(entries.map(\.seq) == Array(0..<UInt64(entries.count)))
        #expect(try fixture.installation.auditStore.entryCount() == UInt64(entries.count))

        // Sign a checkpoint and verify the whole log with the public key only.
        let store = fixture.installation.auditStore
        let signer = fixture.installation.checkpointSigner
        let origin = fixture.configuration.auditOrigin
        _ = try await fixture.installation.writer.write { db in _ = try store.makeCheckpoint(signer: signer, origin: origin, in: db) }
        let report = AuditVerifier(trustedKeys: [signer.verifierKey], origin: origin).verify(store)
        #expect(report.isValid, "\(report.render())")
        #expect(report.entriesVerified == UInt64(entries.count))
        #expect(report.checkpointsVerified == 1)

        // The check is not vacuous: a verifier that trusts another key rejects the checkpoint.
        let stranger = try TestKeysSigner.make()
        let foreign = AuditVerifier(trustedKeys: [stranger], origin: origin).verify(store)
        #expect(!foreign.isValid)
    }

    @Test func readEntriesListFieldNamesNeverValues() async throws {
        let fixture = try InstallationFixture()
        let owner = try await fixture.citizen("names@example.org").caller
        _ = try await fixture.records.updateProfile(
            ["name": .string("Siobhan Quigley-Nakamura"), "national_id": .string("7654321QX")], caller: owner, access: fixture.access())
        let request = try await fixture.records.createRequest(
            serviceID: "benefit-application", values: ServiceSample.benefit, submit: true, caller: owner, access: fixture.access())
        let caseworker = try await fixture.staff("cw@agency.example", roles: ["caseworker"], office: "central")
        let mark = try fixture.auditEntries().count
        let ownerView = try await fixture.records.request(request.id, caller: owner, access: fixture.access())
        let staffView = try await fixture.records.request(request.id, caller: caseworker, access: fixture.access(purpose: "case-handling"))
        let profile = try await fixture.records.profile(of: owner.accountID, caller: owner, access: fixture.access())
        let added = try fixture.auditEntries(after: mark)
        #expect(added.count == 3)

        let ownerRead = try #require(added.first { $0.actor.id == owner.accountID && $0.action == "request.read" })
        #expect(ownerRead.fieldsTouched == ownerView.record.fields.keys.sorted())
        let staffRead = try #require(added.first { $0.actor.id == caseworker.accountID })
        #expect(staffRead.fieldsTouched == staffView.record.fields.keys.sorted())
        #expect(staffRead.fieldsTouched.contains("national_id"))  // masked fields are listed too
        let profileRead = try #require(added.first { $0.action == "profile.read" })
        #expect(profileRead.fieldsTouched == ["name", "national_id"])

        // Long enough that they cannot turn up by chance in a hash, a time or an id.
        let values = ["Aoife Byrne", "1234567AB", "1234567 ab", "IE29AIBK93115212345678", "Reduced hours", "1450.00",
                      "Siobhan", "Quigley", "7654321QX", "•••• 67AB", "•••• 5678"]
        for entry in added {
            let text = entry.jsonLine + String(reflecting: entry)
            for value in values { #expect(!text.contains(value), "audit entry \(entry.action) contains \(value)") }
            #expect(entry.target.subjectID == owner.subjectID)
        }
        #expect(profile.fields.count == 2)
    }

    /// A read returns data only after its audit entry has committed; when the entry cannot be written, nothing is
    /// returned — for an allowed read and for a refused one alike — and no value reaches the error.
    @Test func aReadWhoseEntryCannotCommitReturnsNothing() async throws {
        let fixture = try InstallationFixture()
        let owner = try await fixture.citizen("unrecorded@example.org").caller
        let stranger = try await fixture.citizen("stranger@example.org").caller
        let request = try await fixture.records.createRequest(
            serviceID: "benefit-application", values: ServiceSample.benefit, submit: true, caller: owner, access: fixture.access())
        let database = fixture.installation.database
        try await database.write { db in
            try db.execute(sql: """
                CREATE TRIGGER refuse_read_entries BEFORE INSERT ON audit_entry WHEN NEW.action = 'request.read'
                BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END
                """)
        }
        let mark = try fixture.auditEntries().count
        for caller in [owner, stranger] {
            do {
                let view = try await fixture.records.request(request.id, caller: caller, access: fixture.access())
                Issue.record("a read returned \(view.record.fields.count) fields without its audit entry")
            } catch let error as StrongroomError {
                #expect(error.kind != .notFound, "a refused read whose refusal was not recorded answered \(error.code)")
                #expect(!String(reflecting: error).contains("Aoife"))
            } catch {
                #expect(!String(reflecting: error).contains("Aoife"))
                #expect(!String(reflecting: error).contains("IE29AIBK"))
            }
        }
        #expect(try fixture.auditEntries(after: mark).isEmpty)
        try await database.write { db in try db.execute(sql: "DROP TRIGGER refuse_read_entries") }
        let view = try await fixture.records.request(request.id, caller: owner, access: fixture.access())
        #expect(view.record.fields["full_name"] != nil)
        #expect(try fixture.auditEntries(after: mark).map(\.action) == ["request.read"])
    }

    @Test func failedOperationsLeaveNoAllowEntry() async throws {
        let fixture = try InstallationFixture()
        let caller = try await fixture.citizen("nowrite@example.org").caller
        let mark = try fixture.auditEntries().count
        _ = await strongroomError {
            try await fixture.records.createRequest(
                serviceID: "fee-payment", values: ServiceSample.replacing(ServiceSample.feePayment, "amount", with: .decimal("0.5")),
                submit: true, caller: caller, access: fixture.access())
        }
        _ = await strongroomError {
            try await fixture.records.createRequest(serviceID: "nope", values: [:], submit: true, caller: caller, access: fixture.access())
        }
        let added = try fixture.auditEntries(after: mark)
        #expect(!added.contains { $0.decision.effect == .allow }, "\(added.map(\.action))")
    }

    /// Issue 5, "Bad input": the attempt is recorded in the audit log as a deny where it reached the gate. Invalid
    /// field values are only discovered after the gate has permitted the create.
    @Test func invalidInputThatReachedTheGateIsAuditedAsADeny() async throws {
        let fixture = try InstallationFixture()
        let caller = try await fixture.citizen("denyaudit@example.org").caller
        let mark = try fixture.auditEntries().count
        let error = await strongroomError {
            try await fixture.records.createRequest(
                serviceID: "fee-payment", values: ServiceSample.replacing(ServiceSample.feePayment, "amount", with: .decimal("0.5")),
                submit: true, caller: caller, access: fixture.access())
        }
        #expect(error?.kind == .invalidInput)
        let added = try fixture.auditEntries(after: mark)
        let denial = added.first { $0.action == "request.create" && $0.actor.id == caller.accountID }
        #expect(denial?.decision.effect == .deny, "no deny entry for the refused create; entries: \(added.map(\.action))")
        #expect(try fixture.count("requests") == 0)
    }
}

/// A verifier key nobody signed with.
enum TestKeysSigner {
    static func make() throws -> AuditVerifierKey {
        try AuditVerifierKey(name: "stranger", publicKey: Array(repeating: 7, count: 32))
    }
}

import AuditLog
import Strongroom
import Testing

/// The catalog's `routing:` decides which office's queue a submitted request joins (the sample change of address
/// sends postcodes 9xxxx to the north office); the office is chosen once, at the first submission.
@Suite struct OfficeRoutingTests {
    @Test func aSubmittedRequestGoesToTheOfficeItsAnswersRouteItTo() async throws {
        let fixture = try InstallationFixture()
        let owner = try await fixture.citizen("mover@example.org").caller
        var north = ServiceSample.changeOfAddress
        north["postcode"] = .string("91234")
        let draft = try await fixture.records.createRequest(
            serviceID: "change-of-address", values: north, submit: false, caller: owner, access: fixture.access())
        #expect(draft.office == fixture.configuration.defaultOffice, "a draft is nobody's case yet")
        let submitted = try await fixture.records.submitRequest(draft.id, caller: owner, access: fixture.access())
        #expect(submitted.office == "north")
        #expect(submitted.status == "submitted", "a move outside 4xxxx is not decided automatically")
        let entry = try #require(try fixture.auditEntries().last { $0.target.recordID == draft.id && $0.details["office"] != nil })
        #expect(entry.details["office"] == "north", "the submission's audit entries name the office")

        let central = try await fixture.staff("cw.central@agency.example", roles: ["caseworker"], office: "central")
        let northern = try await fixture.staff("cw.north@agency.example", roles: ["caseworker"], office: "north")
        let casework = fixture.access(purpose: "case-handling")
        #expect(await strongroomError { try await fixture.records.request(draft.id, caller: central, access: casework) }?.kind == .notFound)
        #expect(try await fixture.records.queue(CaseQueueFilter(), caller: northern, access: casework).map(\.id) == [draft.id])
        #expect(try await fixture.records.queue(CaseQueueFilter(), caller: central, access: casework).isEmpty)

        // Sent back for more information and resubmitted with another postcode: it stays with the north office.
        _ = try await fixture.records.claim(draft.id, caller: northern, access: casework)
        _ = try await fixture.records.requestInformation(draft.id, question: "Which flat number?", caller: northern, access: casework)
        var corrected = north
        corrected["postcode"] = .string("40123")
        _ = try await fixture.records.updateRequest(draft.id, values: ["postcode": .string("40123")], caller: owner, access: fixture.access())
        let resubmitted = try await fixture.records.submitRequest(draft.id, caller: owner, access: fixture.access())
        #expect(resubmitted.office == "north")
        _ = corrected

        // An answer no routing rule matches goes to the default office.
        let local = try await fixture.records.createRequest(
            serviceID: "change-of-address", values: ServiceSample.changeOfAddress, submit: true, caller: owner, access: fixture.access())
        #expect(local.office == "central")
    }
}

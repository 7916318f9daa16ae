import Catalog
import Strongroom
import Testing

/// Every sample e-service accepts a valid request and rejects an invalid one, writing nothing for the latter.
@Suite struct SampleServiceRequestTests {
    @Test func everySampleServiceIsCovered() throws {
        let fixture = try InstallationFixture()
        #expect(Set(fixture.installation.catalog.serviceIDs) == Set(ServiceSample.all.map(\.service)))
    }

    @Test(arguments: ServiceSample.all)
    func acceptsValidRequest(_ sample: ServiceSample) async throws {
        let fixture = try InstallationFixture()
        let caller = try await fixture.citizen("valid@example.org").caller
        let before = try fixture.recordCounts()
        let view = try await fixture.records.createRequest(
            serviceID: sample.service, values: sample.valid, submit: true, caller: caller, access: fixture.access())
        #expect(view.status == sample.status)
        #expect(view.outcome == sample.outcome)
        #expect(view.decidedByRule == sample.rule)
        #expect(Set(view.record.fields.keys) == Set(sample.valid.keys))
        #expect(view.record.omitted.isEmpty)
        #expect(view.record.fields.values.allSatisfy { $0.value != nil && $0.masked == nil })

        let after = try fixture.recordCounts()
        #expect(after["requests"] == before["requests"]! + 1)
        let service = try #require(fixture.installation.catalog.service(sample.service))
        let sealedCount = sample.valid.keys.filter { service.field($0)?.isSealed == true }.count
        #expect(after["sealed_fields"] == before["sealed_fields"]! + sealedCount)
        #expect(after["open_fields"] == before["open_fields"]! + sample.valid.count - sealedCount)
        let listed = try await fixture.records.ownRequests(caller: caller, access: fixture.access())
        #expect(listed.map(\.id) == [view.id])
    }

    @Test(arguments: ServiceSample.all)
    func rejectsInvalidRequestAndWritesNothing(_ sample: ServiceSample) async throws {
        let fixture = try InstallationFixture()
        let caller = try await fixture.citizen("invalid@example.org").caller
        let before = try fixture.recordState()
        for submit in [true, false] {
            let error = await strongroomError {
                try await fixture.records.createRequest(
                    serviceID: sample.service, values: sample.invalid, submit: submit, caller: caller, access: fixture.access())
            }
            #expect(error?.kind == .invalidInput)
            #expect(error?.code == "invalid_fields")
            #expect(error?.fields.map(\.field) == [sample.problemField])
            #expect(error?.fields.map(\.code) == [sample.problemCode])
            #expect(error?.fields.allSatisfy { !$0.message.isEmpty } == true)
        }
        #expect(try fixture.recordState() == before)
        #expect(try await fixture.records.ownRequests(caller: caller, access: fixture.access()).isEmpty)
    }

    @Test(arguments: ServiceSample.all)
    func missingRequiredFieldIsRejectedAtSubmissionOnly(_ sample: ServiceSample) async throws {
        let fixture = try InstallationFixture()
        let caller = try await fixture.citizen("missing@example.org").caller
        let service = try #require(fixture.installation.catalog.service(sample.service))
        let required = try #require(service.fields.first(where: { $0.required && sample.valid[$0.id] != nil }))
        var partial = sample.valid
        partial[required.id] = nil
        let before = try fixture.recordState()
        let error = await strongroomError {
            try await fixture.records.createRequest(
                serviceID: sample.service, values: partial, submit: true, caller: caller, access: fixture.access())
        }
        #expect(error?.kind == .invalidInput)
        #expect(error?.fields.map(\.field) == [required.id])
        #expect(error?.fields.map(\.code) == ["missing_required"])
        #expect(try fixture.recordState() == before)

        // The same values make a valid draft.
        let draft = try await fixture.records.createRequest(
            serviceID: sample.service, values: partial, submit: false, caller: caller, access: fixture.access())
        #expect(draft.status == "draft")
        #expect(draft.record.fields[required.id] == nil)
    }
}

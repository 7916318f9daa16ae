import Foundation
import Sealing
import Strongroom
import Synchronization
import TestSupport
import Testing

/// Only what the gate reveals or masks is ever decrypted: every envelope the installation opens is counted through
/// the sealer, and a field a policy withholds must never be among them (withholding it after opening it would
/// leave the plaintext in memory, in a crash dump, one bug away from the response).
@Suite struct OpenCountTests {
    /// Every place the sealer was asked to open, in order.
    final class Opens: Sendable {
        private let places = Mutex<[FieldPlace]>([])
        func record(_ place: FieldPlace) { places.withLock { $0.append(place) } }
        func take() -> [FieldPlace] { places.withLock { all in defer { all = [] }; return all } }
    }

    /// The repository's policies with the caseworker's request reads narrowed: two fields revealed, one masked, the
    /// rest withheld.
    static func narrowedPolicies() throws -> TemporaryDirectory {
        let directory = TemporaryDirectory(prefix: "strongroom-policies")
        let source = InstallationFixture.repositoryRoot + "/Policies"
        for name in try FileManager.default.contentsOfDirectory(atPath: source) where name.hasSuffix(".policy") || name.hasSuffix(".schema") {
            var text = try String(contentsOfFile: source + "/" + name, encoding: .utf8)
            if name == "caseworker.policy" {
                let wide = """
                      reveal *
                      mask national_id as last4, bank_account as last4,
                           health-plan-enrolment.health_declaration as redacted,
                           class-registration.medical_notes as redacted;
                    """
                #expect(text.contains(wide), "the caseworker policy changed; update this test's narrowing")
                text = text.replacingOccurrences(of: wide, with: """
                      reveal full_name, household_size
                      mask bank_account as last4;
                    """)
            }
            try text.write(toFile: directory.appending(name), atomically: true, encoding: .utf8)
        }
        return directory
    }

    @Test func withheldFieldsAreNeverOpened() async throws {
        let opens = Opens()
        let policies = try Self.narrowedPolicies()
        let fixture = try InstallationFixture(openObserver: OpenObserver { opens.record($0) }) { $0.policyDirectory = policies.path }
        let owner = try await fixture.citizen("opens@example.org").caller
        let request = try await fixture.records.createRequest(
            serviceID: "benefit-application", values: ServiceSample.benefit, submit: true, caller: owner, access: fixture.access())
        #expect(request.status == "submitted", "the application waits for a caseworker")
        let sealedFields = Set(try await fixture.installation.database.read { db in
            try String.fetchAll(db, sql: "SELECT field FROM sealed_fields WHERE collection = 'requests' AND record_id = ?", arguments: [request.id])
        })
        // The test means something only if withheld fields are sealed and really there.
        #expect(sealedFields.isSuperset(of: ["full_name", "national_id", "bank_account", "reason"]), "\(sealedFields)")
        let caseworker = try await fixture.staff("cw.opens@agency.example", roles: ["caseworker"], office: "central")
        let other = try await fixture.staff("cw.other@agency.example", roles: ["caseworker"], office: "north")
        let stranger = try await fixture.citizen("stranger@example.org").caller
        let casework = fixture.access(purpose: "case-handling")
        _ = opens.take()

        // A read under the narrowed rule opens exactly the revealed and masked fields that are sealed.
        let view = try await fixture.records.request(request.id, caller: caseworker, access: casework)
        let shown = Set(view.record.fields.keys)
        #expect(shown == ["full_name", "household_size", "bank_account"], "\(shown)")
        #expect(view.record.fields["bank_account"]?.masked != nil)
        #expect(Set(view.record.omitted).isSuperset(of: ["national_id", "reason", "monthly_income"]), "\(view.record.omitted)")
        let readOpens = opens.take()
        #expect(readOpens.allSatisfy { $0.collection == "requests" && $0.recordID == request.id }, "\(readOpens)")
        #expect(Set(readOpens.map(\.field)) == shown.intersection(sealedFields), "opened: \(readOpens.map(\.field))")
        #expect(readOpens.count == shown.intersection(sealedFields).count, "each field opened once: \(readOpens.map(\.field))")

        // The owner's read opens every field (they see all of it).
        let own = try await fixture.records.request(request.id, caller: owner, access: fixture.access())
        #expect(Set(own.record.fields.keys) == Set(ServiceSample.benefit.keys))
        #expect(Set(opens.take().map(\.field)) == sealedFields)

        // A search result shows who applied (full_name) and opens nothing else.
        let hits = try await fixture.records.search(field: "national_id", value: "1234567AB", caller: caseworker, access: casework)
        #expect(hits.map(\.id) == [request.id])
        #expect(Set(hits[0].record.fields.keys) == ["full_name"])
        #expect(opens.take().map(\.field) == ["full_name"])

        // Metadata-only answers open nothing: the office queue, the owner's list, a refused read, a read without a purpose.
        let queue = try await fixture.records.queue(CaseQueueFilter(), caller: caseworker, access: casework)
        #expect(queue.map(\.id).contains(request.id))
        _ = try await fixture.records.ownRequests(caller: owner, access: fixture.access())
        #expect(await strongroomError { try await fixture.records.request(request.id, caller: stranger, access: fixture.access()) }?.kind == .notFound)
        #expect(await strongroomError { try await fixture.records.request(request.id, caller: caseworker, access: fixture.access()) } != nil)
        #expect(await strongroomError { try await fixture.records.request(request.id, caller: other, access: casework) } != nil)
        let idle = opens.take()
        #expect(idle.isEmpty, "metadata and refusals opened \(idle)")
    }
}

import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Strongroom
import StrongroomAPI
import Testing

/// Routes that would record something new about an erased person answer 409 `subject_erased` and write nothing.
@Suite("HTTP routes after an erasure")
struct ErasureRouteTests {
    @Test("a caseworker's message, request for information and decision for an erased citizen answer 409 subject_erased")
    func erasedSubjectIsRefused() async throws {
        let fixture = try APIFixture()
        try await fixture.application().test(.router) { client in
            let citizen = try await client.citizenToken("aoife@example.ie")
            let created = try await client.json(.post, "/v1/requests", token: citizen, body: CaseworkRouteTests.benefit)
            let id = try #require(created.json["id"] as? String)
            let carol = try await CaseworkRouteTests.staffToken(fixture, client, login: "carol@agency.example", role: "caseworker")
            let claimed = try await client.json(.post, "/v1/cases/\(id)/claim", token: carol.token, purpose: "case-handling")
            #expect(claimed.status == .ok)
            let subject = try #require(try await fixture.installation.database.read { db in
                try String.fetchOne(db, sql: "SELECT subject_id FROM requests WHERE id = ?", arguments: [id])
            })
            _ = try await fixture.installation.records.erase(
                subjectID: subject, basis: "GDPR art. 17 test", by: .system("officer"),
                access: AccessContext(purpose: "legal-obligation", requestID: "erase"))

            let answers = [
                try await client.json(.post, "/v1/requests/\(id)/messages", token: carol.token, purpose: "case-handling", body: #"{"body":"News?"}"#),
                try await client.json(
                    .post, "/v1/cases/\(id)/request-info", token: carol.token, purpose: "case-handling", body: #"{"message":"Which employer?"}"#),
                try await client.json(
                    .post, "/v1/cases/\(id)/decision", token: carol.token, purpose: "case-handling", body: #"{"outcome":"reject","reason":"No."}"#),
            ]
            for answer in answers {
                #expect(answer.status == .conflict)
                #expect(answer.json["error"] as? String == "subject_erased")
            }
            // The citizen's session ended with the erasure.
            let signedOut = try await client.json(.get, "/v1/requests", token: citizen)
            #expect(signedOut.status == .unauthorized)
        }
    }
}

import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Sodium
import Strongroom
import StrongroomAPI
import TestSupport
import Testing

/// The insider's attacks over HTTP: SQL on the database file, then the API.
@Suite struct IntegrityRouteTests {
    @Test("a session minted by SQL exports nothing")
    func mintedSessionExportsNothing() async throws {
        let fixture = try APIFixture()
        try await fixture.application().test(.router) { client in
            let token = try await client.citizenToken("victim@example.org")
            let created = try await client.json(
                .post, "/v1/requests", token: token,
                body: #"{"service":"benefit-application","submit":false,"fields":{"full_name":"canary-victim-4711"}}"#)
            #expect(created.status == .created)
            let me = try await fixture.installation.accounts.authenticate(token: token)
            // The insider stores a session of their own choosing for the victim, as yesterday's scheme would have.
            let raw = SecureRandom.bytes(count: 32)
            let forged = Data(raw).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            let insider = try DatabaseQueue(path: fixture.installation.database.path)
            try await insider.write { db in
                try db.execute(
                    sql: "INSERT INTO sessions (token_hash, account_id, created_at, expires_at, strength) VALUES (?, ?, 0, ?, 'mfa')",
                    arguments: [Data(SHA256Digest.hash(raw)), me.accountID, Int64.max])
            }
            let export = try await client.execute(uri: "/v1/me/export", method: .get, headers: [.authorization: "Bearer \(forged)"]) { $0 }
            #expect(export.status == .unauthorized)
            #expect(!String(buffer: export.body).contains("canary-victim-4711"))
            // The victim's own token still works.
            #expect(try await client.json(.get, "/v1/me/export", token: token).status == .ok)
        }
    }

    @Test("sealing a request needs a session and a supervisor of its office")
    func sealingIsGated() async throws {
        let fixture = try APIFixture()
        try await fixture.application().test(.router) { client in
            let anonymous = try await client.json(.post, "/v1/cases/req_x/sealing", body: #"{"sealed":true,"reason":"protected-identity"}"#)
            #expect(anonymous.status == .unauthorized)
            let token = try await client.citizenToken("citizen@example.org")
            let created = try await client.json(
                .post, "/v1/requests", token: token, body: #"{"service":"benefit-application","submit":false,"fields":{}}"#)
            let id = try #require(created.json["id"] as? String)
            let byCitizen = try await client.json(.post, "/v1/cases/\(id)/sealing", token: token, body: #"{"sealed":true,"reason":"protected-identity"}"#)
            #expect(byCitizen.status == .forbidden || byCitizen.status == .notFound)
            let badBody = try await client.json(.post, "/v1/cases/\(id)/sealing", token: token, body: #"{"sealed":"yes"}"#)
            #expect(badBody.status == .badRequest)
            let sealed = try await fixture.installation.database.read { db in
                try Bool.fetchOne(db, sql: "SELECT sealed FROM requests WHERE id = ?", arguments: [id])
            }
            #expect(sealed == false)
        }
    }

    @Test("after the log was rewritten by SQL the API refuses audited work with 503 and nothing is returned")
    func rewrittenLogLocksTheAPI() async throws {
        let fixture = try APIFixture()
        try await fixture.application().test(.router) { client in
            let token = try await client.citizenToken("victim@example.org")
            let created = try await client.json(
                .post, "/v1/requests", token: token,
                body: #"{"service":"benefit-application","submit":false,"fields":{"full_name":"canary-victim-4712"}}"#)
            #expect(created.status == .created)
            // The checkpoint service's tick (every second) has re-hashed what was appended so far.
            try fixture.installation.checkpoints.verifyCommittedLog(reader: fixture.installation.database.pool)
            try LogForger.withDatabase(path: fixture.installation.database.path) { db in
                try LogForger.rewrite(seq: 2, in: db) { $0.details["rewritten"] = "yes" }
                try LogForger.deleteCheckpoints(above: 2, in: db)
            }
            // The checkpoint service's next round finds it.
            #expect(throws: (any Error).self) { try fixture.installation.checkpoints.verifyCommittedLog(reader: fixture.installation.database.pool) }
            let export = try await client.execute(uri: "/v1/me/export", method: .get, headers: [.authorization: "Bearer \(token)"]) { $0 }
            #expect(export.status == .serviceUnavailable)
            let body = String(buffer: export.body)
            #expect(body.contains("audit_log_locked"))
            #expect(!body.contains("canary-victim-4712"))
            #expect(!body.contains("last signed"))  // the operator's details stay in the operator log
        }
    }
}

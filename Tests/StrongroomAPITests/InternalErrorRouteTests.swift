import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Strongroom
import StrongroomAPI
import Synchronization
import TestSupport
import Testing

/// Every log line of the HTTP layer and of the service, kept in memory.
final class APICapturedLogs: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }

    func logger(_ label: String) -> Logger {
        var logger = Logger(label: label) { label in Handler(label: label, sink: self) }
        logger.logLevel = .trace
        return logger
    }

    struct Handler: LogHandler {
        let label: String
        let sink: APICapturedLogs
        var metadata: Logger.Metadata = [:]
        var metadataProvider: Logger.MetadataProvider?
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var line = "\(event.level) \(label): \(event.message)"
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            if !merged.isEmpty { line += " " + merged.map { "\($0)=\($1)" }.sorted().joined(separator: " ") }
            if let error = event.error { line += " error=\(String(reflecting: error))" }
            sink.lines.withLock { $0.append(line) }
        }
    }
}

/// An error nobody anticipated answers 500 `internal` with the request id and nothing else; the operator's log gets
/// the request id, never the error's text or the personal data of the request.
@Suite struct InternalErrorRouteTests {
    /// An installation on `keys` and `data` whose service and HTTP loggers both write into one capture.
    static func loggedApplication(
        keys: TestKeys, data: TemporaryDirectory
    ) throws -> (Installation, APICapturedLogs, some ApplicationProtocol) {
        var configuration = StrongroomConfiguration(
            keys: keys.directory, dataDirectory: data.path,
            catalogDirectory: APIFixture.repositoryRoot + "/Catalog", policyDirectory: APIFixture.repositoryRoot + "/Policies")
        configuration.passwordLimits = .minimumForTesting
        let logs = APICapturedLogs()
        let installation = try Installation(
            configuration: configuration, logger: logs.logger("strongroom"), paymentProvider: try OfflinePaymentProvider())
        return (installation, logs, Application(router: buildRouter(installation: installation), logger: logs.logger("strongroom.http")))
    }

    @Test func anUnexpectedErrorAnswersInternalWithTheRequestIDAndNothingElse() async throws {
        let (keys, data) = (try TestKeys(), TemporaryDirectory(prefix: "strongroom-api"))
        let (installation, logs, app) = try Self.loggedApplication(keys: keys, data: data)
        // A failure the code does not recognise, whose own message is text no client or log may see.
        let secretMessage = "disk-canary-Q7Z4 sector 9 unreadable"
        try await installation.database.write { db in
            try db.execute(sql: "CREATE TRIGGER unexpected_failure BEFORE INSERT ON requests BEGIN SELECT RAISE(ABORT, '\(secretMessage)'); END")
        }
        let personal = ["Aoife Byrne", "1234567AB", "IE29AIBK93115212345678", "1450.00", "Reduced hours at work", "internal-victim@example.org"]
        try await app.test(.router) { client in
            let token = try await client.citizenToken("internal-victim@example.org")
            let linesBefore = logs.all.count
            let headers: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(token)"]
            let (status, body, requestID) = try await client.execute(
                uri: "/v1/requests", method: .post, headers: headers, body: ByteBuffer(string: CaseworkRouteTests.benefit)
            ) { response in
                (response.status, String(buffer: response.body), response.headers[HTTPField.Name("Strongroom-Request-ID")!])
            }
            #expect(status == .internalServerError, "\(body)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], "\(body)")
            #expect(Set(object.keys) == ["error", "message", "request_id"], "\(body)")
            #expect(object["error"] as? String == "internal")
            #expect(object["message"] as? String == "internal error; quote this request id to the operator")
            let id = try #require(object["request_id"] as? String)
            #expect(!id.isEmpty && requestID == id)
            for text in personal + [secretMessage, "RAISE", "INSERT", "requests"] {
                #expect(!body.contains(text), "the body carries \(text)")
            }

            let added = Array(logs.all.dropFirst(linesBefore))
            #expect(added.contains { $0.contains(id) }, "the operator's log names the request id: \(added)")
            for line in logs.all {
                for text in personal + [secretMessage] { #expect(!line.contains(text), "a log line carries \(text): \(line)") }
            }
        }
        // The failed write left nothing behind.
        #expect(try await installation.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM requests") } == 0)
    }

    /// The other path: a failure the service wraps as `internal` (here, a refusal whose audit entry cannot be
    /// written, so the refusal is not answered as one) logs its cause's type, never its text.
    @Test func aWrappedInternalFailureLogsNoCauseText() async throws {
        let (keys, data) = (try TestKeys(), TemporaryDirectory(prefix: "strongroom-api"))
        let (installation, logs, app) = try Self.loggedApplication(keys: keys, data: data)
        let secretMessage = "audit-canary-K2P9 journal 4 unreadable"
        try await app.test(.router) { client in
            let token = try await client.citizenToken("wrapped@example.org")
            try await installation.database.write { db in
                try db.execute(sql: "CREATE TRIGGER audit_failure BEFORE INSERT ON audit_entry BEGIN SELECT RAISE(ABORT, '\(secretMessage)'); END")
            }
            // A citizen asking for the caseworkers' queue is refused; recording the refusal fails.
            let answer = try await client.json(.get, "/v1/cases", token: token, purpose: "case-handling")
            #expect(answer.status == .internalServerError)
            #expect(answer.json["error"] as? String == "internal")
            #expect(!String(describing: answer.json).contains(secretMessage))
            let line = try #require(logs.all.first { $0.contains("internal failure") }, "\(logs.all)")
            #expect(line.contains("cause="), "the operator's line names the cause's type: \(line)")
            for line in logs.all { #expect(!line.contains(secretMessage), "a log line carries the cause's text: \(line)") }
        }
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Sodium
import Strongroom
import StrongroomAPI
import Synchronization
import TestSupport
import Testing

/// Invariant 1 through the HTTP layer: personal values sent to the API reach no file (data directory, key directory,
/// temporary files; every WAL frame kept), no log line of the HTTP layer or the service, no audit entry, and no
/// response body except the answers that are meant to show them to the person entitled to see them.
@Suite struct CanaryRouteTests {
    /// Unique values; only letters, digits and `-.@+`, so JSON carries them unescaped.
    final class Needles: Sendable {
        private let lists = Mutex<(all: [String], stored: [String])>(([], []))
        var all: [String] { lists.withLock { $0.all } }
        /// Values that end up stored (each must be in the owner's export).
        var stored: [String] { lists.withLock { $0.stored } }

        func token(_ length: Int = 16) -> String {
            SecureRandom.bytes(count: (length + 1) / 2).map { String(format: "%02x", $0) }.joined().prefix(length).description
        }

        func digits(_ count: Int) -> String {
            SecureRandom.bytes(count: count).map { String($0 % 10) }.joined()
        }

        /// A value that is stored when accepted.
        func stored(_ value: String) -> String {
            lists.withLock { $0.all.append(value); $0.stored.append(value) }
            return value
        }

        /// A value that must never be stored (a refused input, a password, a login).
        func secret(_ value: String) -> String {
            lists.withLock { $0.all.append(value) }
            return value
        }
    }

    /// Every answer the test received, with whether it may carry personal values (an answer to their owner, or a
    /// revealed read by a caseworker the policy allows).
    final class Answers: Sendable {
        struct Answer: Sendable {
            let call: String
            let status: HTTPResponse.Status
            let body: String
            let mayCarry: Bool
            let toStaff: Bool
        }

        private let answers = Mutex<[Answer]>([])
        var all: [Answer] { answers.withLock { $0 } }
        func add(_ answer: Answer) { answers.withLock { $0.append(answer) } }
    }

    @Test func noPersonalValueReachesFilesLogsAuditOrAnswersThroughHTTP() async throws {
        let started = Date()
        let keys = try TestKeys()
        let data = TemporaryDirectory(prefix: "strongroom-api-canary")
        var configuration = StrongroomConfiguration(
            keys: keys.directory, dataDirectory: data.path,
            catalogDirectory: APIFixture.repositoryRoot + "/Catalog", policyDirectory: APIFixture.repositoryRoot + "/Policies")
        configuration.passwordLimits = .minimumForTesting
        configuration.walCheckpointing = .keepEveryFrame
        let logs = APICapturedLogs()
        let installation = try Installation(
            configuration: configuration, logger: logs.logger("strongroom"), paymentProvider: try OfflinePaymentProvider())
        let app = Application(router: buildRouter(installation: installation), logger: logs.logger("strongroom.http"))
        let answers = Answers()
        let needles = Needles()

        let login = needles.secret("canary.\(needles.token())@canary-\(needles.token(8)).example")
        let password = needles.secret("CanaryPassword-\(needles.token())")
        let staffLogin = needles.secret("cw.\(needles.token())@agency.example")
        // Shown masked to caseworkers: the whole value must never reach a caseworker's answer.
        let nationalID = needles.stored("\(needles.digits(7))QZ")
        let bankAccount = needles.stored("IE29CNRY\(needles.digits(14))")
        let profileID = needles.stored("\(needles.digits(7))XW")
        let maskedForStaff = [nationalID, bankAccount]

        try await app.test(.router) { client in
            @discardableResult
            func call(
                _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, purpose: String? = nil, body: String? = nil,
                mayCarry: Bool = false, toStaff: Bool = false
            ) async throws -> (status: HTTPResponse.Status, json: [String: Any]) {
                var headers: HTTPFields = [.contentType: "application/json"]
                if let token { headers[.authorization] = "Bearer \(token)" }
                if let purpose { headers[HTTPField.Name("Strongroom-Purpose")!] = purpose }
                let (status, text) = try await client.execute(
                    uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }
                ) { response in (response.status, String(buffer: response.body)) }
                answers.add(.init(call: "\(method) \(uri)", status: status, body: text, mayCarry: mayCarry && status.code < 400, toStaff: toStaff))
                let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
                return (status, json)
            }

            // Sign-up and sign-in: the login and password go in, never come back.
            #expect(try await call(.post, "/v1/accounts", body: #"{"login":"\#(login)","password":"\#(password)"}"#).status == .accepted)
            let session = try await call(.post, "/v1/sessions", body: #"{"login":"\#(login)","password":"\#(password)"}"#)
            let citizen = try #require(session.json["token"] as? String)
            #expect(try await call(.post, "/v1/sessions", body: #"{"login":"\#(login)","password":"Wrong-\#(password)"}"#).status == .unauthorized)

            // The profile, every field.
            let profile = """
                {"fields":{"name":"\(needles.stored("CanaryProfile-\(needles.token())"))",
                 "email":"\(needles.stored("canary.\(needles.token())@canary-\(needles.token(8)).example"))",
                 "phone":"\(needles.stored("+3531\(needles.digits(9))"))", "national_id":"\(profileID)", "date_of_birth":"1961-02-27",
                 "postal_address":{"line1":"\(needles.stored("CanaryStreet-\(needles.token())"))","city":"\(needles.stored("CanaryCity-\(needles.token())"))",
                   "postcode":"40177","country":"IE"}}}
                """
            #expect(try await call(.patch, "/v1/me/profile", token: citizen, body: profile, mayCarry: true).status == .ok)

            // Requests: a benefit (waits for a caseworker) and a fee payment.
            let benefit = """
                {"service":"benefit-application","submit":true,"fields":{"full_name":"\(needles.stored("CanaryName-\(needles.token())"))",
                 "national_id":"\(nationalID)","monthly_income":"4817.63","household_size":3,"bank_account":"\(bankAccount)",
                 "reason":"\(needles.stored("CanaryReason-\(needles.token())"))"}}
                """
            let created = try await call(.post, "/v1/requests", token: citizen, body: benefit, mayCarry: true)
            #expect(created.status == .created)
            let id = try #require(created.json["id"] as? String)
            let fee = """
                {"service":"fee-payment","submit":true,"fields":{"payment_reference":"RT-\(needles.stored(needles.digits(8)))","amount":"125.40",
                 "payer_email":"\(needles.stored("payer.\(needles.token())@canary.example"))"}}
                """
            #expect(try await call(.post, "/v1/requests", token: citizen, body: fee, mayCarry: true).status == .created)
            try await call(.get, "/v1/requests", token: citizen)
            try await call(.get, "/v1/me/payments", token: citizen)

            // Refused inputs carrying personal values: invalid values, an unknown key, broken JSON, a search by a stranger.
            let refused: [(HTTPRequest.Method, String, String)] = [
                (.post, "/v1/requests", #"{"service":"benefit-application","submit":true,"fields":{"national_id":"\#(needles.secret("BadID-\(needles.token())"))","household_size":"\#(needles.secret("BadSize-\(needles.token())"))"}}"#),
                (.post, "/v1/requests", #"{"service":"fee-payment","submit":false,"fields":{"\#(needles.secret("PastedKey-\(needles.token())"))":"x"}}"#),
                (.post, "/v1/requests", #"{"service":"fee-payment","fields":{"payer_email":"\#(needles.secret("BadEmail-\(needles.token())"))"}}"#),
                (.patch, "/v1/me/profile", #"{"fields":{"email":"\#(needles.secret("BadProfileEmail-\(needles.token())"))"}}"#),
                (.patch, "/v1/me/profile", #"{"fields":{"name":"\#(needles.secret("Truncated-\(needles.token())"))""#),
                (.patch, "/v1/requests/\(id)", #"{"fields":{"reason":"\#(needles.secret("AfterSubmit-\(needles.token())"))"}}"#),
                (.post, "/v1/search", #"{"field":"national_id","value":"\#(nationalID)"}"#),
            ]
            for (method, uri, body) in refused {
                let answer = try await call(method, uri, token: citizen, body: body)
                #expect(answer.status.code >= 400 && answer.status.code < 500, "\(method) \(uri): \(answer.status)")
            }

            // A caseworker: queue, claim (masked identifiers), a question, the citizen's answer, a decision, a search.
            let enrolment = try await installation.accounts.addStaff(
                login: staffLogin, roles: ["caseworker"], office: "central", by: .system(), context: AccessContext(requestID: "canary"))
            _ = needles.secret(enrolment.password)
            let code = try installation.accounts.unsafeCurrentOneTimeCode(accountID: enrolment.accountID)
            let staffSession = try await call(
                .post, "/v1/sessions", body: #"{"login":"\#(staffLogin)","password":"\#(enrolment.password)","code":"\#(code)"}"#)
            let staff = try #require(staffSession.json["token"] as? String)
            let purpose = "case-handling"
            try await call(.get, "/v1/cases", token: staff, purpose: purpose, toStaff: true)
            #expect(try await call(.post, "/v1/cases/\(id)/claim", token: staff, purpose: purpose, mayCarry: true, toStaff: true).status == .ok)
            let question = needles.stored("CanaryQuestion-\(needles.token())")
            #expect(try await call(
                .post, "/v1/cases/\(id)/request-info", token: staff, purpose: purpose, body: #"{"message":"\#(question)"}"#, mayCarry: true,
                toStaff: true).status == .ok)
            // A failure nobody anticipated, while a message with a personal value is written: the operator's log gets
            // a line (so the log scan below reads something), the answer gets the request id, neither the value.
            try await installation.database.write { db in
                try db.execute(sql: "CREATE TRIGGER canary_failure BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'disk fault'); END")
            }
            let lost = needles.secret("CanaryLost-\(needles.token())")
            let failed = try await call(.post, "/v1/requests/\(id)/messages", token: citizen, body: #"{"body":"\#(lost)"}"#)
            #expect(failed.status == .internalServerError)
            try await installation.database.write { db in try db.execute(sql: "DROP TRIGGER canary_failure") }
            let reply = needles.stored("CanaryReply-\(needles.token())")
            #expect(try await call(.post, "/v1/requests/\(id)/messages", token: citizen, body: #"{"body":"\#(reply)"}"#, mayCarry: true).status == .created)
            #expect(try await call(.post, "/v1/requests/\(id)/submit", token: citizen, mayCarry: true).status == .ok)
            try await call(.get, "/v1/requests/\(id)/messages", token: staff, purpose: purpose, mayCarry: true, toStaff: true)
            try await call(.get, "/v1/requests/\(id)", token: staff, purpose: purpose, mayCarry: true, toStaff: true)
            let hits = try await call(
                .post, "/v1/search", token: staff, purpose: purpose, body: #"{"field":"national_id","value":"\#(nationalID)"}"#, mayCarry: true,
                toStaff: true)
            #expect((hits.json["items"] as? [[String: Any]])?.count == 1, "the search finds the request")
            #expect(try await call(.get, "/v1/requests/\(id)", token: staff, mayCarry: true, toStaff: true).status == .forbidden, "no purpose")
            let reason = needles.stored("CanaryDecision-\(needles.token())")
            #expect(try await call(
                .post, "/v1/cases/\(id)/decision", token: staff, purpose: purpose, body: #"{"outcome":"reject","reason":"\#(reason)"}"#,
                mayCarry: true, toStaff: true).status == .ok)

            // The owner reads everything back; the export must hold every stored value (so the scans can find them).
            try await call(.get, "/v1/me/profile", token: citizen, mayCarry: true)
            try await call(.get, "/v1/requests/\(id)", token: citizen, mayCarry: true)
            try await call(.get, "/v1/me/access-report", token: citizen)
            let export = try await call(.get, "/v1/me/export", token: citizen, mayCarry: true)
            #expect(export.status == .ok)
            let exportText = try #require(answers.all.last { $0.call == "GET /v1/me/export" }?.body)
            let missing = needles.stored.filter { !exportText.contains($0) }
            #expect(missing.isEmpty, "stored values missing from the export: \(missing)")
            #expect(try await call(.delete, "/v1/sessions/current", token: citizen).status == .noContent)
        }

        #expect(needles.all.count >= 25)
        var leaks: [String] = []
        // Answers: none that may not carry them does; no caseworker answer holds a value the policy masks.
        let received = answers.all
        #expect(received.count >= 30 && received.contains { $0.status.code >= 400 })
        for answer in received {
            for needle in needles.all {
                guard answer.body.contains(needle) else { continue }
                if !answer.mayCarry { leaks.append("answer to \(answer.call) (\(answer.status.code)): \(needle)") }
                if answer.toStaff && maskedForStaff.contains(needle) { leaks.append("caseworker's answer to \(answer.call): unmasked \(needle)") }
            }
            if !answer.mayCarry && [login, password].contains(where: answer.body.contains) { leaks.append("credential in \(answer.call)") }
        }
        // Logs of the HTTP layer and of the service.
        let logText = logs.all.joined(separator: "\n")
        #expect(logs.all.contains { $0.contains("internal failure") || $0.contains("unexpected error") }, "\(logs.all)")
        for needle in needles.all where logText.contains(needle) { leaks.append("log: \(needle)") }
        // The audit log.
        var auditText = ""
        try installation.auditStore.forEachEntry { auditText += $0.jsonLine + "\n" + String(decoding: $0.canonicalBytes, as: UTF8.self); return true }
        #expect(auditText.count > 1000)
        for needle in needles.all where auditText.contains(needle) { leaks.append("audit log: \(needle)") }
        // Every file, before and after the WAL is copied back.
        var scan = PlaintextScan(needles: needles.all)
        let directories = [data.path, keys.directory.path]
        leaks += scan.scan(directories: directories, label: "before checkpoint").map(\.description)
        leaks += scan.scanTemporaryFiles(since: started).map(\.description)
        try installation.database.checkpoint()
        leaks += scan.scan(directories: directories, label: "after checkpoint").map(\.description)
        #expect(scan.filesScanned >= 8 && scan.bytesScanned > 100_000, "scanned \(scan.filesScanned) files, \(scan.bytesScanned) bytes")
        #expect(leaks.isEmpty, "\(leaks.joined(separator: "\n"))")
    }
}

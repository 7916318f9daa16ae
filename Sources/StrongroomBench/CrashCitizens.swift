import Foundation

/// The throwaway citizen accounts the crash test writes as, kept in the state directory (`citizens.json`, mode
/// 0600) so that later rounds reuse their sessions: a session acknowledged before a crash must still work after it.
struct CrashCitizen: Codable, Sendable {
    var login: String
    var password: String
    var token: String
    var accountID: String

    static func path(state: String) -> String { "\(state)/citizens.json" }

    /// Owners at or above this are citizens signed up during a round (the number of their sign-up); below it, an
    /// index in the citizens file.
    static let firstSignedUpOwner = 1000

    /// Every citizen the test made: the citizens file, and each round's sign-ups whose sign-in was acknowledged.
    static func all(state: String, entries: [CrashJournal.Entry]) throws -> [Int: CrashCitizen] {
        var out: [Int: CrashCitizen] = [:]
        for (index, citizen) in try load(state: state).enumerated() { out[index] = citizen }
        for entry in entries where entry.step == .signIn && entry.kind == .ack {
            if let login = entry.login, let password = entry.password, let token = entry.token, let id = entry.id {
                out[entry.owner] = CrashCitizen(login: login, password: password, token: token, accountID: id)
            }
        }
        return out
    }

    /// The citizens an earlier round signed up.
    static func load(state: String) throws -> [CrashCitizen] {
        let path = path(state: state)
        guard FileManager.default.fileExists(atPath: path) else {
            throw BenchError("no \(path): run `strongroom-bench crash load` against this state directory first")
        }
        return try JSONDecoder().decode([CrashCitizen].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Loads the citizens of an earlier round, or signs `count` new ones up and in over HTTP and saves them.
    static func loadOrCreate(state: String, port: Int, count: Int) throws -> [CrashCitizen] {
        let path = path(state: state)
        if FileManager.default.fileExists(atPath: path) { return try load(state: state) }
        let made = SharedList<(Int, CrashCitizen)>()
        let problems = SharedList<String>()
        let stamp = Int(Date().timeIntervalSince1970)
        // A few at a time: each sign-up and sign-in hashes a password with Argon2id (64 MiB, on purpose slow).
        let threads = min(4, count)
        ThreadWorkers.run(threads) { worker in
            let client = LoopbackHTTPClient(port: port, timeoutSeconds: 60)
            for index in stride(from: worker, to: count, by: threads) {
                let login = "crash-\(stamp)-\(index)@example.org"
                let password = "crash test passphrase \(index) \(UUID().uuidString)"
                do {
                    let signUp = try client.sendJSON("POST", "/v1/accounts", object: ["login": login, "password": password])
                    guard signUp.status == 202 else {
                        problems.append("sign-up of citizen \(index) answered \(signUp.status)")
                        continue
                    }
                    let signIn = try client.sendJSON("POST", "/v1/sessions", object: ["login": login, "password": password])
                    guard signIn.status == 201, let body = signIn.jsonObject, let token = body["token"] as? String,
                        let accountID = body["account_id"] as? String
                    else {
                        problems.append("sign-in of citizen \(index) answered \(signIn.status)")
                        continue
                    }
                    made.append((index, CrashCitizen(login: login, password: password, token: token, accountID: accountID)))
                } catch {
                    problems.append("citizen \(index): \(error)")
                }
            }
        }
        if let first = problems.all.first {
            throw BenchError("could not sign the crash test's citizens up: \(first) (\(problems.count) problems)")
        }
        let citizens = made.all.sorted { $0.0 < $1.0 }.map(\.1)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(citizens).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        return citizens
    }
}

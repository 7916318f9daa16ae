import Foundation

/// A fresh installation served by a real `strongroom serve` child process on loopback, for the HTTP scenarios:
/// `strongroom init` in a temporary directory, the server on a free port, citizens signed up and in over HTTP,
/// each with one submitted request to read back.
final class HTTPInstallation {
    let scratch: ScratchDirectory
    let server: ServerProcess
    /// Session tokens and account ids of the signed-in citizens.
    let citizens: [(token: String, accountID: String)]
    /// One submitted request per citizen, with its owner's token.
    let owned: [(token: String, id: String)]

    var baseURL: String { "http://127.0.0.1:\(server.port)" }

    init(strongroom: String, catalog: String, policies: String, citizenCount: Int, label: String) throws {
        scratch = try ScratchDirectory(prefix: "strongroom-bench-\(label)")
        let keys = scratch.appending("Keys"), data = scratch.appending("data")
        let initialize = Process()
        initialize.executableURL = URL(fileURLWithPath: strongroom)
        initialize.arguments = ["init", "--keys", keys, "--data", data]
        initialize.standardOutput = FileHandle.nullDevice
        initialize.standardError = FileHandle.nullDevice
        try initialize.run()
        initialize.waitUntilExit()
        guard initialize.terminationStatus == 0 else { throw BenchError("`\(strongroom) init` failed (status \(initialize.terminationStatus))") }
        server = try ServerProcess(
            executable: strongroom,
            arguments: ["serve", "--keys", keys, "--data", data, "--catalog", catalog, "--policies", policies, "--host", "127.0.0.1", "--port", "0", "--payment-provider", "offline-test",
                        // Every benchmark citizen signs up from 127.0.0.1.
                        "--sign-ups-per-address", "1000000"],
            logPath: scratch.appending("serve.log"))

        // Sign-up and sign-in hash passwords with Argon2id (interactive limits): a few at a time.
        let made = SharedList<(Int, String, String, String)>()
        let problems = SharedList<String>()
        let port = server.port
        let threads = min(4, citizenCount)
        ThreadWorkers.run(threads) { worker in
            let client = LoopbackHTTPClient(port: port, timeoutSeconds: 60)
            for index in stride(from: worker, to: citizenCount, by: threads) {
                let login = "http-citizen-\(index)@example.org", password = "http bench passphrase \(index) \(UUID().uuidString)"
                do {
                    _ = try client.sendJSON("POST", "/v1/accounts", object: ["login": login, "password": password])
                    let session = try client.sendJSON("POST", "/v1/sessions", object: ["login": login, "password": password])
                    guard session.status == 201, let token = session.jsonObject?["token"] as? String,
                        let account = session.jsonObject?["account_id"] as? String
                    else {
                        problems.append("sign-in answered \(session.status)")
                        continue
                    }
                    let fields = CrashRequestValues.fields(number: 9_000_000 + index, version: 1)
                    let created = try client.sendJSON(
                        "POST", "/v1/requests", token: token, object: ["service": CrashRequestValues.serviceID, "fields": fields, "submit": true])
                    guard created.status == 201, let id = created.jsonObject?["id"] as? String else {
                        problems.append("creating a request answered \(created.status)")
                        continue
                    }
                    made.append((index, token, account, id))
                } catch {
                    problems.append("\(error)")
                }
            }
        }
        if let first = problems.all.first {
            server.stop()
            throw BenchError("setting up citizens over HTTP failed: \(first); server log: \(server.logPath)")
        }
        let sorted = made.all.sorted { $0.0 < $1.0 }
        citizens = sorted.map { ($0.1, $0.2) }
        owned = sorted.map { ($0.1, $0.3) }
    }

    /// The `strongroom` executable: `explicit` when given, else the one next to this benchmark.
    static func locateServer(_ explicit: String?) throws -> String {
        let path = explicit ?? ((Bundle.main.executablePath.map { ($0 as NSString).deletingLastPathComponent } ?? ".") + "/strongroom")
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw BenchError("""
                the HTTP scenarios run the real server, and there is no executable at \(path); build it next to the benchmark \
                (swift build -c release --scratch-path .build-bench --product strongroom) or pass --server PATH
                """)
        }
        return path
    }

    /// This benchmark's own executable (for `http-floor`).
    static var benchExecutable: String { Bundle.main.executablePath ?? CommandLine.arguments[0] }
}

import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Scenario `bad-input`: malformed JSON, huge bodies and headers, slow clients that trickle their request a byte at
/// a time, and many invalid session tokens, against a running `strongroom serve`. The server must stay up, answer
/// every complete bad request with a 4xx, keep answering good requests meanwhile, and keep its memory bounded.
struct BadInputScenario {
    let strongroom: String
    let catalog: String
    let policies: String
    /// Repetitions of each malformed body, and of invalid tokens ÷ 10.
    let rounds: Int
    let slowClients: Int
    let slowSeconds: Double

    /// How one kind of bad request was answered.
    struct Tally: Sendable {
        var fourXX = 0, fiveXX = 0, other = 0, noAnswer = 0
        var total: Int { fourXX + fiveXX + other + noAnswer }
        mutating func add(_ response: LoopbackHTTPClient.Response?) {
            guard let status = response?.status else { return noAnswer += 1 }
            switch status {
            case 400..<500: fourXX += 1
            case 500..<600: fiveXX += 1
            default: other += 1
            }
        }
        var text: String { "\(fourXX) 4xx, \(fiveXX) 5xx, \(other) other, \(noAnswer) without an answer (of \(total))" }
    }

    static let malformedBodies: [(String, [UInt8])] = [
        ("truncated object", Array(#"{"service":"benefit-application","fields":{"full_name":"#.utf8)),
        ("not JSON", Array("service=benefit-application".utf8)),
        ("empty body", []),
        ("array instead of object", Array(#"[1,2,3]"#.utf8)),
        ("wrong types", Array(#"{"service":["benefit-application"],"fields":"all of them","submit":"yes"}"#.utf8)),
        ("unknown keys", Array(#"{"service":"benefit-application","fields":{},"admin":true}"#.utf8)),
        ("invalid UTF-8", [0x7B, 0x22, 0x73, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0xC3, 0x28, 0x22, 0x7D]),
        ("lone surrogate", Array(#"{"service":"\ud800","fields":{}}"#.utf8)),
        ("huge number", Array((#"{"service":"benefit-application","fields":{"household_size":1"# + String(repeating: "0", count: 5000) + "}}").utf8)),
        ("deep nesting (100,000 levels)", Array((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8)),
        ("deep objects (50,000 levels)", Array((String(repeating: #"{"a":"#, count: 50_000) + "1" + String(repeating: "}", count: 50_000)).utf8)),
        ("unknown service", Array(#"{"service":"../../etc/passwd","fields":{}}"#.utf8)),
        ("field too long", Array((#"{"service":"benefit-application","fields":{"full_name":""# + String(repeating: "x", count: 100_000) + #""}}"#).utf8)),
    ]

    func run() throws -> [BenchFigure] {
        let setup = try HTTPInstallation(strongroom: strongroom, catalog: catalog, policies: policies, citizenCount: 2, label: "bad-input")
        let server = setup.server, port = server.port
        let token = setup.citizens[0].token
        server.resetPeak()
        let client = LoopbackHTTPClient(port: port, timeoutSeconds: 30)
        var notes: [String] = []

        // Malformed JSON: to an authenticated route and to the two routes that take JSON without a session.
        var malformed = Tally()
        var malformedDetail: [String] = []
        for (name, body) in Self.malformedBodies {
            var tally = Tally()
            for _ in 0..<rounds {
                for (path, auth) in [("/v1/requests", true), ("/v1/accounts", false), ("/v1/sessions", false)] {
                    tally.add(try? client.send("POST", path, token: auth ? token : nil, body: body))
                }
            }
            if tally.fourXX != tally.total { malformedDetail.append("\(name): \(tally.text)") }
            malformed.fourXX += tally.fourXX
            malformed.fiveXX += tally.fiveXX
            malformed.other += tally.other
            malformed.noAnswer += tally.noAnswer
        }
        let aliveAfterMalformed = server.isRunning

        // Huge bodies (declared and sent) and a huge header.
        var huge = Tally()
        for size in [4 << 20, 16 << 20, 64 << 20] {
            let fresh = LoopbackHTTPClient(port: port, timeoutSeconds: 30)
            let prefix = Array(#"{"service":"benefit-application","fields":{"reason":""#.utf8)
            let body = prefix + [UInt8](repeating: 0x61, count: size) + Array(#""}}"#.utf8)
            let head = "POST /v1/requests HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer \(token)\r\ncontent-type: application/json\r\ncontent-length: \(body.count)\r\n\r\n"
            huge.add(fresh.exchange(raw: Array(head.utf8) + body))
        }
        do {
            let fresh = LoopbackHTTPClient(port: port, timeoutSeconds: 30)
            let head = "GET /v1/requests HTTP/1.1\r\nhost: 127.0.0.1\r\nx-filler: \(String(repeating: "h", count: 1 << 20))\r\n\r\n"
            huge.add(fresh.exchange(raw: Array(head.utf8)))
        }
        let aliveAfterHuge = server.isRunning

        // Many invalid tokens, from several connections at once; then the real citizen must still get in.
        let invalidCount = rounds * 100
        let invalid = SharedList<Int>()
        ThreadWorkers.run(4) { worker in
            let connection = LoopbackHTTPClient(port: port, timeoutSeconds: 30)
            for index in stride(from: worker, to: invalidCount, by: 4) {
                let fake = index % 7 == 0 ? "" : (0..<43).map { _ in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_".randomElement()! }.map(String.init).joined()
                let status = (try? connection.send("GET", index % 2 == 0 ? "/v1/requests" : "/v1/me/profile", token: fake))?.status ?? 0
                invalid.append(status)
            }
        }
        var tokens = Tally()
        for status in invalid.all {
            tokens.add(status == 0 ? nil : LoopbackHTTPClient.Response(status: status, headers: [], body: []))
        }
        let stillServed = (try? client.send("GET", "/v1/requests/\(setup.owned[0].id)", token: token))?.status == 200

        // Slow clients: each sends a sign-in request one byte every 100 ms; meanwhile, good requests must be served.
        let slow = (0..<slowClients).map { _ in LoopbackHTTPClient(port: port, timeoutSeconds: 5) }
        var connected = 0
        for connection in slow { if (try? connection.connect()) != nil { connected += 1 } }
        let request = Array("POST /v1/sessions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 64\r\n\r\n".utf8)
        var worstHealth = 0.0
        var healthFailures = 0
        let start = Date()
        var offset = 0
        while Date().timeIntervalSince(start) < slowSeconds {
            for connection in slow where connection.isConnected && offset < request.count {
                try? connection.write([request[offset]])
            }
            offset += 1
            let health = Measure.clock.now
            let ok = (try? client.send("GET", "/healthz"))?.status == 200
            worstHealth = max(worstHealth, Measure.seconds(Measure.clock.now - health) * 1000)
            if !ok { healthFailures += 1 }
            usleep(100_000)
        }
        let closedByServer = slow.filter { $0.peerHasClosed() }.count
        for connection in slow { connection.close() }
        let peak = server.peakResidentBytes ?? 0
        let alive = server.isRunning && (try? client.send("GET", "/healthz"))?.status == 200
        server.stop()

        notes.append(malformedDetail.isEmpty ? "every kind answered 4xx" : malformedDetail.joined(separator: "; "))
        let malformedOK = malformed.fourXX == malformed.total && aliveAfterMalformed
        let hugeOK = huge.fiveXX == 0 && huge.other == 0 && aliveAfterHuge
        let tokensOK = tokens.fourXX == tokens.total && stillServed
        let slowOK = healthFailures == 0 && alive
        func verdict(_ ok: Bool) -> BenchFigure.Target { BenchFigure.Target(text: "all 4xx, server up") { _, _ in ok } }
        return [
            BenchFigure(
                scenario: "bad-input", name: "malformed JSON answered 4xx (\(Self.malformedBodies.count) kinds × 3 routes)",
                value: Double(malformed.fourXX), unit: "of \(malformed.total)", lowerIsBetter: false, floor: nil, floorDescription: "none",
                targets: [verdict(malformedOK)], note: "\(malformed.text); \(notes[0])"),
            BenchFigure(
                scenario: "bad-input", name: "huge bodies (4, 16, 64 MiB) and a 1 MiB header", value: Double(huge.fourXX), unit: "of \(huge.total) 4xx",
                lowerIsBetter: false, floor: nil, floorDescription: "none",
                targets: [BenchFigure.Target(text: "no 5xx, server up") { _, _ in hugeOK }],
                note: huge.text + " (an early close instead of a 4xx counts as no answer)"),
            BenchFigure(
                scenario: "bad-input", name: "invalid session tokens answered 401/4xx", value: Double(tokens.fourXX), unit: "of \(tokens.total)",
                lowerIsBetter: false, floor: nil, floorDescription: "none",
                targets: [verdict(tokensOK)], note: tokens.text + "; the real citizen " + (stillServed ? "was still served afterwards" : "was NOT served afterwards")),
            BenchFigure(
                scenario: "bad-input", name: "worst /healthz latency with \(connected) slow clients trickling", value: worstHealth, unit: "ms",
                lowerIsBetter: true, floor: nil, floorDescription: "none",
                targets: [BenchFigure.Target(text: "< 1,000 ms, no failures") { value, _ in value < 1000 && slowOK }],
                note: "one byte per 100 ms per client for \(BenchFormat.number(slowSeconds)) s; \(healthFailures) health checks failed; "
                    + "\(closedByServer) slow connections closed by the server by the end"),
            BenchFigure(
                scenario: "bad-input", name: "server peak RSS through the bad-input load", value: Double(peak) / HTTPScenario.megabyte, unit: "MB",
                lowerIsBetter: true, floor: nil, floorDescription: "none", targets: [.below(200, "MB")],
                note: "VmHWM of strongroom serve; server " + (alive ? "up and answering at the end" : "NOT answering at the end")),
        ]
    }
}

import Foundation

/// Scenario `http`: sealed submissions and reads of one's own request against a running `strongroom serve` on
/// loopback, driven by wrk at `connections` connections, beside the same load against bare Hummingbird JSON routes
/// (`strongroom-bench http-floor`, a separate process too); and the server's peak resident memory under that load.
struct HTTPScenario {
    let strongroom: String
    let catalog: String
    let policies: String
    let seconds: Int
    let connections: Int
    let citizens: Int

    static let megabyte = 1_000_000.0

    func run() throws -> [BenchFigure] {
        _ = try WrkRun.executable()
        let setup = try HTTPInstallation(strongroom: strongroom, catalog: catalog, policies: policies, citizenCount: citizens, label: "http")
        let scripts = setup.scratch
        let submitScript = try WrkScripts.write(WrkScripts.submissions(tokens: setup.citizens.map(\.token)), to: scripts.appending("submit.lua"))
        let readScript = try WrkScripts.write(WrkScripts.reads(owned: setup.owned), to: scripts.appending("read.lua"))
        _ = try WrkRun.run(url: setup.baseURL, script: submitScript, connections: connections, seconds: max(2, seconds / 3))  // warm-up
        let peakReset = setup.server.resetPeak()
        let baseline = setup.server.residentBytes ?? 0
        let submit = try WrkRun.run(url: setup.baseURL, script: submitScript, connections: connections, seconds: seconds)
        let read = try WrkRun.run(url: setup.baseURL, script: readScript, connections: connections, seconds: seconds)
        let peak = setup.server.peakResidentBytes ?? 0
        guard setup.server.isRunning else { throw BenchError("strongroom serve died under the HTTP load; its log: \(setup.server.logPath)") }
        setup.server.stop()

        let floorServer = try ServerProcess(
            executable: HTTPInstallation.benchExecutable, arguments: ["http-floor", "--port", "0"], logPath: scripts.appending("floor.log"))
        let floorBase = "http://127.0.0.1:\(floorServer.port)"
        let floorPostScript = try WrkScripts.write(WrkScripts.submissions(tokens: ["floor"], path: "/json"), to: scripts.appending("floor.lua"))
        _ = try WrkRun.run(url: floorBase, script: floorPostScript, connections: connections, seconds: max(2, seconds / 3))
        floorServer.resetPeak()
        let floorPost = try WrkRun.run(url: floorBase, script: floorPostScript, connections: connections, seconds: seconds)
        let floorGet = try WrkRun.run(url: floorBase + "/json", script: nil, connections: connections, seconds: seconds)
        let floorPeak = floorServer.peakResidentBytes ?? 0
        floorServer.stop()

        let load = "wrk, \(connections) connections, 2 threads, \(seconds) s"
        let submitErrors = submit.errors
        let noErrors = BenchFigure.Target(text: "0 errors") { _, _ in submitErrors == 0 }
        let readErrors = read.errors
        let noReadErrors = BenchFigure.Target(text: "0 errors") { _, _ in readErrors == 0 }
        return [
            BenchFigure(
                scenario: "http", name: "HTTP sealed submission (POST /v1/requests, submit)", value: submit.requestsPerSecond, unit: "/s",
                lowerIsBetter: false, floor: floorPost.requestsPerSecond,
                floorDescription: "bare Hummingbird POST /json decoding the same body and answering 201 with JSON (\(load))",
                targets: [.atLeast(2000, "/s"), noErrors],
                note: "\(load); \(submit.summary); floor \(floorPost.summary)"),
            BenchFigure(
                scenario: "http", name: "HTTP sealed submission p99", value: submit.p99, unit: "ms", lowerIsBetter: true, floor: floorPost.p99,
                floorDescription: "p99 of the bare POST /json", targets: [.below(25, "ms")],
                note: "p50 \(BenchFormat.number(submit.p50)) ms (floor \(BenchFormat.number(floorPost.p50)) ms)"),
            BenchFigure(
                scenario: "http", name: "HTTP read own request (GET /v1/requests/ID)", value: read.requestsPerSecond, unit: "/s",
                lowerIsBetter: false, floor: floorGet.requestsPerSecond,
                floorDescription: "bare Hummingbird GET /json answering a small JSON (\(load))", targets: [noReadErrors],
                note: "\(load); \(read.summary); floor \(floorGet.summary)"),
            BenchFigure(
                scenario: "http", name: "HTTP read own request p99", value: read.p99, unit: "ms", lowerIsBetter: true, floor: floorGet.p99,
                floorDescription: "p99 of the bare GET /json",
                note: "p50 \(BenchFormat.number(read.p50)) ms (floor \(BenchFormat.number(floorGet.p50)) ms)"),
            BenchFigure(
                scenario: "http", name: "server peak RSS under HTTP load", value: Double(peak) / Self.megabyte, unit: "MB", lowerIsBetter: true,
                floor: Double(floorPeak) / Self.megabyte, floorDescription: "peak RSS of the bare Hummingbird server under its load",
                targets: [.below(200, "MB")],
                note: "VmHWM of the strongroom serve process over the submission and read runs"
                    + (peakReset ? ", reset after warm-up (RSS then \(BenchFormat.number(Double(baseline) / Self.megabyte)) MB)" : ", since start (reset refused)")
                    + "; 1 MB = 10^6 bytes"),
        ]
    }
}

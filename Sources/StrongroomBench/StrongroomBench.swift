import ArgumentParser
import Foundation

/// `strongroom-bench`: every scenario in one release-build run, each figure beside its floor measured in the same
/// run on the same data; a table on standard output and a JSON file for tools.
@main
struct StrongroomBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strongroom-bench",
        abstract: "Measure Strongroom's secure path against its floors (build with -c release).",
        discussion: """
            Scenarios: \(Scenario.allCases.map(\.rawValue).joined(separator: ", ")). The whole suite takes a few minutes; \
            --quick under two. Run it from the repository root (or pass --catalog and --policies). See docs/benchmarks.md.
            """,
        subcommands: [CrashCommand.self, HTTPFloorCommand.self])

    enum Scenario: String, CaseIterable, ExpressibleByArgument {
        case seal, policy, audit, submit, read, search, breakdown, keys, http, portal, soak
        case badInput = "bad-input"
        var needsInstallation: Bool { [.submit, .read, .search, .breakdown, .keys].contains(self) }
        /// Runs `strongroom serve` as a child process and loads it over HTTP (see StrongroomBench+HTTP.swift).
        var needsServer: Bool { [.http, .portal, .soak, .badInput].contains(self) }
    }

    @Flag(help: "Smaller counts: the whole suite in under two minutes.")
    var quick = false

    @Option(help: "Where to write the JSON results.")
    var json = "bench-results/latest.json"

    @Option(help: "Run only this scenario (repeatable): \(Scenario.allCases.map(\.rawValue).joined(separator: ", ")).")
    var only: [Scenario] = []

    @Option(help: "Audit log size for append and verify (default 1,000,000; 100,000 with --quick).")
    var auditEntries: Int?

    @Option(help: "Most service calls in flight at once in the submit and read scenarios.")
    var inFlight = 64

    @Option(help: "The catalog folder (the sample e-services).")
    var catalog = "Catalog"

    @Option(help: "The policy folder.")
    var policies = "Policies"

    @Option(help: "The strongroom executable the HTTP scenarios serve with (default: the one next to strongroom-bench).")
    var server: String?

    @Option(help: "Connections wrk keeps open in the http and soak scenarios.")
    var connections = 32

    @Option(help: "Seconds of each wrk run in the http scenario (default 10; 3 with --quick).")
    var httpSeconds: Int?

    @Option(help: "Seconds of the soak (default 60; 10 with --quick).")
    var soakSeconds: Int?

    @Flag(help: "Leave lists of one's requests out of the soak's mix.")
    var soakWithoutLists = false

    func validate() throws {
        guard inFlight >= 1 else { throw ValidationError("--in-flight must be at least 1") }
        if let auditEntries, auditEntries < 10_000 { throw ValidationError("--audit-entries must be at least 10,000") }
        if selected.contains(where: { $0.needsInstallation || $0.needsServer }) {
            for (option, path) in [("--catalog", catalog), ("--policies", policies)] {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                    throw ValidationError("\(option) \(path) is not a folder; run from the repository root or pass \(option) PATH")
                }
            }
        }
    }

    var selected: [Scenario] { only.isEmpty ? Scenario.allCases : Scenario.allCases.filter(only.contains) }

    func run() async throws {
        #if DEBUG
        FileHandle.standardError.write(Data("warning: this is a debug build; figures mean nothing. Build with: swift build -c release --product strongroom-bench\n".utf8))
        let build = "debug"
        #else
        let build = "release"
        #endif
        let started = Measure.clock.now
        var figures: [BenchFigure] = []
        func announce(_ scenario: Scenario) {
            FileHandle.standardError.write(Data("running \(scenario.rawValue)…\n".utf8))
        }
        let scenarios = selected
        if scenarios.contains(.seal) {
            announce(.seal)
            figures += try SealingScenario(sizes: [32, 256, 4096], operations: quick ? 10_000 : 50_000, runs: quick ? 5 : 7).run()
        }
        if scenarios.contains(.policy) {
            announce(.policy)
            figures += PolicyScenario(decisions: quick ? 20_000 : 100_000, runs: quick ? 3 : 5).run()
        }
        if scenarios.contains(.audit) {
            announce(.audit)
            figures += try AuditScenario(entries: auditEntries ?? (quick ? 100_000 : 1_000_000), runs: 3).run()
        }
        if scenarios.contains(where: \.needsInstallation) {
            let bench = try await BenchInstallation(catalogDirectory: catalog, policyDirectory: policies, citizenCount: 8)
            if scenarios.contains(.submit) {
                announce(.submit)
                figures += try await SubmissionScenario(
                    bench: bench, submissionsPerRun: quick ? 2000 : 10_000, runs: 3, inFlight: inFlight).run()
            }
            if scenarios.contains(.read) {
                announce(.read)
                figures += try await ReadScenario(bench: bench, readsPerRun: quick ? 4000 : 20_000, runs: 3, inFlight: inFlight).run()
            }
            if scenarios.contains(.keys) {
                announce(.keys)
                figures += try await KeyScenario(bench: bench, fields: quick ? 30_000 : 120_000, subjectKeys: quick ? 20_000 : 100_000).run()
            }
            if scenarios.contains(.breakdown) {
                announce(.breakdown)
                figures += try await BreakdownScenario(bench: bench, iterations: quick ? 2000 : 10_000).run()
            }
            if scenarios.contains(.search) {
                announce(.search)
                try await bench.ensureRequests(1000)
                figures += try SearchScenario(bench: bench, lookupsPerRun: quick ? 2000 : 10_000, runs: quick ? 5 : 7).run()
            }
        }
        if scenarios.contains(where: \.needsServer) {
            figures += try runServerScenarios(scenarios, announce: announce)
        }
        let report = BenchReport(
            date: Date().ISO8601Format(), mode: quick ? "quick" : "full", build: build, machine: .current,
            seconds: Measure.seconds(Measure.clock.now - started), figures: figures)
        print(report.table)
        try report.writeJSON(to: json)
        print("JSON: \(json)")
    }
}

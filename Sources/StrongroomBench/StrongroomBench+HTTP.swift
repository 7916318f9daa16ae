import Foundation

extension StrongroomBench {
    /// The scenarios that run `strongroom serve` as a child process and load it over loopback with wrk and
    /// ``LoopbackHTTPClient``: `http`, `portal`, `soak`, `bad-input`. The server is the `strongroom` executable next to this
    /// one (build both with the same `-c release --scratch-path`), or `--server PATH`.
    func runServerScenarios(_ scenarios: [Scenario], announce: (Scenario) -> Void) throws -> [BenchFigure] {
        #if DEBUG
        FileHandle.standardError.write(Data("warning: the HTTP scenarios serve with \(server ?? "the strongroom next to this benchmark"); use release builds of both\n".utf8))
        #endif
        let strongroom = try HTTPInstallation.locateServer(server)
        var figures: [BenchFigure] = []
        if scenarios.contains(.http) {
            announce(.http)
            figures += try HTTPScenario(
                strongroom: strongroom, catalog: catalog, policies: policies, seconds: httpSeconds ?? (quick ? 3 : 10), connections: connections,
                citizens: 16
            ).run()
        }
        if scenarios.contains(.portal) {
            announce(.portal)
            figures += try PortalScenario(
                strongroom: strongroom, catalog: catalog, policies: policies, seconds: httpSeconds ?? (quick ? 3 : 10), connections: connections,
                citizens: 16
            ).run()
        }
        if scenarios.contains(.soak) {
            announce(.soak)
            figures += try SoakScenario(
                strongroom: strongroom, catalog: catalog, policies: policies, seconds: soakSeconds ?? (quick ? 10 : 60), connections: connections,
                lists: !soakWithoutLists
            ).run()
        }
        if scenarios.contains(.badInput) {
            announce(.badInput)
            figures += try BadInputScenario(
                strongroom: strongroom, catalog: catalog, policies: policies, rounds: quick ? 3 : 10, slowClients: 200, slowSeconds: quick ? 3 : 10
            ).run()
        }
        return figures
    }
}

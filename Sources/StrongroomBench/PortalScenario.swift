import Foundation

/// Scenario `portal`: the citizen portal's rendered pages under wrk against a running `strongroom serve` — "my
/// requests" (`GET /requests`: the session cookie authenticated, the list read and audited, the page rendered) and
/// a form page (`GET /profile/edit`: the profile's sealed fields opened, audited and rendered into inputs) — beside
/// bare Hummingbird answering a static HTML page of the same size (`strongroom-bench http-floor`, `GET /html`).
struct PortalScenario {
    let strongroom: String
    let catalog: String
    let policies: String
    let seconds: Int
    let connections: Int
    let citizens: Int

    func run() throws -> [BenchFigure] {
        _ = try WrkRun.executable()
        let setup = try HTTPInstallation(strongroom: strongroom, catalog: catalog, policies: policies, citizenCount: citizens, label: "portal")
        let client = LoopbackHTTPClient(port: setup.server.port, timeoutSeconds: 60)
        // Every citizen has a profile to show on the form page.
        for (index, citizen) in setup.citizens.enumerated() {
            let answer = try client.sendJSON("PATCH", "/v1/me/profile", token: citizen.token, object: ["fields": [
                "family_name": "Portal", "given_names": "Citizen \(index)", "email": "portal-\(index)@example.org",
                "phone": "+353 1 555 0\(100 + index)",
            ]])
            guard answer.status == 200 else { throw BenchError("profile set-up answered \(answer.status)") }
        }
        let scripts = setup.scratch
        let tokens = setup.citizens.map(\.token)
        let listScript = try WrkScripts.write(WrkScripts.portalPage(tokens: tokens, path: "/requests"), to: scripts.appending("portal-list.lua"))
        let formScript = try WrkScripts.write(WrkScripts.portalPage(tokens: tokens, path: "/profile/edit"), to: scripts.appending("portal-form.lua"))
        let listSize = try client.send("GET", "/requests", headers: [("cookie", "__Host-sr-session=" + tokens[0])]).body.count
        _ = try WrkRun.run(url: setup.baseURL, script: listScript, connections: connections, seconds: max(2, seconds / 3))  // warm-up
        let list = try WrkRun.run(url: setup.baseURL, script: listScript, connections: connections, seconds: seconds)
        let form = try WrkRun.run(url: setup.baseURL, script: formScript, connections: connections, seconds: seconds)
        guard setup.server.isRunning else { throw BenchError("strongroom serve died under the portal load; its log: \(setup.server.logPath)") }
        setup.server.stop()

        let floorServer = try ServerProcess(
            executable: HTTPInstallation.benchExecutable, arguments: ["http-floor", "--port", "0", "--html-bytes", String(listSize)],
            logPath: scripts.appending("floor.log"))
        let floorBase = "http://127.0.0.1:\(floorServer.port)"
        _ = try WrkRun.run(url: floorBase + "/html", script: nil, connections: connections, seconds: max(2, seconds / 3))
        let floor = try WrkRun.run(url: floorBase + "/html", script: nil, connections: connections, seconds: seconds)
        floorServer.stop()

        let load = "wrk, \(connections) connections, 2 threads, \(seconds) s, \(citizens) signed-in citizens"
        func figures(_ name: String, _ path: String, _ run: WrkRun) -> [BenchFigure] {
            let errors = run.errors
            let noErrors = BenchFigure.Target(text: "0 errors") { _, _ in errors == 0 }
            return [
                BenchFigure(
                    scenario: "portal", name: "portal \(name) (GET \(path))", value: run.requestsPerSecond, unit: "/s", lowerIsBetter: false,
                    floor: floor.requestsPerSecond,
                    floorDescription: "bare Hummingbird GET /html answering a static \(listSize)-byte page (\(load))", targets: [noErrors],
                    note: "\(load); \(run.summary); floor \(floor.summary)"),
                BenchFigure(
                    scenario: "portal", name: "portal \(name) p99", value: run.p99, unit: "ms", lowerIsBetter: true, floor: floor.p99,
                    floorDescription: "p99 of the bare GET /html", targets: [.below(25, "ms")],
                    note: "p50 \(BenchFormat.number(run.p50)) ms (floor \(BenchFormat.number(floor.p50)) ms)"),
            ]
        }
        return figures("my requests page", "/requests", list) + figures("form page", "/profile/edit", form)
    }
}

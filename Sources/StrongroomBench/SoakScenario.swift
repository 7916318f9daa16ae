import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Scenario `soak`: sustained mixed load (wrk: submissions, reads, lists, catalog reads on keep-alive connections;
/// beside it, a client that opens a new connection for every read and closes it, about 20 a second, and one
/// sign-in a second) against `strongroom serve` on loopback for a bounded time. The server's resident memory and open file descriptors are sampled when idle before and after, and every
/// second during the run: they must not grow beyond a bound.
struct SoakScenario {
    let strongroom: String
    let catalog: String
    let policies: String
    let seconds: Int
    let connections: Int
    /// Whether the mix lists one's requests (`GET /v1/requests`); `--soak-without-lists` leaves them out.
    var lists = true

    /// Allowed growth from idle-before to idle-after.
    static let rssGrowthLimitMB = 64.0
    static let fdGrowthLimit = 8

    func run() throws -> [BenchFigure] {
        _ = try WrkRun.executable()
        let setup = try HTTPInstallation(strongroom: strongroom, catalog: catalog, policies: policies, citizenCount: 16, label: "soak")
        let server = setup.server
        let script = try WrkScripts.write(WrkScripts.soak(owned: setup.owned, lists: lists), to: setup.scratch.appending("soak.lua"))
        _ = try WrkRun.run(url: setup.baseURL, script: script, connections: connections, seconds: 3)  // warm-up: caches, pools
        usleep(1_000_000)
        let rssBefore = server.residentBytes ?? 0, fdsBefore = server.openFileDescriptors ?? 0
        server.resetPeak()

        let done = SharedCounter()
        let samples = SharedList<(Double, Int, Int)>()
        let signIns = SharedList<Int>()
        let port = server.port, pid = server.pid
        let sampler = Thread {
            let start = Date()
            while done.current == 0 {
                let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
                let rss = status?.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }.flatMap { Int($0.dropFirst(6).filter(\.isNumber)) } ?? 0
                let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count ?? 0
                samples.append((Date().timeIntervalSince(start), rss * 1024, fds))
                usleep(1_000_000)
            }
        }
        sampler.start()
        let signer = Thread {
            let client = LoopbackHTTPClient(port: port, timeoutSeconds: 30)
            var number = 0
            while done.current == 0 {
                number += 1
                // Sign-ins for accounts that do not exist: each still hashes (uniform timing) and answers 4xx.
                let status = (try? client.sendJSON("POST", "/v1/sessions", object: ["login": "soak-\(number % 50)@example.org", "password": "not the password"]))?.status ?? 0
                signIns.append(status)
                usleep(1_000_000)
            }
        }
        signer.start()
        let churned = SharedList<Int>()
        let owned = setup.owned
        let churner = Thread {
            var number = 0
            while done.current == 0 {
                number += 1
                let item = owned[number % owned.count]
                let client = LoopbackHTTPClient(port: port, timeoutSeconds: 30)
                let status = (try? client.send("GET", "/v1/requests/\(item.id)", token: item.token, headers: [("connection", "close")]))?.status ?? 0
                client.close()
                churned.append(status)
                usleep(50_000)
            }
        }
        churner.start()
        let load = try WrkRun.run(url: setup.baseURL, script: script, connections: connections, seconds: seconds)
        done.add()
        usleep(1_500_000)  // connections closed by wrk settle
        let rssAfter = server.residentBytes ?? 0, fdsAfter = server.openFileDescriptors ?? 0
        let peak = server.peakResidentBytes ?? 0
        let answering = (try? LoopbackHTTPClient(port: port, timeoutSeconds: 5).send("GET", "/healthz"))?.status == 200
        let alive = server.isRunning && answering
        server.stop()

        let mb = HTTPScenario.megabyte
        let points = samples.all
        let middle = points.isEmpty ? 0 : points[points.count / 2].1
        let maxFDs = points.map(\.2).max() ?? 0
        let growth = Double(rssAfter - rssBefore) / mb
        let loadErrors = load.errors
        func statuses(_ list: [Int]) -> String {
            Dictionary(grouping: list, by: { $0 }).mapValues(\.count).sorted { $0.key < $1.key }
                .map { "\($0.value)× \($0.key == 0 ? "no answer" : String($0.key))" }.joined(separator: ", ")
        }
        let churnedStatuses = churned.all
        let churnOK = churnedStatuses.allSatisfy { $0 == 200 }
        return [
            BenchFigure(
                scenario: "soak", name: "soak: mixed load for \(seconds) s", value: load.requestsPerSecond, unit: "/s", lowerIsBetter: false,
                floor: nil, floorDescription: "none",
                targets: [BenchFigure.Target(text: "0 errors, server up") { _, _ in loadErrors == 0 && alive && churnOK }],
                note: "wrk \(connections) connections: 40% submissions, " + (lists ? "40% reads, 15% lists" : "55% reads (lists left out)") + ", 5% catalog; \(load.summary); "
                    + "beside it, reads on a new connection each: \(statuses(churnedStatuses)); sign-ins: \(statuses(signIns.all)); "
                    + (alive ? "server answering /healthz at the end" : "server NOT answering /healthz within 5 s at the end")),
            BenchFigure(
                scenario: "soak", name: "soak: RSS growth, idle before → idle after", value: growth, unit: "MB", lowerIsBetter: true,
                floor: nil, floorDescription: "none", targets: [.atMost(Self.rssGrowthLimitMB, "MB")],
                note: "RSS \(BenchFormat.number(Double(rssBefore) / mb)) → \(BenchFormat.number(Double(middle) / mb)) (mid-run) → "
                    + "\(BenchFormat.number(Double(rssAfter) / mb)) MB; peak \(BenchFormat.number(Double(peak) / mb)) MB; "
                    + "\(points.count) samples; the database grew by the run's submissions (page caches fill as it does)"),
            BenchFigure(
                scenario: "soak", name: "soak: open file descriptors growth, idle before → idle after", value: Double(fdsAfter - fdsBefore),
                unit: "fds", lowerIsBetter: true, floor: nil, floorDescription: "none", targets: [.atMost(Double(Self.fdGrowthLimit), "fds")],
                note: "\(fdsBefore) → \(fdsAfter) open; at most \(maxFDs) during the run (\(connections) load connections, \(churnedStatuses.count) connections opened and closed)"),
            BenchFigure(
                scenario: "soak", name: "soak: server peak RSS", value: Double(peak) / mb, unit: "MB", lowerIsBetter: true,
                floor: nil, floorDescription: "none", targets: [.below(200, "MB")], note: "VmHWM over the measured run"),
        ]
    }
}

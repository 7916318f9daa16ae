import Foundation

/// One run of `wrk` (Debian package `wrk`, 4.x) against a server on loopback, and what it reported: requests per
/// second and the latency distribution from `--latency`, plus the non-2xx answers and socket errors it counted.
struct WrkRun {
    var requestsPerSecond: Double
    var requests: Int
    /// Latency percentiles, milliseconds.
    var p50: Double
    var p90: Double
    var p99: Double
    var non2xx: Int
    var socketErrors: Int
    /// wrk's own breakdown ("connect 0, read 0, write 0, timeout 0"), when it reported any.
    var socketErrorText: String?
    var output: String

    var errors: Int { non2xx + socketErrors }

    /// Where `wrk` is, or a clear error saying how to get it.
    static func executable() throws -> String {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(directory)/wrk"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw BenchError("the HTTP scenarios need wrk (Debian package `wrk`): run scripts/bench.sh, which installs it, or apt-get install wrk")
    }

    /// Runs wrk with `threads` threads and `connections` connections for `seconds`, with the Lua `script` (in a file).
    static func run(url: String, script: String?, threads: Int = 2, connections: Int, seconds: Int) throws -> WrkRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try executable())
        var arguments = ["-t", String(threads), "-c", String(connections), "-d", "\(seconds)s", "--timeout", "10s", "--latency"]
        if let script { arguments += ["-s", script] }
        process.arguments = arguments + [url]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else { throw BenchError("wrk failed (status \(process.terminationStatus)): \(output.prefix(400))") }
        return try parse(output)
    }

    /// Reads wrk's report.
    static func parse(_ output: String) throws -> WrkRun {
        let lines = output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        func value(after prefix: String) -> String? {
            lines.first { $0.hasPrefix(prefix) }.map { $0.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces) }
        }
        func percentile(_ label: String) -> Double? {
            guard let line = lines.first(where: { $0.hasPrefix(label + " ") }) else { return nil }
            return milliseconds(line.dropFirst(label.count).trimmingCharacters(in: .whitespaces))
        }
        guard let rate = value(after: "Requests/sec:").flatMap(Double.init), let p50 = percentile("50%"), let p90 = percentile("90%"),
            let p99 = percentile("99%")
        else { throw BenchError("could not read wrk's report: \(output.prefix(600))") }
        let total = lines.first { $0.contains(" requests in ") }.flatMap { Int($0.split(separator: " ").first ?? "") } ?? 0
        let non2xx = value(after: "Non-2xx or 3xx responses:").flatMap { Int($0) } ?? 0
        var socketErrors = 0
        let socketErrorText = value(after: "Socket errors:")
        if let errors = socketErrorText {
            // "connect 0, read 0, write 0, timeout 0"
            socketErrors = errors.split(separator: ",").compactMap { Int($0.split(separator: " ").last ?? "") }.reduce(0, +)
        }
        return WrkRun(requestsPerSecond: rate, requests: total, p50: p50, p90: p90, p99: p99, non2xx: non2xx, socketErrors: socketErrors, socketErrorText: socketErrorText, output: output)
    }

    /// "1.23ms", "950.00us", "1.02s", "2.00m" → milliseconds.
    static func milliseconds(_ text: String) -> Double? {
        for (unit, scale) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("m", 60_000.0)] where text.hasSuffix(unit) {
            if let number = Double(text.dropLast(unit.count)) { return number * scale }
        }
        return nil
    }

    /// One line for the notes: rate, latencies, errors.
    var summary: String {
        "\(BenchFormat.number(requestsPerSecond))/s, p50 \(BenchFormat.number(p50)) ms, p90 \(BenchFormat.number(p90)) ms, "
            + "p99 \(BenchFormat.number(p99)) ms, \(requests) requests, \(non2xx) non-2xx, \(socketErrors) socket errors" + (socketErrorText.map { " (\($0))" } ?? "")
    }
}

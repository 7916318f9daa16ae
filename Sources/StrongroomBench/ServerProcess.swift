import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A server run as a child process for the HTTP scenarios (`strongroom serve` or `strongroom-bench http-floor`):
/// started on port 0, ready once it prints `listening on http://127.0.0.1:PORT`, observed through `/proc/PID`
/// (resident memory, open file descriptors) and stopped with SIGTERM.
final class ServerProcess {
    let process: Process
    let logPath: String
    private(set) var port = 0

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// Starts `executable arguments…` with standard output and error in `logPath`, and waits until it listens.
    init(executable: String, arguments: [String], logPath: String, readyWithin seconds: Double = 60) throws {
        self.logPath = logPath
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        guard let log = FileHandle(forWritingAtPath: logPath) else { throw BenchError("cannot write the server log \(logPath)") }
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: logPath, encoding: .utf8),
                let range = text.range(of: "listening on http://127.0.0.1:")
            {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits), port > 0 {
                    self.port = port
                    return
                }
            }
            guard process.isRunning else {
                throw BenchError("\(executable) exited while starting (status \(process.terminationStatus)); its log: \(logPath)")
            }
            usleep(50_000)
        }
        stop()
        throw BenchError("\(executable) did not start listening within \(Int(seconds)) s; its log: \(logPath)")
    }

    deinit { stop() }

    /// SIGTERM, then SIGKILL after `grace` seconds.
    func stop(grace: Double = 3) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }

    /// Current resident memory (VmRSS), bytes.
    var residentBytes: Int? { statusField("VmRSS:") }
    /// Peak resident memory (VmHWM) since start or the last ``resetPeak()``, bytes.
    var peakResidentBytes: Int? { statusField("VmHWM:") }

    /// Resets the peak to the current resident memory (Linux ≥ 4.0; needs to be the same user or root).
    @discardableResult
    func resetPeak() -> Bool {
        let descriptor = open("/proc/\(pid)/clear_refs", O_WRONLY)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return write(descriptor, "5", 1) == 1
    }

    /// Open file descriptors (entries in /proc/PID/fd).
    var openFileDescriptors: Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count
    }

    private func statusField(_ name: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name) }) else { return nil }
        return Int(line.dropFirst(name.count).filter(\.isNumber)).map { $0 * 1024 }
    }
}

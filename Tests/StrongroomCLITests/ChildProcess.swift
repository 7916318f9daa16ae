import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The `strongroom` executable this test run was built with (beside the test bundle), for tests that need real
/// processes (a witness beside a server).
let strongroomExecutable: String = {
    let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    for candidate in [bundleDirectory.path + "/strongroom", bundleDirectory.deletingLastPathComponent().path + "/strongroom",
        repositoryRoot + "/.build/debug/strongroom"] where FileManager.default.isExecutableFile(atPath: candidate)
    {
        return candidate
    }
    return repositoryRoot + "/.build/debug/strongroom"
}()

/// A `strongroom` subcommand run as a child process, with its output in a log file; ready once it prints
/// `listening on http://127.0.0.1:PORT`. Stopped with SIGTERM (then SIGKILL) when the test is done with it.
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    let logPath: String
    private(set) var port = 0

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Launches `strongroom ARGUMENTS` and waits until it is listening. Waits by sleeping the task, never by
    /// blocking a thread of the cooperative pool (two on a two-core machine, shared with every test running beside).
    static func start(_ arguments: [String], logPath: String, readyWithin seconds: Double = 120) async throws -> ChildProcess {
        let child = try ChildProcess(launching: arguments, logPath: logPath)
        try await child.waitUntilListening(arguments, within: seconds)
        return child
    }

    private init(launching arguments: [String], logPath: String) throws {
        self.logPath = logPath
        guard FileManager.default.isExecutableFile(atPath: strongroomExecutable) else {
            throw Failure(description: "\(strongroomExecutable) is missing: build it first (swift build --build-tests builds it)")
        }
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.executableURL = URL(fileURLWithPath: strongroomExecutable)
        process.arguments = arguments
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    private func waitUntilListening(_ arguments: [String], within seconds: Double) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let text = output
            if let range = text.range(of: "listening on http://127.0.0.1:") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits), port > 0 {
                    self.port = port
                    return
                }
            }
            guard process.isRunning else {
                throw Failure(description: "strongroom \(arguments.first ?? "") exited while starting (status \(process.terminationStatus)): \(text.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        stop()
        throw Failure(description: "strongroom \(arguments.first ?? "") did not start within \(Int(seconds)) s: \(output.suffix(2000))")
    }

    deinit { stop() }

    /// Everything it printed so far.
    var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits until `predicate` holds on its output (or it exits, or time runs out).
    @discardableResult
    func waitForOutput(within seconds: Double = 120, _ predicate: (String) -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if predicate(output) { return true }
            if !process.isRunning { return predicate(output) }
            do { try await Task.sleep(for: .milliseconds(100)) } catch { break }
        }
        return predicate(output)
    }

    /// SIGTERM, then SIGKILL after `grace` seconds; waits for the exit.
    func stop(grace: Double = 10) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

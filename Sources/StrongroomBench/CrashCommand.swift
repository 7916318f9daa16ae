import ArgumentParser
import Foundation

/// `strongroom-bench crash load|check|self-test|code`: the two halves of the crash test that `scripts/crash-test.sh` runs
/// around each SIGKILL of a running `strongroom serve`, and the checker's own test (forged faults it must find).
/// Works in debug builds (it measures nothing).
struct CrashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crash",
        abstract: "Crash test driver: concurrent writes until the server is killed, then checks after restart.",
        discussion: "Run by scripts/crash-test.sh; see docs/benchmarks.md.",
        subcommands: [Load.self, Check.self, SelfTest.self, Code.self])

    struct Load: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign citizens up (first round) and write requests concurrently until the server stops answering.",
            discussion: """
                Journals every write before sending it and again once acknowledged (STATE/journal-ROUND.jsonl), and \
                touches STATE/started-ROUND when writing begins. Exits 0 when the server went away (the expected end), \
                1 when the server answered a write with anything but 2xx.
                """)

        @Option(help: "Port of the running server on 127.0.0.1.") var port: Int
        @Option(help: "State directory shared by every round (citizens, journals).") var state: String
        @Option(help: "Round number (request numbers are unique per round).") var round: Int
        @Option(help: "Concurrent writers, each on its own connection.") var workers = 16
        @Option(help: "Citizen accounts to write as (signed up in the first round).") var citizens = 8
        @Option(help: "Stop after this many seconds even if the server is still up.") var seconds = 60.0
        @Option(help: "Fail (exit 1) when fewer writes than this were acknowledged before the server went away.") var minAcks = 0
        @Option(help: "Print a STALL line when no write was acknowledged in this many seconds before the server went away.")
        var stallSeconds = 3.0

        func validate() throws {
            guard (1...65535).contains(port) else { throw ValidationError("--port must be between 1 and 65535") }
            guard (1...99).contains(workers), (1...256).contains(citizens) else { throw ValidationError("--workers must be 1…99 and --citizens 1…256") }
            guard (0..<1000).contains(round) else { throw ValidationError("--round must be 0…999") }
        }

        func run() throws {
            try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let summary = try CrashLoadDriver(port: port, state: state, round: round, workers: workers, citizenCount: citizens, seconds: seconds).run()
            let acks = summary.acknowledged
            let kinds = CrashJournal.Entry.Step.allCases.map { "\(acks[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
            print("crash load round \(round): acknowledged \(summary.total) writes (minimum \(minAcks)): \(kinds); "
                + "\(summary.inFlightAtEnd) in flight when the server went away; \(summary.stoppedByConnectionErrors) of \(workers) writers stopped by "
                + "connection errors" + (summary.firstConnectionError.map { " (first: \($0))" } ?? "")
                + (summary.casework ? "" : "; no caseworker (no staff enrolment in the state directory)"))
            let end = summary.endedByKill ? "the server went away" : "the deadline"
            print("crash load round \(round): ran \(BenchFormat.number(summary.ranFor ?? 0)) s until \(end), "
                + "longest gap between acknowledgements \(BenchFormat.number(summary.longestGap)) s, "
                + "last acknowledgement \(BenchFormat.number(summary.silenceBeforeEnd ?? 0)) s before \(end)")
            if let silence = summary.silenceBeforeEnd, let ran = summary.ranFor, silence > stallSeconds, ran >= stallSeconds {
                // Not a durability failure, so not a FAIL line: scripts/crash-test.sh counts these.
                print("STALL: no write was acknowledged in the \(BenchFormat.number(silence)) s before \(end) "
                    + "(round ran \(BenchFormat.number(ran)) s): it had stopped answering before it was killed (see docs/benchmarks.md)")
            }
            if summary.total < minAcks {
                print("FAIL: only \(summary.total) writes were acknowledged in round \(round), fewer than the minimum \(minAcks): "
                    + "the server is not making progress")
                throw ExitCode(1)
            }
            if !summary.unexpected.isEmpty {
                for line in summary.unexpected.prefix(10) { print("FAIL: \(line)") }
                throw ExitCode(1)
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a database copy taken after SIGKILL, then read every relevant request back from the restarted server.",
            discussion: "Exits 1 and prints each problem on a FAIL: line when anything acknowledged is lost or anything is half-present.")

        @Option(help: "Port of the restarted server on 127.0.0.1.") var port: Int
        @Option(help: "State directory used by `crash load`.") var state: String
        @Option(help: "Directory holding copies of strongroom.sqlite(-wal, -shm) and subjects.sqlite(-journal) taken while the server was down.")
        var snapshot: String
        @Option(help: "The round just crashed.") var round: Int
        @Option(help: "Requests of earlier rounds to read back again, picked at random.") var resample = 100
        @Option(help: "Concurrent readers.") var readers = 8

        func run() throws {
            let report = try CrashChecker(port: port, state: state, snapshot: snapshot, round: round, resample: resample, readers: readers).run()
            for line in report.lines { print("  " + line) }
            if !report.problems.isEmpty {
                for line in report.problems.prefix(20) { print("FAIL: \(line)") }
                if report.problems.count > 20 { print("FAIL: … \(report.problems.count) problems in all") }
                throw ExitCode(1)
            }
        }
    }

    struct SelfTest: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "self-test",
            abstract: "Test the checker: it must pass an intact copy and fail each forged fault.",
            discussion: """
                Runs `crash check` on the intact state and snapshot (it must pass), then on copies forged to hold one \
                fault each: a journal that claims acknowledged writes the database lacks, a request with a field row \
                missing, fields whose request row is gone, a message row gone. Exits 1 unless the intact case passes \
                and every fault is detected.
                """)

        @Option(help: "Port of the server running on the snapshot's database.") var port: Int
        @Option(help: "State directory used by `crash load`.") var state: String
        @Option(help: "A database copy taken after the load of --round stopped.") var snapshot: String
        @Option(help: "The round the snapshot follows.") var round = 0

        func run() throws {
            let outcomes = try CrashSelfTest(port: port, state: state, snapshot: snapshot, round: round).run()
            for line in outcomes.lines { print("  " + line) }
            if !outcomes.failures.isEmpty {
                for line in outcomes.failures { print("FAIL: \(line)") }
                throw ExitCode(1)
            }
        }
    }

    struct Code: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the current one-time code of an enrolment that `strongroom staff add` or `staff bootstrap` printed.",
            discussion: "What an authenticator app shows; the crash test signs its administrator in to `strongroom staff add` with it.")

        @Argument(help: "The saved output of `strongroom staff add` or `strongroom staff bootstrap`.") var enrolment: String
        @Option(help: "Print the field instead: password or login.") var field: String?

        func run() throws {
            let text = try String(contentsOfFile: enrolment, encoding: .utf8)
            switch field {
            case "password": print(try CrashStaff.enrolmentValue("initial password: ", upTo: "\n", in: text, file: enrolment))
            case "login": print(try CrashStaff.enrolmentValue("Created staff account ", upTo: " ", in: text, file: enrolment))
            case nil: print(try CrashStaff.oneTimeCode(base32Secret: try CrashStaff.enrolmentValue("secret=", upTo: "&", in: text, file: enrolment), at: Date()))
            case let other?: throw ValidationError("--field is password or login, not \(other)")
            }
        }
    }
}

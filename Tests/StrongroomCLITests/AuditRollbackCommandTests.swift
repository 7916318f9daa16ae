import Foundation
import GRDB
import Storage
import Testing
import TestSupport

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `audit verify --since` against a real installation driven through the command line: the database is put back to
/// an older copy (rolled back) or to an older copy that then went on differently (forked), and the auditor's saved
/// checkpoint shows it — on the live database and on an exported bundle alike.
@Suite("audit verify --since: rollback and fork")
struct AuditRollbackCommandTests {
    let temp = TemporaryDirectory()
    var keys: String { temp.appending("Keys") }
    var data: String { temp.appending("data") }
    var pub: String { keys + "/audit-signing.pub" }
    var saved: String { temp.appending("saved-checkpoint.txt") }
    var backup: String { temp.appending("backup") }
    var signerState: String { keys + "/audit-signer.state" }

    func addStaff(_ login: String, by administrator: TestOperator) async {
        #expect(await administrator.run([
            "staff", "add", "--keys", keys, "--data", data, "--catalog", repositoryRoot + "/Catalog",
            "--policies", repositoryRoot + "/Policies", "--login", login, "--role", "auditor",
        ]) == 0, "staff add \(login)")
    }

    func signCheckpoint() async {
        #expect(await run(["audit", "checkpoint", "--data", data, "--keys", keys, "--new"]) == 0)
    }

    func entryCount() async throws -> Int {
        try await StrongroomDatabase.openReadOnly(dataDirectory: data).read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_entry") ?? -1
        }
    }

    /// Folds the WAL back into the database file (every command has closed its connections by now), then copies the
    /// whole data directory and the server's signer state: an operator's backup.
    func takeBackup() throws {
        let queue = try DatabaseQueue(path: data + "/" + StrongroomDatabase.fileName)
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try queue.close()
        try FileManager.default.createDirectory(atPath: backup, withIntermediateDirectories: false)
        try FileManager.default.copyItem(atPath: data, toPath: backup + "/data")
        try FileManager.default.copyItem(atPath: signerState, toPath: backup + "/audit-signer.state")
    }

    /// Puts the backed-up data directory back (database, WAL and shared memory files alike), and with `signerState`
    /// the server's signer state too, as a full restore of the installation would.
    func restoreBackup(signerState restoreState: Bool) throws {
        try FileManager.default.removeItem(atPath: data)
        try FileManager.default.copyItem(atPath: backup + "/data", toPath: data)
        if restoreState {
            try FileManager.default.removeItem(atPath: signerState)
            try FileManager.default.copyItem(atPath: backup + "/audit-signer.state", toPath: signerState)
        }
    }

    /// An installation with a signed log, backed up; then more entries, a new signed checkpoint that the auditor
    /// saves (after it verifies). Returns the saved checkpoint's tree size and the administrator who adds staff (in the
    /// backup too).
    func setUp() async throws -> (size: Int, administrator: TestOperator) {
        #expect(await run(["init", "--keys", keys, "--data", data]) == 0)
        let administrator = try await TestOperator.add(keys: keys, data: data, login: "admin@agency.example", roles: ["administrator"])
        await addStaff("officer0@agency.example", by: administrator)
        await signCheckpoint()
        try takeBackup()
        await addStaff("officer1@agency.example", by: administrator)
        await addStaff("officer2@agency.example", by: administrator)
        await signCheckpoint()
        #expect(await run(["audit", "checkpoint", "--data", data, "--public-key", pub, "--save", saved]) == 0)
        let size = try await entryCount()
        // The saved checkpoint covers the whole log, and the log as it stands extends it.
        #expect(try String(contentsOfFile: saved, encoding: .utf8).contains("\n\(size)\n"))
        let extended = try await StrongroomProcess.run(["audit", "verify", "--data", data, "--public-key", pub, "--since", saved])
        #expect(extended.status == 0, "\(extended.output)")
        #expect(extended.output.contains("the log extends the saved checkpoint"), "\(extended.output)")
        let bundle = temp.appending("extended.jsonl")
        #expect(await run(["audit", "export", "--data", data, "--public-key", pub, "--out", bundle]) == 0)
        let bundled = try await StrongroomProcess.run(["audit", "verify", "--bundle", bundle, "--public-key", pub, "--since", saved])
        #expect(bundled.status == 0, "\(bundled.output)")
        return (size, administrator)
    }

    /// Verifies the live database and a bundle exported from it: both valid without `--since`, both failing with
    /// `reason` against the saved checkpoint.
    func expectDetected(_ reason: String, bundleName: String) async throws {
        let plain = try await StrongroomProcess.run(["audit", "verify", "--data", data, "--public-key", pub])
        #expect(plain.status == 0, "without --since the restored log verifies on its own: \(plain.output)")
        let live = try await StrongroomProcess.run(["audit", "verify", "--data", data, "--public-key", pub, "--since", saved])
        #expect(live.status == 1)
        #expect(live.output.contains("FAILED: \(reason)"), "\(live.output)")
        #expect(await run(["audit", "verify", "--data", data, "--public-key", pub, "--since", saved]) == 1)

        let bundle = temp.appending(bundleName)
        #expect(await run(["audit", "export", "--data", data, "--public-key", pub, "--out", bundle]) == 0)
        let bundled = try await StrongroomProcess.run(["audit", "verify", "--bundle", bundle, "--public-key", pub, "--since", saved])
        #expect(bundled.status == 1)
        #expect(bundled.output.contains("FAILED: \(reason)"), "\(bundled.output)")
    }

    @Test("a database put back to an older copy fails --since with 'rolled back', live and as a bundle")
    func rollbackIsDetected() async throws {
        let savedSize = try await setUp().size
        try restoreBackup(signerState: false)
        #expect(try await entryCount() < savedSize, "the restored copy is older than the saved checkpoint")
        try await expectDetected("log rolled back", bundleName: "rolled-back.jsonl")
    }

    @Test("an older copy that went on differently, signed by the restored server, fails --since with 'forked'")
    func forkIsDetected() async throws {
        let (savedSize, administrator) = try await setUp()
        // A full restore (database and signer state), after which the server carries on with other writes and signs.
        try restoreBackup(signerState: true)
        for index in 0..<4 { await addStaff("other\(index)@agency.example", by: administrator) }
        await signCheckpoint()
        #expect(try await entryCount() >= savedSize, "the fork is at least as long as the saved checkpoint, so it is no mere rollback")
        try await expectDetected("log forked", bundleName: "forked.jsonl")
    }
}

/// The `strongroom` executable built beside the test bundle, run as a child process: its exit status and what it
/// printed, which the in-process `run` cannot capture.
enum StrongroomProcess {
    struct Outcome: Sendable {
        let status: Int32
        let output: String
        let errors: String
    }

    static var executable: String {
        var resolved = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &resolved, resolved.count - 1)
        let testBundle = count > 0 ? String(decoding: resolved[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
        return URL(fileURLWithPath: testBundle).deletingLastPathComponent().appendingPathComponent("strongroom").path
    }

    /// - Parameter environment: variables added to this process's environment for the child.
    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> Outcome {
        let path = executable
        try #require(FileManager.default.isExecutableFile(atPath: path), "build the strongroom executable first (swift build --build-tests): \(path)")
        let scratch = TemporaryDirectory(prefix: "strongroom-cli-output")
        let outPath = scratch.appending("stdout"), errPath = scratch.appending("stderr")
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        return Outcome(
            status: status, output: try String(contentsOfFile: outPath, encoding: .utf8), errors: try String(contentsOfFile: errPath, encoding: .utf8))
    }
}

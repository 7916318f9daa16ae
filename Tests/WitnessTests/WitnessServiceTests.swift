import AuditLog
import Logging
import TestSupport
import Testing
@testable import Witness

#if canImport(Glibc)
import Glibc
#endif

@Suite("Witness service and files")
struct WitnessServiceTests {
    let logger = Logger(label: "witness-test")

    func makeWitness(_ directory: TemporaryDirectory, log: ToyLog) throws -> (WitnessDirectory, WitnessService) {
        let witnessDirectory = WitnessDirectory(path: directory.appending("witness"))
        try witnessDirectory.initialize(name: "witness.test/w1")
        var state = try witnessDirectory.loadState()
        state.update(WitnessedLog(origin: log.origin, keys: [log.signer.verifierKey]))
        try witnessDirectory.saveState(state)
        return (witnessDirectory, try WitnessService(directory: witnessDirectory, logger: logger, clock: { 1_796_000_000 }))
    }

    @Test("init writes an owner-only key, a public key and an empty state; a second init is refused")
    func initialize() throws {
        let directory = TemporaryDirectory()
        let witness = WitnessDirectory(path: directory.appending("w"))
        let key = try witness.initialize(name: "dpa.example/witness")
        #expect(key.name == "dpa.example/witness")
        #expect(try WitnessVerifierKey.load(fromFile: witness.publicKeyPath) == [key])
        #expect(try witness.loadCosigner().verifierKey == key)
        #expect(try witness.loadState().logs.isEmpty)
        var info = stat()
        #expect(lstat(directory.appending("w/witness.key"), &info) == 0)
        #expect(info.st_mode & 0o077 == 0)
        #expect(throws: WitnessError.alreadyInitializedCode) { try witness.initialize(name: "again") }
        #expect(chmod(directory.appending("w/witness.key"), 0o644) == 0)
        #expect(throws: (any Error).self) { try witness.loadCosigner() }
    }

    @Test("the service cosigns an extending checkpoint, persists its size, and refuses a rewrite after a restart")
    func cosignPersistRefuse() throws {
        let directory = TemporaryDirectory()
        var log = try ToyLog()
        log.append(7)
        let (files, service) = try makeWitness(directory, log: log)

        let response = service.addCheckpoint(body: try log.request(from: 0).body)
        #expect(response.status == 200)
        let lines = try NoteSignature.parseLines(String(decoding: response.body, as: UTF8.self))
        #expect(lines.count == 1)
        #expect(service.verifierKey.verifiedTimestamp(of: lines[0], over: try log.checkpoint().checkpoint) == 1_796_000_000)
        #expect(try files.loadState().log(origin: log.origin)?.size == 7)

        // A stale old size gets 409 with the witness's size, as text/x.tlog.size.
        log.append(3)
        let stale = service.addCheckpoint(body: try log.request(from: 0).body)
        #expect(stale.status == 409)
        #expect(stale.contentType == "text/x.tlog.size")
        #expect(String(decoding: stale.body, as: UTF8.self) == "7\n")
        #expect(service.addCheckpoint(body: try log.request(from: 7).body).status == 200)

        // A restarted witness remembers 10 and refuses a log rewritten below it, keeping the request as evidence.
        let restarted = try WitnessService(directory: files, logger: logger, clock: { 1_796_000_100 })
        var forged = try ToyLog()
        forged.append(10)
        forged.leaves[0] = AuditHashing.leafHash(Array("rewritten".utf8))
        forged.append(2)
        let refused = restarted.addCheckpoint(body: try forged.request(from: 10).body)
        #expect(refused.status == 422)
        #expect(try files.loadState().log(origin: log.origin)?.size == 10)
        let evidence = (try? FileManagerShim.list(directory.appending("witness/evidence"))) ?? []
        #expect(evidence.count == 1)

        // Garbage is a 400 that changes nothing.
        #expect(restarted.addCheckpoint(body: Array("old x\n".utf8)).status == 400)
        #expect(try files.loadState().log(origin: log.origin)?.size == 10)
    }

    @Test("concurrent submissions of a smaller and a larger checkpoint never roll the witness back")
    func noRollbackRace() async throws {
        let directory = TemporaryDirectory()
        var log = try ToyLog()
        log.append(4)
        let (files, service) = try makeWitness(directory, log: log)
        #expect(service.addCheckpoint(body: try log.request(from: 0).body).status == 200)
        log.append(60)
        let bodies = try (5...64).map { try log.request(from: 4, size: $0).body }
        let statuses = await withTaskGroup(of: Int.self) { group in
            for body in bodies { group.addTask { service.addCheckpoint(body: body).status } }
            var all: [Int] = []
            for await status in group { all.append(status) }
            return all
        }
        // Exactly one request from 4 wins; the others see 409. The stored size only ever grows.
        #expect(statuses.filter { $0 == 200 }.count == 1)
        #expect(statuses.filter { $0 == 409 }.count == bodies.count - 1)
        let size = try #require(try files.loadState().log(origin: log.origin)?.size)
        #expect(size > 4)
        let backwards = WitnessAddCheckpoint(oldSize: size, proof: [], checkpoint: try log.checkpoint(size: Int(size) - 1))
        #expect(service.addCheckpoint(body: backwards.body).status == 400)
    }
}

/// Directory listing without Foundation in the test.
enum FileManagerShim {
    static func list(_ path: String) throws -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

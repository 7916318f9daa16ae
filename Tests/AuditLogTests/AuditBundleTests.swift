import AuditLog
import Foundation
import Testing
import TestSupport

@Suite("Audit export bundle")
struct AuditBundleTests {
    let signer: AuditCheckpointSigner
    let log: AuditMemoryLog
    let directory = TemporaryDirectory(prefix: "audit-bundle")

    init() throws {
        signer = try AuditTestSigners.make(seed: 5)
        var log = AuditMemoryLog()
        for i in 0..<25 {
            log.append(AuditMemoryLog.draft(i))
            if (i + 1) % 10 == 0 { log.checkpoint(signer) }
        }
        log.checkpoint(signer)
        self.log = log
    }

    func writeBundle() throws -> String {
        let path = directory.appending("log.jsonl")
        let written = try AuditBundle.write(from: log, origin: log.origin, publicKeys: [signer.verifierKey], to: path)
        #expect(written == 25)
        return path
    }

    func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    func write(_ lines: [String]) throws -> String {
        let path = directory.appending("edited-\(UInt32.random(in: 0...UInt32.max)).jsonl")
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func roundTrip() throws {
        let path = try writeBundle()
        let bundle = try AuditBundle.read(path)
        #expect(bundle.publicKeys == [signer.verifierKey])
        #expect(try bundle.entryCount() == 25)
        #expect(try bundle.checkpoints() == log.signedCheckpoints)
        var entries: [AuditEntry] = []
        try bundle.forEachEntry { entries.append($0); return true }
        #expect(entries == log.entries)
        let report = AuditVerifier(trustedKeys: [signer.verifierKey]).verify(bundle)
        #expect(report.isValid, "\(report.render())")
        #expect(report.entriesVerified == 25 && report.checkpointsVerified == 3)
    }

    func expectMalformed(_ lines: [String], containing text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let path = try write(lines)
        do {
            let bundle = try AuditBundle.read(path)
            let report = AuditVerifier(trustedKeys: [signer.verifierKey]).verify(bundle)
            #expect(!report.isValid, sourceLocation: sourceLocation)
            #expect(report.failure.map { "\($0)" }?.contains(text) == true, "\(report.render())", sourceLocation: sourceLocation)
        } catch let error as AuditError {
            #expect(error.message.contains(text), "\(error.message)", sourceLocation: sourceLocation)
        }
    }

    @Test func malformedBundlesGetPreciseMessages() throws {
        let original = try lines(try writeBundle())
        // Lines: 0 header, 1-3 checkpoints, 4-28 entries, 29 end, 30 "" (final newline).
        var truncated = original
        truncated[10] = String(truncated[10].prefix(40))
        try expectMalformed(truncated, containing: "line 11 (entry 6)")
        var cutFile = Array(original.prefix(20))
        cutFile.append("")
        try expectMalformed(cutFile, containing: "is truncated")
        var wrongType = original
        wrongType[7] = wrongType[7].replacingOccurrences(of: "\"seq\":3", with: "\"seq\":\"3\"")
        try expectMalformed(wrongType, containing: "seq has the wrong type")
        var huge = original
        huge[7] = huge[7].replacingOccurrences(of: "\"seq\":3", with: "\"seq\":184467440737095516160000")
        try expectMalformed(huge, containing: "line 8 (entry 3)")
        var negative = original
        negative[7] = negative[7].replacingOccurrences(of: "\"seq\":3", with: "\"seq\":-3")
        try expectMalformed(negative, containing: "line 8 (entry 3)")
        var duplicate = original
        duplicate.insert(original[9], at: 10)
        duplicate[duplicate.count - 2] = duplicate[duplicate.count - 2].replacingOccurrences(of: "\"entries\":25", with: "\"entries\":26")
        try expectMalformed(duplicate, containing: "duplicate entry at entry 5")
        var missing = original
        missing.remove(at: 12)
        missing[missing.count - 2] = missing[missing.count - 2].replacingOccurrences(of: "\"entries\":25", with: "\"entries\":24")
        try expectMalformed(missing, containing: "entry missing at entry 8")
        var extra = original
        extra[6] = String(extra[6].dropLast()) + ",\"note\":\"x\"}"
        try expectMalformed(extra, containing: "unknown member \"note\"")
        var missingField = original
        missingField[6] = missingField[6].replacingOccurrences(of: "\"action\":", with: "\"act\":")
        try expectMalformed(missingField, containing: "line 7 (entry 2)")
        var countMismatch = original
        countMismatch[countMismatch.count - 2] = countMismatch[countMismatch.count - 2].replacingOccurrences(of: "\"entries\":25", with: "\"entries\":30")
        try expectMalformed(countMismatch, containing: "declares 30 entries but holds 25")
        var badHeader = original
        badHeader[0] = "{\"format\":\"zip\",\"version\":1,\"origin\":\"x\",\"publicKeys\":[]}"
        try expectMalformed(badHeader, containing: "not a version 1")
        try expectMalformed(["{\"format\""], containing: "line 1")
        try expectMalformed([""], containing: "empty")
    }

    @Test func randomByteMutationsNeverCrashAndNeverVerify() throws {
        let path = try writeBundle()
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var rng = SplitMix64(seed: 0xB0B)
        var rejected = 0
        for round in 0..<120 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let index = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[index] ^= UInt8.random(in: 1...255, using: &rng)
                case 1: bytes.remove(at: index)
                default: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: index)
                }
            }
            guard bytes != original else { continue }
            let mutatedPath = directory.appending("mutated-\(round).jsonl")
            try Data(bytes).write(to: URL(fileURLWithPath: mutatedPath))
            let ok: Bool
            if let bundle = try? AuditBundle.read(mutatedPath) {
                let report = AuditVerifier(trustedKeys: [signer.verifierKey]).verify(bundle)
                ok = report.isValid
                if ok {
                    // Only semantically neutral edits may pass: the entries must be exactly the original ones.
                    var entries: [AuditEntry] = []
                    try bundle.forEachEntry { entries.append($0); return true }
                    let checkpoints = try bundle.checkpoints()
                    #expect(entries == log.entries && checkpoints == log.signedCheckpoints)
                }
            } else {
                ok = false
            }
            if !ok { rejected += 1 }
        }
        #expect(rejected > 100)
    }
}


@Suite("Bundle files are private")
struct BundleFilePermissionTests {
    @Test func theBundleIsOwnerOnlyAndASymlinkAtTheTemporaryNameIsNeverFollowed() throws {
        let directory = TemporaryDirectory()
        var log = AuditMemoryLog()
        for index in 0..<5 { log.append(AuditMemoryLog.draft(index)) }
        let path = directory.appending("audit.bundle")
        // A planted symlink at the old fixed temporary name would have redirected the export.
        let victim = directory.appending("victim.txt")
        #expect(FileManager.default.createFile(atPath: victim, contents: Data("untouched".utf8)))
        try FileManager.default.createSymbolicLink(atPath: path + ".partial", withDestinationPath: victim)
        #expect(try AuditBundle.write(from: log, origin: log.origin, publicKeys: [], to: path) == 5)
        var info = stat()
        #expect(lstat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "untouched")
        #expect(try AuditBundle.read(path).entryCount() == 5)
        // No temporary file is left behind.
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".partial-") }
        #expect(left.isEmpty)
    }

    @Test func aLooseOutputDirectoryIsWarnedAbout() throws {
        let directory = TemporaryDirectory()
        #expect(chmod(directory.path, 0o700) == 0)
        #expect(AuditBundle.outputDirectoryWarning(for: directory.appending("a.bundle")) == nil)
        #expect(chmod(directory.path, 0o777) == 0)
        #expect(AuditBundle.outputDirectoryWarning(for: directory.appending("a.bundle"))?.contains("chmod go-w") == true)
        #expect(chmod(directory.path, 0o700) == 0)
    }
}

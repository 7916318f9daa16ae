import AuditLog
import Foundation
import GRDB
import Sodium

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Measures the audit log's costs on this machine: a command prints ``Figures/text``. Not a test.
public enum AuditBenchmark {
    /// What one run measured.
    public struct Figures: Sendable {
        public var entries: Int
        /// Canonical encoding + leaf + chain + Merkle frontier, per entry, in memory.
        public var computeMicrosecondsPerEntry: Double
        /// `SQLiteAuditStore.append` per entry, inside transactions, commit excluded.
        public var appendMicrosecondsPerEntry: Double
        /// Commit cost per 1,000-entry transaction (synchronous=FULL).
        public var commitMillisecondsPerBatch: Double
        /// End-to-end verification of the SQLite log (read, decode, chain, root, checkpoint signatures).
        public var verifySeconds: Double
        public var checkpointsVerified: Int
        /// Mean time of an inclusion proof at full size.
        public var inclusionProofMicroseconds: Double
        /// Mean time of a consistency proof (random old size to full size).
        public var consistencyProofMicroseconds: Double
        /// SHA-256 of 200-byte messages, swift-crypto (hardware SHA where present), millions per second.
        public var sha256CryptoMillionsPerSecond: Double
        /// The same with libsodium's portable C implementation.
        public var sha256PortableMillionsPerSecond: Double
        /// The hashing alone that verifying `entries` entries needs (leaf of the stored bytes, chain link, Merkle
        /// frontier), in memory with swift-crypto: the floor under ``verifySeconds``.
        public var verifyHashFloorSeconds: Double = 0
        /// CPU time of the process during the appends (commit excluded) and the verify: on a machine shared with other
        /// work, wall time also counts time spent waiting for a core; these do not.
        public var appendCPUMicrosecondsPerEntry: Double = 0
        public var verifyCPUSeconds: Double = 0

        /// The figures as lines for people.
        public var text: String {
            func f(_ v: Double, _ digits: Int = 2) -> String {
                let scale = pow(10.0, Double(digits))
                return String((v * scale).rounded() / scale)
            }
            return """
                audit benchmark, \(entries) entries (release build, one core)
                  hash floor: SHA-256 200 B  swift-crypto \(f(sha256CryptoMillionsPerSecond)) M/s, libsodium portable \(f(sha256PortableMillionsPerSecond)) M/s
                  compute per entry in memory (encode + leaf + chain + frontier): \(f(computeMicrosecondsPerEntry, 3)) µs
                  append per entry, outside commit:  \(f(appendMicrosecondsPerEntry, 3)) µs wall, \(f(appendCPUMicrosecondsPerEntry, 3)) µs CPU   (target ≤ 10 µs)
                  commit per 1,000-entry transaction: \(f(commitMillisecondsPerBatch)) ms
                  verify end to end:                 \(f(verifySeconds, 3)) s wall, \(f(verifyCPUSeconds, 3)) s CPU, \(checkpointsVerified) checkpoints   (target ≤ 3 s for 1,000,000)
                  verify hashing floor (leaf + chain + Merkle, in memory): \(f(verifyHashFloorSeconds, 3)) s
                  inclusion proof at full size:      \(f(inclusionProofMicroseconds, 1)) µs   (target < 1,000 µs)
                  consistency proof to full size:    \(f(consistencyProofMicroseconds, 1)) µs
                """
        }
    }

    /// Realistic drafts: varied principals, actions, subjects, field names, a few details.
    public static func drafts(count: Int, seed: UInt64 = 42) -> [AuditEntryDraft] {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let actions = ["record.read", "record.update", "record.create", "request.submit", "request.review", "payment.capture"]
        let roles = ["citizen", "caseworker", "supervisor", "system"]
        let fields = ["name", "address", "birthDate", "taxId", "phone", "email", "income", "household"]
        return (0..<count).map { index in
            let r = next()
            let fieldCount = Int(r % 4)
            return AuditEntryDraft(
                actor: AuditActor(id: "p-\(String(r % 50_000, radix: 36))", role: roles[Int(r >> 8 % 4) % roles.count]),
                action: actions[Int(r >> 16) % actions.count],
                target: AuditTarget(collection: "benefit-requests", recordID: "r-\(String(r >> 20, radix: 36).prefix(10))", subjectID: "s-\(String(r % 200_000, radix: 36))"),
                fieldsTouched: Array(fields[0..<fieldCount]),
                decision: r % 17 == 0 ? .deny(["policy.default-deny"]) : .allow(["policy.caseworker-read", "policy.purpose"]),
                purpose: "case-review",
                requestID: "req-\(index)-\(String(r, radix: 36).prefix(6))",
                details: r % 5 == 0 ? ["channel": "web", "reason": "routine"] : [:])
        }
    }

    /// Runs every measurement with `entries` entries in a temporary SQLite database.
    public static func run(entries: Int, checkpointEvery: Int = 10_000) throws -> Figures {
        let drafts = drafts(count: entries)
        var figures = Figures(
            entries: entries, computeMicrosecondsPerEntry: 0, appendMicrosecondsPerEntry: 0, commitMillisecondsPerBatch: 0,
            verifySeconds: 0, checkpointsVerified: 0, inclusionProofMicroseconds: 0, consistencyProofMicroseconds: 0,
            sha256CryptoMillionsPerSecond: 0, sha256PortableMillionsPerSecond: 0)
        let clock = ContinuousClock()
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

        // Hash floor over the same 200-byte messages.
        let messages = (0..<200_000).map { i in [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: 200) }
        var sink: UInt8 = 0
        var elapsed = clock.measure { for m in messages { sink ^= SHA256Digest.hash(m)[0] } }
        figures.sha256CryptoMillionsPerSecond = Double(messages.count) / seconds(elapsed) / 1e6
        elapsed = clock.measure { for m in messages { sink ^= SHA256Digest.portableHash(m)[0] } }
        figures.sha256PortableMillionsPerSecond = Double(messages.count) / seconds(elapsed) / 1e6

        // Pure compute: what append does in memory (encode, leaf, chain, frontier).
        let time = AuditTime(millisecondsSince1970: 1_750_000_000_000)
        var canonicalSample: [[UInt8]] = []
        elapsed = clock.measure {
            var range = CompactRange()
            var chain = AuditDigest.zero
            for (index, draft) in drafts.enumerated() {
                let entry = AuditEntry(seq: UInt64(index), time: time, draft: draft, chainHash: [])
                let canonical = entry.canonicalBytes
                let leaf = canonical.withUnsafeBytes { AuditHashing.leafDigest($0) }
                chain = AuditHashing.chainDigest(previous: chain, leaf: leaf)
                range.append(leaf) { _, _, hash in sink ^= hash.withUnsafeBytes { $0[0] } }
                if index < 100_000 { canonicalSample.append(canonical) }
            }
            sink ^= range.root[0]
        }
        figures.computeMicrosecondsPerEntry = seconds(elapsed) * 1e6 / Double(entries)

        // The verifier's hashing alone over real canonical bytes, scaled to `entries`.
        elapsed = clock.measure {
            var range = CompactRange()
            var chain = AuditDigest.zero
            for canonical in canonicalSample {
                let leaf = canonical.withUnsafeBytes { AuditHashing.leafDigest($0) }
                chain = AuditHashing.chainDigest(previous: chain, leaf: leaf)
                range.append(leaf)
            }
            sink ^= range.root[0] ^ chain.withUnsafeBytes { $0[0] }
        }
        figures.verifyHashFloorSeconds = seconds(elapsed) * Double(entries) / Double(max(1, canonicalSample.count))
        canonicalSample = []

        // SQLite append.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("strongroom-audit-bench-\(UInt64.random(in: 0...UInt64.max))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try StrongroomDatabase(dataDirectory: directory)
        let store = SQLiteAuditStore(database: database)
        let signer = try AuditCheckpointSigner(name: "bench.strongroom.example/audit", keyPair: try Ed25519.KeyPair.generate())
        var appendTime = Duration.zero
        var appendCPU = 0.0
        var totalTime = Duration.zero
        var batches = 0
        var index = 0
        while index < entries {
            let end = min(entries, index + 1000)
            let start = clock.now
            try database.write { db in
                let appendStart = clock.now
                let cpuStart = processCPUSeconds()
                for i in index..<end { _ = try store.append(drafts[i], in: db) }
                if end % checkpointEvery == 0 || end == entries { try store.makeCheckpoint(signer: signer, in: db) }
                appendTime += clock.now - appendStart
                appendCPU += processCPUSeconds() - cpuStart
            }
            totalTime += clock.now - start
            batches += 1
            index = end
        }
        figures.appendMicrosecondsPerEntry = seconds(appendTime) * 1e6 / Double(entries)
        figures.appendCPUMicrosecondsPerEntry = appendCPU * 1e6 / Double(entries)
        figures.commitMillisecondsPerBatch = seconds(totalTime - appendTime) * 1e3 / Double(batches)

        // Verify end to end.
        let verifier = AuditVerifier(trustedKeys: [signer.verifierKey])
        var report: VerificationReport?
        let verifyCPUStart = processCPUSeconds()
        elapsed = clock.measure { report = verifier.verify(store) }
        figures.verifyCPUSeconds = processCPUSeconds() - verifyCPUStart
        guard let report else { throw StorageError.corrupt("benchmark verification did not run") }
        guard report.isValid else { throw StorageError.corrupt("benchmark log failed verification: \(report.render())") }
        figures.verifySeconds = seconds(elapsed)
        figures.checkpointsVerified = report.checkpointsVerified

        // Proofs at full size.
        let size = UInt64(entries)
        let probes = 1000
        elapsed = try clock.measure {
            try database.readBlocking { db in
                for i in 0..<probes { sink ^= UInt8(truncatingIfNeeded: try store.inclusionProof(seq: UInt64(i &* 7919) % size, in: db).path.count) }
            }
        }
        figures.inclusionProofMicroseconds = seconds(elapsed) * 1e6 / Double(probes)
        elapsed = try clock.measure {
            try database.readBlocking { db in
                for i in 0..<probes { sink ^= UInt8(truncatingIfNeeded: try store.consistencyProof(from: 1 + UInt64(i &* 7919) % size, in: db).path.count) }
            }
        }
        figures.consistencyProofMicroseconds = seconds(elapsed) * 1e6 / Double(probes)
        if sink == 0x5a { print("") }  // keeps the work observable to the optimiser
        return figures
    }

    /// User + system CPU time of this process so far.
    static func processCPUSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}

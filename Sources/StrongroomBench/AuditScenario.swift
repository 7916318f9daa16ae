import AuditLog
import Sodium
import Storage

/// Scenario 3: audit append, verify and inclusion proofs (from `AuditBenchmark`), beside raw SHA-256 of the same
/// bytes; and the peak memory of verification at two log sizes (this file's own logs, through the public store API).
///
/// Hash floor per entry: what any hash-chained Merkle log must hash for one entry — the leaf
/// SHA-256(0x00 || canonical entry), the chain SHA-256(previous || leaf) and one interior node
/// SHA-256(0x01 || left || right) (a tree of n leaves has n − 1 interior nodes) — over the canonical bytes of the
/// same drafts `AuditBenchmark` appends.
struct AuditScenario {
    let entries: Int
    let runs: Int

    func run() throws -> [BenchFigure] {
        // Memory first, while the process is small; then the figures.
        let smallSize = max(1000, entries / 10)
        let small = try Self.verifyMemory(entries: smallSize)
        let large = try Self.verifyMemory(entries: entries)
        let floor = Self.hashFloor(sampleSize: min(entries, 200_000), runs: runs)
        let figures = try AuditBenchmark.run(entries: entries)

        let verifyTarget = 3.0 * Double(entries) / 1_000_000
        let scaled = entries == 1_000_000 ? "" : " (3 s per 1,000,000, scaled to \(BenchFormat.grouped(entries)))"
        let sizeLabel = BenchFormat.grouped(entries)
        let mib = 1024.0 * 1024.0
        let flatFactor = 1.5
        return [
            BenchFigure(
                scenario: "audit", name: "audit append, outside commit", value: figures.appendMicrosecondsPerEntry, unit: "µs/entry",
                lowerIsBetter: true, floor: floor.crypto * 1e6,
                floorDescription: "SHA-256 leaf + chain + node of the same entries (swift-crypto)",
                targets: [.atMost(10, "µs")],
                note: "commit per 1,000-entry transaction \(BenchFormat.number(figures.commitMillisecondsPerBatch)) ms; "
                    + "compute only \(BenchFormat.number(figures.computeMicrosecondsPerEntry)) µs/entry"),
            BenchFigure(
                scenario: "audit", name: "audit verify \(sizeLabel) entries", value: figures.verifySeconds, unit: "s",
                lowerIsBetter: true, floor: floor.crypto * Double(entries),
                floorDescription: "the same hashes for \(sizeLabel) entries (swift-crypto), no reading or signatures",
                targets: [.atMost(verifyTarget, "s\(scaled)")],
                note: "\(figures.checkpointsVerified) checkpoints verified"),
            BenchFigure(
                scenario: "audit", name: "audit hash floor, libsodium portable", value: floor.portable * 1e6, unit: "µs/entry",
                lowerIsBetter: true, floor: floor.crypto * 1e6,
                floorDescription: "swift-crypto SHA-256 of the same bytes (ratio = portable / hardware)",
                note: "SHA-256 of 200 B from AuditBenchmark: swift-crypto \(BenchFormat.number(figures.sha256CryptoMillionsPerSecond)) M/s, "
                    + "libsodium \(BenchFormat.number(figures.sha256PortableMillionsPerSecond)) M/s"),
            BenchFigure(
                scenario: "audit", name: "inclusion proof at \(sizeLabel)", value: figures.inclusionProofMicroseconds, unit: "µs",
                lowerIsBetter: true, floor: nil, floorDescription: "no floor", targets: [.below(1000, "µs")],
                note: "consistency proof \(BenchFormat.number(figures.consistencyProofMicroseconds)) µs"),
            BenchFigure(
                scenario: "audit", name: "verify peak RSS growth, \(BenchFormat.grouped(smallSize)) entries", value: Double(small.peakGrowth) / mib,
                unit: "MiB", lowerIsBetter: true, floor: nil, floorDescription: "no floor (compare with the larger log below)",
                note: "verify \(BenchFormat.number(small.seconds)) s; \(small.method)"),
            BenchFigure(
                scenario: "audit", name: "verify peak RSS growth, \(sizeLabel) entries", value: Double(large.peakGrowth) / mib,
                unit: "MiB", lowerIsBetter: true, floor: Double(small.peakGrowth) / mib,
                floorDescription: "the same at \(BenchFormat.grouped(smallSize)) entries (a log 1/\(entries / smallSize) the size)",
                targets: [BenchFigure.Target(text: "flat: ≤ \(BenchFormat.number(flatFactor))× the smaller log + 8 MiB") { value, _ in
                    value <= Double(small.peakGrowth) / mib * flatFactor + 8
                }],
                note: "verify \(BenchFormat.number(large.seconds)) s (own log, cross-check); process peak \(BenchFormat.number(Double(large.processPeak) / mib)) MiB; \(large.method)"),
        ]
    }

    /// Per-entry seconds of the hash floor, swift-crypto and libsodium portable, over the canonical bytes of the
    /// first `sampleSize` benchmark drafts.
    static func hashFloor(sampleSize: Int, runs: Int) -> (crypto: Double, portable: Double) {
        let time = AuditTime(millisecondsSince1970: 1_750_000_000_000)
        let leaves: [[UInt8]] = AuditBenchmark.drafts(count: sampleSize).enumerated().map { index, draft in
            [0x00] + AuditEntry(seq: UInt64(index), time: time, draft: draft, chainHash: []).canonicalBytes
        }
        let chainInput = [UInt8](repeating: 0xa5, count: 64)
        let nodeInput = [0x01] + [UInt8](repeating: 0x5a, count: 64)
        var sink = Sink()
        var crypto: [Double] = [], portable: [Double] = []
        for _ in 0..<runs {
            crypto.append(Measure.time {
                for leaf in leaves {
                    sink.consume(SHA256Digest.hash(leaf))
                    sink.consume(SHA256Digest.hash(chainInput))
                    sink.consume(SHA256Digest.hash(nodeInput))
                }
            })
            portable.append(Measure.time {
                for leaf in leaves {
                    sink.consume(SHA256Digest.portableHash(leaf))
                    sink.consume(SHA256Digest.portableHash(chainInput))
                    sink.consume(SHA256Digest.portableHash(nodeInput))
                }
            })
        }
        sink.publish()
        return (Measure.median(crypto) / Double(sampleSize), Measure.median(portable) / Double(sampleSize))
    }

    struct MemoryFigure {
        let peakGrowth: Int
        let processPeak: Int
        let seconds: Double
        let method: String
    }

    /// Builds a log of `entries` entries in a fresh database (drafts generated a batch at a time, a checkpoint every
    /// 10,000), then verifies it and reports how far the resident set rose above where it stood before verifying.
    static func verifyMemory(entries: Int) throws -> MemoryFigure {
        let scratch = try ScratchDirectory(prefix: "strongroom-bench-audit")
        let signer = try AuditCheckpointSigner(name: "bench.strongroom.example/audit", keyPair: try Ed25519.KeyPair.generate())
        let verifierKey = signer.verifierKey
        var store: SQLiteAuditStore? = nil
        do {
            let database = try StrongroomDatabase(dataDirectory: scratch.path)
            let writing = SQLiteAuditStore(database: database)
            var index = 0
            var batchNumber: UInt64 = 0
            while index < entries {
                let end = min(entries, index + 1000)
                let drafts = AuditBenchmark.drafts(count: end - index, seed: 1000 + batchNumber)
                try database.write { db in
                    for draft in drafts { _ = try writing.append(draft, in: db) }
                    if end % 10_000 == 0 || end == entries { _ = try writing.makeCheckpoint(signer: signer, in: db) }
                }
                batchNumber += 1
                index = end
            }
            try database.checkpoint()
            _ = writing
            // Verified the way `strongroom audit verify` reads a live installation: a read-only connection with
            // SQLite's default page cache (the service's own connections keep a 32 MiB cache, which a full pass over
            // a large log fills whatever its size).
            store = SQLiteAuditStore(reader: try StrongroomDatabase.openReadOnly(dataDirectory: scratch.path))
        }
        guard let store else { throw BenchError("the audit log for the memory figure was not built") }
        let before = ResidentMemory.current ?? 0
        let reset = ResidentMemory.resetPeak()
        let peakBefore = ResidentMemory.peak ?? 0
        var report: VerificationReport?
        let seconds = Measure.time { report = AuditVerifier(trustedKeys: [verifierKey]).verify(store) }
        let peakAfter = ResidentMemory.peak ?? 0
        guard let report, report.isValid else {
            throw BenchError("the benchmark's own audit log of \(entries) entries failed verification: \(report?.render() ?? "no report")")
        }
        let growth = reset ? peakAfter - before : max(0, peakAfter - peakBefore)
        let method = reset ? "VmHWM reset before verify" : "VmHWM not resettable here; growth above the earlier peak only"
        return MemoryFigure(peakGrowth: max(0, growth), processPeak: peakAfter, seconds: seconds, method: method)
    }
}

import Catalog
import Sealing
import Storage

/// Scenario 6: find a request by the blind index of its searchable field (`BlindIndexer.searchIndexes` +
/// `FieldRows.search` in one pool read), one lookup at a time.
///
/// Floor: a raw indexed SELECT (SQLite C API, prepared once) of the same digest on the same database, one thread.
/// The floor is handed the digest; the figure computes it (keyed BLAKE2b under every live index key version).
struct SearchScenario {
    let bench: BenchInstallation
    let lookupsPerRun: Int
    let runs: Int

    func run() throws -> [BenchFigure] {
        let installation = bench.installation
        let requests = bench.requests
        guard !requests.isEmpty else { throw BenchError("the search scenario needs submitted requests") }
        let collection = "requests", field = BenchInstallation.searchableField
        let indexer = installation.indexer
        let database = installation.database
        var generator = SplitMix(seed: 7)
        let probes = (0..<lookupsPerRun).map { _ in requests[Int(generator.next() % UInt64(requests.count))] }
        let digests = try probes.map { probe in
            let normalised = BlindIndexNormalization.nationalID.normalize(probe.nationalID)
            return try indexer.index(normalised, normalization: .exact, collection: collection, field: field)
        }
        let raw = try RawSQLite(path: database.path, readOnly: true)
        let select = try raw.prepare(
            "SELECT record_id FROM blind_indexes WHERE collection = 'requests' AND field = ? AND key_version = ? AND digest = ?")
        var sink = Sink()
        func serviceLookups() throws -> Double {
            try Measure.time {
                for probe in probes {
                    let normalised = BlindIndexNormalization.nationalID.normalize(probe.nationalID)
                    let indexes = try indexer.searchIndexes(normalised, normalization: .exact, collection: collection, field: field)
                    let found = try database.readBlocking { db in
                        try FieldRows.search(collection: collection, field: field, indexes: indexes.map { ($0.keyVersion, $0.bytes) }, in: db)
                    }
                    guard found == [probe.id] else {
                        throw BenchError("blind-index search for a request found \(found.count) records instead of exactly it")
                    }
                    sink.consume(found.count)
                }
            }
        }
        func floorLookups() throws -> Double {
            try Measure.time {
                for digest in digests {
                    select.bind(1, field)
                    select.bind(2, Int64(digest.keyVersion))
                    select.bind(3, bytes: digest.bytes)
                    while try select.step() { sink.consume(select.text(0).utf8.count) }
                    select.reset()
                }
            }
        }
        _ = try serviceLookups()  // warm-up
        _ = try floorLookups()
        let result = try Measure.interleaved(runs: runs, figure: serviceLookups, floor: floorLookups)
        sink.publish()
        return [
            BenchFigure(
                scenario: "search", name: "blind-index search (national_id)", value: result.figure * 1e6 / Double(lookupsPerRun),
                unit: "µs/lookup", lowerIsBetter: true, floor: result.floor * 1e6 / Double(lookupsPerRun),
                floorDescription: "raw indexed SELECT of the precomputed digest, same database (one thread)",
                note: "over \(requests.count) requests; each lookup found exactly its request"),
        ]
    }
}

/// A small deterministic generator for choosing probes.
struct SplitMix {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

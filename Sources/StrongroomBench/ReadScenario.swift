import Keyring
import Sealing
import Sodium
import Storage
import Strongroom

/// Scenario 5: a citizen reads their own request through `RecordService.request` (gate, read, open the allowed
/// fields, audit the read in a group commit before returning), many at a time.
///
/// Floor: on one thread, the raw SQLite C API selects the same rows of the same database (the request row, its
/// sealed and open fields) and libsodium opens the same envelopes. The floor writes nothing; the figure also
/// commits one audit entry per read (WAL, synchronous=FULL, group commit).
struct ReadScenario {
    let bench: BenchInstallation
    let readsPerRun: Int
    let runs: Int
    let inFlight: Int

    func run() async throws -> [BenchFigure] {
        try await bench.ensureRequests(1000)
        let requests = bench.requests
        let records = bench.installation.records
        let citizens = bench.citizens
        let sample = try await records.request(requests[0].id, caller: citizens[requests[0].owner], access: AccessContext(requestID: "bench-read-check"))
        guard !sample.record.fields.isEmpty else {
            throw BenchError("reading one's own request revealed no field; the policies in use do not let a citizen read their request")
        }
        let statsBefore = bench.installation.writer.statistics
        var rates: [Double] = [], floorRates: [Double] = []
        var floorSink = Sink()
        for run in 0..<(runs + 1) {  // the first run warms up and is not counted
            let offset = run * readsPerRun
            let seconds = try await Measure.time {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    var next = 0
                    func add() {
                        let request = requests[(offset + next) % requests.count]
                        let number = offset + next
                        next += 1
                        group.addTask {
                            let view = try await records.request(
                                request.id, caller: citizens[request.owner], access: AccessContext(requestID: "bench-read-\(number)"))
                            return view.record.fields.count
                        }
                    }
                    for _ in 0..<min(inFlight, readsPerRun) { add() }
                    while let fields = try await group.next() {
                        if fields == 0 { throw BenchError("a read of one's own request came back without fields") }
                        if next < readsPerRun { add() }
                    }
                }
            }
            let floorSeconds = try floorRun(reads: readsPerRun, offset: offset, sink: &floorSink)
            if run > 0 {
                rates.append(Double(readsPerRun) / seconds)
                floorRates.append(Double(readsPerRun) / floorSeconds)
            }
        }
        floorSink.publish()
        let statsAfter = bench.installation.writer.statistics
        let batches = statsAfter.batches - statsBefore.batches, writes = statsAfter.writes - statsBefore.writes
        return [
            BenchFigure(
                scenario: "read", name: "read own request (audited)", value: Measure.median(rates), unit: "/s",
                lowerIsBetter: false, floor: Measure.median(floorRates),
                floorDescription: "raw SQLite select of the same rows + libsodium open of the same fields (one thread, no audit write)",
                targets: [.atLeast(20_000, "/s")],
                note: "\(inFlight) in flight over \(requests.count) requests; \(sample.record.fields.count) fields revealed or masked; "
                    + "audit group commit: \(writes) writes in \(batches) batches (mean \(BenchFormat.number(Double(writes) / Double(max(1, batches)))))"),
        ]
    }

    private func floorRun(reads: Int, offset: Int, sink: inout Sink) throws -> Double {
        let installation = bench.installation
        let raw = try RawSQLite(path: installation.database.path, readOnly: true)
        let selectRequest = try raw.prepare("SELECT * FROM requests WHERE id = ?")
        let selectSealed = try raw.prepare("SELECT field, envelope, key_version FROM sealed_fields WHERE collection = 'requests' AND record_id = ?")
        let selectOpen = try raw.prepare("SELECT field, value FROM open_fields WHERE collection = 'requests' AND record_id = ?")
        let dataKey = try installation.keyring.currentKey(.records)
        let subjectKeys = installation.subjectKeys
        var derivedKeys: [[UInt8]: SecretBytes] = [:]  // per citizen key, derived once (the sealer caches too)
        let requests = bench.requests
        return try Measure.time {
            for number in 0..<reads {
                let id = requests[(offset + number) % requests.count].id
                selectRequest.bind(1, id)
                guard try selectRequest.step() else { throw BenchError("the read floor did not find request \(id)") }
                sink.consume(selectRequest.text(1).utf8.count)
                selectRequest.reset()
                selectOpen.bind(1, id)
                while try selectOpen.step() { sink.consume(selectOpen.text(1).utf8.count) }
                selectOpen.reset()
                selectSealed.bind(1, id)
                while try selectSealed.step() {
                    let field = selectSealed.text(0)
                    let envelope = selectSealed.bytes(1)
                    let place = FieldPlace(collection: "requests", recordID: id, field: field)
                    sink.consume(try Self.rawOpen(envelope, dataKey: dataKey, place: place) { subjectKeyID in
                        if let known = derivedKeys[subjectKeyID] { return known }
                        let derived = try BLAKE2b.deriveKey(
                            from: dataKey.key, context: Array("strongroom.subject-field-key.v1".utf8),
                            secret: try subjectKeys.subjectKey(id: subjectKeyID))
                        derivedKeys[subjectKeyID] = derived
                        return derived
                    })
                }
                selectSealed.reset()
            }
        }
    }

    /// libsodium open of a format 1 or 2 envelope (the layout in `SealedEnvelope`), under the current data key or, for
    /// an envelope bound to a citizen's key, the field key `subjectFieldKey` returns for its subject key id.
    static func rawOpen(
        _ envelope: [UInt8], dataKey: VersionedKey, place: FieldPlace, subjectFieldKey: ([UInt8]) throws -> SecretBytes
    ) throws -> [UInt8] {
        guard envelope.count > 3, envelope[0] == 1 || envelope[0] == 2, envelope[1] <= 1 else {
            throw BenchError("the read floor met an envelope it does not handle")
        }
        let subjectBound = envelope[1] == 1
        let subjectStart = 3 + Int(envelope[2]) + 4
        let nonceStart = subjectStart + (subjectBound ? 16 : 0) + (envelope[0] == 2 ? 8 : 0)
        let header = Array(envelope[..<nonceStart])
        let nonce = Array(envelope[nonceStart..<nonceStart + 24])
        let ciphertext = Array(envelope[(nonceStart + 24)...])
        let key = subjectBound ? try subjectFieldKey(Array(header[subjectStart..<subjectStart + 16])) : dataKey.key
        let ad = SealingScenario.associatedData(header: header, place: place)
        return try XChaCha20Poly1305.open(ciphertext, key: key, nonce: nonce, associatedData: ad)
    }
}

import AuditLog
import Catalog
import Foundation
import GRDB
import Keyring
import Sealing
import Sodium
import Storage
import Strongroom

/// Scenario 4: sealed submissions end to end through the service layer (gate, validation, sealing, blind indexes,
/// automatic rules, audit, group commit), beside the raw floor for the same rows.
///
/// The floor is measured in the same run on the same data: the rows one submission actually wrote (counted in the
/// installation's database after the measured runs), inserted with the raw SQLite C API into a fresh database of
/// the same schema, with the same durability (WAL, `synchronous=FULL`, `secure_delete`) and the same batching (one
/// transaction per batch of the mean size the group committer reached), plus libsodium XChaCha20-Poly1305 of the
/// same field values, keyed BLAKE2b of the searchable ones and SHA-256 leaf and chain hashes of each audit row.
/// The floor runs on one thread.
struct SubmissionScenario {
    let bench: BenchInstallation
    let submissionsPerRun: Int
    let runs: Int
    let inFlight: Int

    /// What one submission wrote, counted from the database.
    struct RowShape: CustomStringConvertible {
        var sealedFields: [String]
        var openFields: [String]
        var indexedFields: [String]
        var auditEntriesPerSubmission: Double
        var auditNodesPerSubmission: Double
        var meanCanonicalBytes: Int
        /// Whether the service sealed under a per-citizen key (crypto-shredding): the floor then derives one field
        /// key per citizen (once, as the sealer caches it) and writes the 16-byte subject key id into each header.
        var subjectBound: Bool
        var description: String {
            "per submission: 1 request, \(sealedFields.count) sealed, \(openFields.count) open, \(indexedFields.count) blind-index rows, "
                + "\(BenchFormat.number(auditEntriesPerSubmission)) audit entries (~\(meanCanonicalBytes) B), "
                + "\(BenchFormat.number(auditNodesPerSubmission)) audit nodes"
                + (subjectBound ? "; fields sealed under per-citizen keys" : "")
        }
    }

    func run() async throws -> [BenchFigure] {
        let installation = bench.installation
        try await bench.submit(count: max(256, submissionsPerRun / 10), inFlight: inFlight)  // warm-up
        let auditBefore = try installation.auditStore.entryCount()
        let nodesBefore = try await installation.database.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM audit_node") ?? 0 }
        let statsBefore = installation.writer.statistics
        let firstMeasured = bench.requests.count
        var rates: [Double] = []
        for _ in 0..<runs {
            let seconds = try await bench.submit(count: submissionsPerRun, inFlight: inFlight)
            rates.append(Double(submissionsPerRun) / seconds)
        }
        let statsAfter = installation.writer.statistics
        let measured = submissionsPerRun * runs
        let batches = statsAfter.batches - statsBefore.batches, writes = statsAfter.writes - statsBefore.writes
        let meanBatch = Double(writes) / Double(max(1, batches))
        let shape = try await rowShape(sampleID: bench.requests[firstMeasured].id, submissions: measured, auditBefore: auditBefore, nodesBefore: nodesBefore)

        let floorBatch = max(1, Int(meanBatch.rounded()))
        var floorRates: [Double] = []
        var sealShare: [Double] = []
        for _ in 0..<runs {
            let (seconds, sealSeconds) = try floorRun(count: submissionsPerRun, batch: floorBatch, shape: shape)
            floorRates.append(Double(submissionsPerRun) / seconds)
            sealShare.append(sealSeconds / seconds)
        }
        let floor = Measure.median(floorRates)
        return [
            BenchFigure(
                scenario: "submit", name: "sealed submission e2e (\(BenchInstallation.serviceID))", value: Measure.median(rates),
                unit: "/s", lowerIsBetter: false, floor: floor,
                floorDescription: "raw SQLite inserts of the same rows, WAL + synchronous=FULL, batches of \(floorBatch), "
                    + "+ libsodium seal of the same values (one thread)",
                targets: [.atLeast(5000, "/s"), .withinFloor(2)],
                note: "\(inFlight) in flight; group commit: \(writes) writes in \(batches) batches (mean \(BenchFormat.number(meanBatch))); "
                    + "\(shape); floor: crypto \(Int((Measure.median(sealShare) * 100).rounded()))% of its time"),
        ]
    }

    private func rowShape(sampleID: String, submissions: Int, auditBefore: UInt64, nodesBefore: Int) async throws -> RowShape {
        let collection = "requests"
        return try await bench.installation.database.read { db in
            let sealed = try String.fetchAll(
                db, sql: "SELECT field FROM sealed_fields WHERE collection = ? AND record_id = ? ORDER BY field", arguments: [collection, sampleID])
            let open = try String.fetchAll(
                db, sql: "SELECT field FROM open_fields WHERE collection = ? AND record_id = ? ORDER BY field", arguments: [collection, sampleID])
            let indexed = try String.fetchAll(
                db, sql: "SELECT field FROM blind_indexes WHERE collection = ? AND record_id = ? ORDER BY field", arguments: [collection, sampleID])
            let envelope = try Data.fetchOne(
                db, sql: "SELECT envelope FROM sealed_fields WHERE collection = ? AND record_id = ? LIMIT 1", arguments: [collection, sampleID])
            let auditAfter = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_entry") ?? 0
            let nodesAfter = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_node") ?? 0
            let meanCanonical = try Double.fetchOne(
                db, sql: "SELECT AVG(LENGTH(canonical)) FROM audit_entry WHERE seq >= ?", arguments: [Int64(auditBefore)]) ?? 0
            return RowShape(
                sealedFields: sealed, openFields: open, indexedFields: indexed,
                auditEntriesPerSubmission: Double(auditAfter - Int(auditBefore)) / Double(submissions),
                auditNodesPerSubmission: Double(nodesAfter - nodesBefore) / Double(submissions),
                meanCanonicalBytes: Int(meanCanonical.rounded()), subjectBound: (envelope.map { [UInt8]($0) }?.dropFirst().first ?? 0) & 1 == 1)
        }
    }

    /// One floor run: `count` submissions' rows in transactions of `batch`. Returns (total seconds, crypto seconds).
    private func floorRun(count: Int, batch: Int, shape: RowShape) throws -> (Double, Double) {
        let installation = bench.installation
        let scratch = try ScratchDirectory(prefix: "strongroom-bench-floor")
        do { _ = try StrongroomDatabase(dataDirectory: scratch.path) }  // the same schema, then closed
        let raw = try RawSQLite(path: scratch.appending(StrongroomDatabase.fileName))
        let insertAccount = try raw.prepare("""
            INSERT INTO accounts (id, kind, login_index, password_hash, roles, subject_id, status, created_at)
            VALUES (?, 'citizen', ?, 'x', 'citizen', ?, 'active', 0)
            """)
        for (number, citizen) in bench.citizens.enumerated() {
            insertAccount.bind(1, citizen.accountID)
            insertAccount.bind(2, bytes: [UInt8](repeating: UInt8(number), count: 16))
            insertAccount.bind(3, citizen.subjectID ?? citizen.accountID)
            try insertAccount.run()
        }
        let insertRequest = try raw.prepare("""
            INSERT INTO requests (id, service_id, service_version, owner_id, subject_id, office, status, created_at, updated_at, submitted_at)
            VALUES (?, ?, 2, ?, ?, 'central', 'submitted', ?, ?, ?)
            """)
        let insertSealed = try raw.prepare("""
            INSERT INTO sealed_fields (collection, record_id, field, envelope, key_version, subject_id, sealed_at) VALUES ('requests', ?, ?, ?, 1, ?, ?)
            """)
        let insertOpen = try raw.prepare("INSERT INTO open_fields (collection, record_id, field, value) VALUES ('requests', ?, ?, ?)")
        let insertIndex = try raw.prepare(
            "INSERT INTO blind_indexes (collection, field, key_version, digest, record_id) VALUES ('requests', ?, 1, ?, ?)")
        let insertAudit = try raw.prepare("""
            INSERT INTO audit_entry (seq, time_ms, actor_id, action, subject_id, flags, canonical, leaf_hash, chain_hash)
            VALUES (?, ?, ?, 'request.create', ?, 0, ?, ?, ?)
            """)
        let insertNode = try raw.prepare("INSERT INTO audit_node (level, idx, hash) VALUES (?, ?, ?)")

        let dataKey = try installation.keyring.currentKey(.records)
        let indexKey = try installation.keyring.currentKey(.index)
        var citizenKeys: [(id: [UInt8], key: SecretBytes)] = []
        for _ in bench.citizens {
            let subjectKey = try SecretBytes(randomCount: 32)
            citizenKeys.append((SecureRandom.bytes(count: 16), try BLAKE2b.deriveKey(
                from: dataKey.key, context: Array("strongroom.subject-field-key.v1".utf8), secret: subjectKey)))
        }
        let canonicalFiller = [UInt8](repeating: 0x61, count: max(1, shape.meanCanonicalBytes))
        var seq: Int64 = 0, nodeIndex: Int64 = 0
        var chain = AuditHashing.chainSeed
        var auditDebt = 0.0, nodeDebt = 0.0
        var cryptoSeconds = 0.0
        let start = Measure.clock.now
        var done = 0
        while done < count {
            let end = min(count, done + batch)
            try raw.execute("BEGIN IMMEDIATE")
            for number in done..<end {
                let recordID = "req_floor\(number)"
                let citizen = bench.citizens[number % bench.citizens.count]
                let subject = citizen.subjectID ?? citizen.accountID
                let (inputs, _) = BenchInstallation.values(number: 1_000_000 + number)
                let cryptoStart = Measure.clock.now
                var envelopes: [(String, [UInt8])] = []
                for field in shape.sealedFields {
                    let plaintext = Array(Self.plain(inputs[field]).utf8)
                    let place = FieldPlace(collection: "requests", recordID: recordID, field: field)
                    let nonce = XChaCha20Poly1305.randomNonce()
                    let citizenKey = citizenKeys[number % citizenKeys.count]
                    let header = SealingScenario.header(
                        keyID: dataKey.id.rawValue, version: dataKey.version, subjectKeyID: shape.subjectBound ? citizenKey.id : nil)
                    let ad = SealingScenario.associatedData(header: header, place: place)
                    let key = shape.subjectBound ? citizenKey.key : dataKey.key
                    envelopes.append((field, header + nonce + (try XChaCha20Poly1305.seal(plaintext, key: key, nonce: nonce, associatedData: ad))))
                }
                var digests: [(String, [UInt8])] = []
                for field in shape.indexedFields {
                    digests.append((field, try BLAKE2b.hash(Array(Self.plain(inputs[field]).utf8), key: indexKey.key, outputByteCount: 16)))
                }
                cryptoSeconds += Measure.seconds(Measure.clock.now - cryptoStart)
                let now = Int64(1_800_000_000_000 + number)
                insertRequest.bind(1, recordID)
                insertRequest.bind(2, BenchInstallation.serviceID)
                insertRequest.bind(3, citizen.accountID)
                insertRequest.bind(4, subject)
                for column in Int32(5)...7 { insertRequest.bind(column, now) }
                try insertRequest.run()
                for (field, envelope) in envelopes {
                    insertSealed.bind(1, recordID)
                    insertSealed.bind(2, field)
                    insertSealed.bind(3, bytes: envelope)
                    insertSealed.bind(4, subject)
                    insertSealed.bind(5, now)
                    try insertSealed.run()
                }
                for field in shape.openFields {
                    insertOpen.bind(1, recordID)
                    insertOpen.bind(2, field)
                    insertOpen.bind(3, Self.plain(inputs[field]))
                    try insertOpen.run()
                }
                for (field, digest) in digests {
                    insertIndex.bind(1, field)
                    insertIndex.bind(2, bytes: digest)
                    insertIndex.bind(3, recordID)
                    try insertIndex.run()
                }
                auditDebt += shape.auditEntriesPerSubmission
                while auditDebt >= 1 {
                    auditDebt -= 1
                    let hashStart = Measure.clock.now
                    let leaf = AuditHashing.leafHash(canonicalFiller)
                    chain = AuditHashing.chainHash(previous: chain, leafHash: leaf)
                    cryptoSeconds += Measure.seconds(Measure.clock.now - hashStart)
                    insertAudit.bind(1, seq)
                    insertAudit.bind(2, now)
                    insertAudit.bind(3, citizen.accountID)
                    insertAudit.bind(4, subject)
                    insertAudit.bind(5, bytes: canonicalFiller)
                    insertAudit.bind(6, bytes: leaf)
                    insertAudit.bind(7, bytes: chain)
                    try insertAudit.run()
                    seq += 1
                }
                nodeDebt += shape.auditNodesPerSubmission
                while nodeDebt >= 1 {
                    nodeDebt -= 1
                    insertNode.bind(1, 1)
                    insertNode.bind(2, nodeIndex)
                    insertNode.bind(3, bytes: AuditHashing.nodeHash(chain, chain))
                    try insertNode.run()
                    nodeIndex += 1
                }
            }
            try raw.execute("COMMIT")
            done = end
        }
        return (Measure.seconds(Measure.clock.now - start), cryptoSeconds)
    }

    /// A sample value as plain text (the floor seals the same characters the service does, give or take canonical form).
    static func plain(_ input: FieldInput?) -> String {
        switch input {
        case let .string(text)?: text
        case let .decimal(text)?: text
        case let .integer(number)?: String(number)
        case let .bool(flag)?: String(flag)
        default: "-"
        }
    }
}

import AuditLog
import Catalog
import GRDB
import Keyring
import Sealing
import Sodium
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Online rewrap: re-seals every field sealed under an older `records` version with the current one, and recomputes
/// every blind index made under an older `index` version, in small batches while the service keeps serving.
///
/// Each batch reads rows under old versions (a snapshot), opens and re-seals them outside any transaction, then
/// replaces each row in one short write through the group committer — only if the stored envelope is still,
/// byte for byte, the one that was read. A concurrent write of a new value therefore always wins, and nothing is
/// ever sealed twice: a rewrap only ever seals plaintext it just opened. Progress lives in the data itself (the
/// `key_version` column), so a rewrap killed at any moment is resumed by running it again.
public struct Rewrap: Sendable {
    /// What remains, per key version.
    public struct Plan: Sendable, Equatable {
        /// The `records` version new seals use.
        public let recordsVersion: UInt32
        /// The `index` version new blind indexes use.
        public let indexVersion: UInt32
        /// Sealed fields per `records` version (every version, current included).
        public let sealedByVersion: [UInt32: Int]
        /// Blind index rows per `index` version.
        public let indexesByVersion: [UInt32: Int]

        /// Sealed fields a rewrap would re-seal.
        public var sealedToRewrap: Int { sealedByVersion.filter { $0.key < recordsVersion }.values.reduce(0, +) }
        /// Blind index rows a rewrap would recompute.
        public var indexesToRecompute: Int { indexesByVersion.filter { $0.key < indexVersion }.values.reduce(0, +) }
    }

    /// What a run did.
    public struct Report: Sendable, Equatable {
        /// Fields re-sealed under the current version.
        public var rewrapped = 0
        /// Fields skipped because a concurrent write replaced them meanwhile (they hold a newer envelope).
        public var changedMeanwhile = 0
        /// Fields that could not be opened (retired or unknown version, destroyed subject key, tampered envelope);
        /// they stay as they are and are counted by `keys status`.
        public var unreadable = 0
        /// Blind index rows recomputed under the current index version.
        public var indexesRecomputed = 0
        /// Blind index rows whose field could not be opened or whose definition is not known (left as they are).
        public var indexesUnreachable = 0
        /// Shredding keys rewrapped to the current `subjects` key version.
        public var shreddingKeysRewrapped = 0
        public var seconds = 0.0

        public init() {}
    }

    let installation: Installation

    public init(installation: Installation) { self.installation = installation }

    /// Counts per key version, for `--dry-run` and `keys status`.
    public func plan() async throws -> Plan {
        let records = try installation.keyring.currentKey(.records).version
        let index = try installation.keyring.currentKey(.index).version
        let (sealed, indexes) = try await installation.database.read { db in
            (try FieldRows.sealedCountsByKeyVersion(in: db), try FieldRows.indexCountsByKeyVersion(in: db))
        }
        return Plan(recordsVersion: records, indexVersion: index, sealedByVersion: sealed, indexesByVersion: indexes)
    }

    /// Rewraps everything under older versions, audited at start and end (flag `keyOperation`).
    ///
    /// - Parameters:
    ///   - batchSize: rows per read and per write transaction.
    ///   - progress: called after each batch with (rows done, rows planned).
    ///   - afterBatch: called after each committed batch with the number of batches so far; tests throw from it to
    ///     simulate a kill. Up to two later batches may already be in the writer's hands then: each commits whole
    ///     (or fails) before the run returns.
    public func run(
        batchSize: Int = 2000, caller: AuthenticatedCaller, requestID: String,
        progress: (@Sendable (Int, Int) -> Void)? = nil, afterBatch: (@Sendable (Int) throws -> Void)? = nil
    ) async throws -> Report {
        try KeyOperations.authorize(caller)
        let batchSize = max(1, batchSize)
        let started = ContinuousClock.now
        let plan = try await plan()
        let total = plan.sealedToRewrap + plan.indexesToRecompute
        try await record("keys.rewrap", caller: caller, requestID: requestID, details: [
            "phase": "start", "records_version": String(plan.recordsVersion), "index_version": String(plan.indexVersion),
            "fields_planned": String(plan.sealedToRewrap), "indexes_planned": String(plan.indexesToRecompute),
        ])
        var report = Report()
        var batches = 0
        // Passes repeat while they find work: a server that had not yet seen the rotation may have sealed a few more
        // fields under the old version meanwhile. Unreadable rows do not count as work, so this ends.
        for _ in 0..<3 {
            let passWork = try await rewrapPass(
                below: plan.recordsVersion, batchSize: batchSize, total: total, report: &report, batches: &batches,
                progress: progress, afterBatch: afterBatch)
            if passWork == 0 { break }
        }
        var indexCursor: FieldRows.RewrapCursor?
        while true {
            guard let next = try await recomputeIndexBatch(below: plan.indexVersion, after: indexCursor, limit: batchSize, into: &report) else {
                break
            }
            indexCursor = next
            batches += 1
            progress?(report.rewrapped + report.changedMeanwhile + report.unreadable + report.indexesRecomputed + report.indexesUnreachable, total)
            try afterBatch?(batches)
        }
        report.shreddingKeysRewrapped = try installation.subjectKeys.rewrapToCurrentVersion()
        let elapsed = ContinuousClock.now - started
        report.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        try await record("keys.rewrap", caller: caller, requestID: requestID, details: [
            "phase": "end", "records_version": String(plan.recordsVersion), "index_version": String(plan.indexVersion),
            "fields_rewrapped": String(report.rewrapped), "fields_changed_meanwhile": String(report.changedMeanwhile),
            "fields_unreadable": String(report.unreadable), "indexes_recomputed": String(report.indexesRecomputed),
            "indexes_unreachable": String(report.indexesUnreachable),
            "shredding_keys_rewrapped": String(report.shreddingKeysRewrapped),
        ])
        return report
    }

    private func record(_ action: String, caller: AuthenticatedCaller, requestID: String, details: [String: String]) async throws {
        let audit = installation.audit
        let draft = KeyOperations.draft(action, caller: caller, requestID: requestID, details: details)
        try await installation.writer.write { db in try audit.record(draft, in: db) }
    }

    /// One pass over the fields under versions below `version`, as a three-stage pipeline: while earlier batches'
    /// replacements commit (one short write each through the group committer), the next batch is re-sealed on every
    /// core and the one after it is read. Returns how many fields it replaced.
    private func rewrapPass(
        below version: UInt32, batchSize: Int, total: Int, report: inout Report, batches: inout Int,
        progress: (@Sendable (Int, Int) -> Void)?, afterBatch: (@Sendable (Int) throws -> Void)?
    ) async throws -> Int {
        let database = installation.database
        func read(after cursor: FieldRows.RewrapCursor?) async throws -> [SealedRow] {
            try await database.read { db in try Rows.sealed(below: version, after: cursor, limit: batchSize, in: db) }
        }
        var passWork = 0
        var rows = try await read(after: nil)
        // Up to three batches are in the writer's hands at once: it never waits for this task between commits, and the
        // re-sealing of the next batch never waits for the writer unless it is three batches behind.
        var inFlight: [(write: Task<Int, any Error>, count: Int)] = []
        func settleOldest() async throws {
            let (write, count) = inFlight.removeFirst()
            let replaced = try await write.value
            report.rewrapped += replaced
            report.changedMeanwhile += count - replaced
            passWork += replaced
            batches += 1
            progress?(report.rewrapped + report.changedMeanwhile + report.unreadable, total)
            try afterBatch?(batches)
        }
        do {
            while let last = rows.last {
                // Re-seal this batch in child tasks while this task reads the next one. The read's snapshot may
                // still show batches being written: the cursor, not the version, is what moves past them.
                let batch = rows
                async let sealed = Self.reseal(batch, sealer: installation.sealer)
                rows = try await read(after: last.cursor)
                let (replacements, unreadable) = try await sealed
                report.unreadable += unreadable
                if replacements.isEmpty {
                    batches += 1
                    progress?(report.rewrapped + report.changedMeanwhile + report.unreadable, total)
                    try afterBatch?(batches)
                } else {
                    let writer = installation.writer
                    inFlight.append((Task { try await writer.write { db in try Rows.replace(replacements, in: db) } }, replacements.count))
                }
                while inFlight.count > 2 { try await settleOldest() }
            }
            while !inFlight.isEmpty { try await settleOldest() }
        } catch {
            // Nothing is left running when this returns: a write already handed over has committed or failed.
            for (write, _) in inFlight { _ = try? await write.value }
            throw error
        }
        return passWork
    }

    /// Opens and re-seals a batch on every core, in small chunks so that the cores stay busy while the writer
    /// commits. Only plaintext just opened is sealed, so nothing is ever sealed twice. Returns the replacements and
    /// how many fields could not be opened (retired or unknown version, destroyed subject key, damage).
    static func reseal(_ rows: [SealedRow], sealer: FieldSealer) async throws -> ([Replacement], Int) {
        let chunkSize = 128
        return try await withThrowingTaskGroup(of: (Int, [Replacement], Int).self) { group in
            for start in stride(from: 0, to: rows.count, by: chunkSize) {
                let chunk = rows[start..<min(start + chunkSize, rows.count)]
                group.addTask {
                    var done: [Replacement] = []
                    done.reserveCapacity(chunk.count)
                    var failed = 0
                    for row in chunk {
                        let place = FieldPlace(collection: row.collection, recordID: row.recordID, field: row.field)
                        do {
                            var plaintext = try sealer.open(row.envelope, at: place)
                            defer { SecretBytes.wipe(&plaintext) }
                            // The header is authenticated by the open above, so its subject key is the field's own.
                            // So are its subject key and its revision (kept: the value did not change, and the owning
                            // record names this revision).
                            let old = try SealedEnvelope(parsing: row.envelope)
                            let envelope = try sealer.seal(plaintext, for: place, subjectKeyID: old.subjectKeyID, revision: old.revision)
                            done.append(Replacement(row: row, envelope: envelope, version: try FieldSealer.keyVersion(of: envelope).version))
                        } catch {
                            failed += 1
                        }
                    }
                    return (start, done, failed)
                }
            }
            // Back in read order (primary key order for one version), so the writer walks the table forward.
            var chunks: [Int: [Replacement]] = [:]
            var unreadable = 0
            for try await (start, done, failed) in group {
                chunks[start] = done
                unreadable += failed
            }
            var replacements: [Replacement] = []
            replacements.reserveCapacity(rows.count)
            for start in chunks.keys.sorted() { replacements += chunks[start]! }
            return (replacements, unreadable)
        }
    }

    /// One batch of blind index rows under older index versions.
    private func recomputeIndexBatch(
        below version: UInt32, after cursor: FieldRows.RewrapCursor?, limit: Int, into report: inout Report
    ) async throws -> FieldRows.RewrapCursor? {
        let rows = try await installation.database.read { db -> [(FieldRows.StoredIndex, [UInt8]?, (String, Int)?)] in
            try FieldRows.indexesBelow(version: version, after: cursor, limit: limit, in: db).map { index in
                let envelope = try FieldRows.sealedEnvelope(collection: index.collection, recordID: index.recordID, field: index.field, in: db)
                var service: (String, Int)?
                if index.collection == RecordService.requestCollection,
                    let row = try Row.fetchOne(db, sql: "SELECT service_id, service_version FROM requests WHERE id = ?", arguments: [index.recordID])
                {
                    service = (row[0] as String, row[1] as Int)
                }
                return (index, envelope, service)
            }
        }
        guard let last = rows.last?.0 else { return nil }
        var replacements: [(old: FieldRows.StoredIndex, envelope: [UInt8], digest: [UInt8])] = []
        for (index, envelope, service) in rows {
            guard let envelope, let normalization = normalization(collection: index.collection, field: index.field, service: service) else {
                report.indexesUnreachable += 1
                continue
            }
            let place = FieldPlace(collection: index.collection, recordID: index.recordID, field: index.field)
            do {
                var plaintext = try installation.sealer.open(envelope, at: place)
                defer { SecretBytes.wipe(&plaintext) }
                // The same input as RecordService.prepare: the catalog normalisation of the canonical text, then `.exact`.
                let input = normalization.normalize(String(decoding: plaintext, as: UTF8.self))
                let digest = try installation.indexer.index(
                    input, normalization: .exact, collection: index.collection, field: index.field, version: version)
                replacements.append((index, envelope, digest.bytes))
            } catch {
                report.indexesUnreachable += 1
            }
        }
        let toWrite = replacements
        let recomputed = try await installation.writer.write { db -> Int in
            var done = 0
            for item in toWrite {
                // The index must still describe the value it was computed from.
                let current = try FieldRows.sealedEnvelope(
                    collection: item.old.collection, recordID: item.old.recordID, field: item.old.field, in: db)
                guard current == item.envelope else { continue }
                if try FieldRows.replaceIndex(item.old, with: item.digest, keyVersion: version, in: db) { done += 1 }
            }
            return done
        }
        report.indexesRecomputed += recomputed
        report.indexesUnreachable += toWrite.count - recomputed
        return FieldRows.RewrapCursor(keyVersion: last.keyVersion, collection: last.collection, recordID: last.recordID, field: last.field)
    }

    /// The blind-index normalisation of a field, from the profile schema or the request's catalog service version.
    private func normalization(collection: String, field: String, service: (String, Int)?) -> BlindIndexNormalization? {
        switch collection {
        case ProfileSchema.collection:
            return ProfileSchema.service.field(field)?.blindIndexNormalization
        case RecordService.requestCollection:
            guard let service, let definition = installation.catalog.service(service.0)?.field(field, at: service.1) else { return nil }
            return definition.blindIndexNormalization
        default:
            return nil
        }
    }
}

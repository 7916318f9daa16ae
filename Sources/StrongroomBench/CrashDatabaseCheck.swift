import Foundation
import GRDB

/// What a copy of the database (taken after SIGKILL, before restart) holds, checked for half-present writes:
/// every request has all its fields, its blind-index row and its `request.create` audit entry; no field, index or
/// audit entry exists without its request; every key a field was sealed under is in the subject key store.
struct CrashDatabaseCheck {
    /// A request row as it is on disk.
    struct Row: Sendable {
        let id: String
        let ownerID: String
        let status: String
    }

    let snapshot: String
    /// How many fields every crash-test request has (the test always sends all of them).
    let fieldsPerRequest: Int

    func run() throws -> (rows: [Row], problems: [String], note: String) {
        let database = "\(snapshot)/strongroom.sqlite", subjects = "\(snapshot)/subjects.sqlite"
        guard FileManager.default.fileExists(atPath: database) else { throw BenchError("no database copy at \(database)") }
        let queue = try DatabaseQueue(path: database)
        var problems: [String] = []
        var rows: [Row] = []
        var note = ""
        try queue.inDatabase { db in
            let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
            if integrity != ["ok"] { problems.append("integrity_check: \(integrity.prefix(3).joined(separator: "; "))") }
            rows = try Row.fetchEvery(db)

            let wrongFieldCount = try String.fetchAll(db, sql: """
                SELECT r.id FROM requests r
                WHERE (SELECT COUNT(*) FROM sealed_fields s WHERE s.collection = 'requests' AND s.record_id = r.id)
                    + (SELECT COUNT(*) FROM open_fields o WHERE o.collection = 'requests' AND o.record_id = r.id) <> ?
                """, arguments: [fieldsPerRequest])
            for id in wrongFieldCount.prefix(5) { problems.append("request \(id) does not have its \(fieldsPerRequest) fields on disk") }
            if wrongFieldCount.count > 5 { problems.append("… \(wrongFieldCount.count) requests in all without all their fields") }

            for table in ["sealed_fields", "open_fields", "blind_indexes"] {
                let orphans = try Int.fetchOne(db, sql: """
                    SELECT COUNT(*) FROM \(table) WHERE collection = 'requests' AND record_id NOT IN (SELECT id FROM requests)
                    """) ?? 0
                if orphans > 0 { problems.append("\(orphans) rows in \(table) belong to no request (half-written request)") }
            }
            let indexCounts = try Int.fetchAll(db, sql: """
                SELECT (SELECT COUNT(*) FROM blind_indexes b WHERE b.collection = 'requests' AND b.record_id = r.id) FROM requests r
                """)
            if let low = indexCounts.min(), let high = indexCounts.max(), low != high || low == 0 {
                problems.append("requests have between \(low) and \(high) blind-index rows; every one should have the same number, at least one")
            }
            let notSubmitted = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM requests WHERE status <> 'draft' AND submitted_at IS NULL") ?? 0
            if notSubmitted > 0 { problems.append("\(notSubmitted) requests are past draft without a submission time") }
            let loginless = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM accounts a WHERE NOT EXISTS
                    (SELECT 1 FROM sealed_fields s WHERE s.collection = 'accounts' AND s.record_id = a.id)
                """) ?? 0
            if loginless > 0 { problems.append("\(loginless) accounts have no sealed login (half-written sign-up)") }

            // The record and the audit entry of its creation commit together: each with the other, or neither.
            let created = try Data.fetchAll(db, sql: "SELECT canonical FROM audit_entry WHERE action = 'request.create'")
            var audited = Set<String>()
            for canonical in created { if let id = Self.requestID(in: [UInt8](canonical)) { audited.insert(id) } }
            let ids = Set(rows.map(\.id))
            let unaudited = ids.subtracting(audited), rowless = audited.subtracting(ids)
            for id in unaudited.sorted().prefix(5) { problems.append("request \(id) has no request.create audit entry") }
            for id in rowless.sorted().prefix(5) { problems.append("audit entry request.create for \(id), which is not in the database") }
            if unaudited.count + rowless.count > 10 { problems.append("… \(unaudited.count) unaudited requests, \(rowless.count) audit entries without a request") }

            if FileManager.default.fileExists(atPath: subjects) {
                try db.execute(sql: "ATTACH DATABASE ? AS subjects", arguments: [subjects])
                // Keys destroyed by an erasure or a sweep that had not removed their fields yet are listed in
                // `unswept_keys` (the next sweep removes those fields): expected after a crash, not a loss.
                let journaled = try Bool.fetchOne(
                    db, sql: "SELECT COUNT(*) > 0 FROM subjects.sqlite_master WHERE type = 'table' AND name = 'unswept_keys'") ?? false
                let missingKeys = try Int.fetchOne(db, sql: """
                    SELECT COUNT(DISTINCT shred_key) FROM sealed_fields
                    WHERE shred_key IS NOT NULL AND shred_key NOT IN (SELECT id FROM subjects.shredding_keys)
                    \(journaled ? "AND shred_key NOT IN (SELECT id FROM subjects.unswept_keys)" : "")
                    """) ?? 0
                if missingKeys > 0 { problems.append("\(missingKeys) shredding keys that sealed fields need are not in the subject key store") }
                let keyCount = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM subjects.shredding_keys") ?? 0
                note = ", \(keyCount) shredding keys"
            } else {
                problems.append("no copy of the subject key store (subjects.sqlite) in \(snapshot)")
            }
            let entries = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_entry") ?? 0
            note = "\(rows.count) requests, \(entries) audit entries" + note
        }
        return (rows, problems, note)
    }

    /// The request id an audit entry's canonical bytes name (`req_` and the hex digits after it).
    static func requestID(in bytes: [UInt8]) -> String? {
        let prefix = Array("req_".utf8)
        guard bytes.count >= prefix.count else { return nil }
        for start in 0...(bytes.count - prefix.count) where bytes[start..<(start + prefix.count)].elementsEqual(prefix) {
            var end = start + prefix.count
            while end < bytes.count, (bytes[end] >= 48 && bytes[end] <= 57) || (bytes[end] >= 97 && bytes[end] <= 122) || (bytes[end] >= 65 && bytes[end] <= 90) {
                end += 1
            }
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }
        return nil
    }
}

extension CrashDatabaseCheck.Row: FetchableRecord {
    init(row: GRDB.Row) {
        id = row["id"]
        ownerID = row["owner_id"]
        status = row["status"]
    }

    static func fetchEvery(_ db: Database) throws -> [CrashDatabaseCheck.Row] {
        try fetchAll(db, sql: "SELECT id, owner_id, status FROM requests ORDER BY id")
    }
}

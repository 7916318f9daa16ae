import AuditLog
import Foundation
import GRDB
internal import GRDBSQLite

extension SQLiteAuditStore: AuditEntrySource {
    public func entryCount() throws -> UInt64 { try reader.read { try self.size(in: $0) } }

    public func checkpoints() throws -> [SignedCheckpoint] { try reader.read { try self.allCheckpoints(in: $0) } }

    /// Streams every entry from one read snapshot through a cursor; memory stays flat.
    public func forEachEntry(_ body: (AuditEntry) throws -> Bool) throws {
        try reader.read { db in
            let cursor = try Row.fetchCursor(db, sql: "SELECT \(Self.columns) FROM audit_entry ORDER BY seq")
            while let row = try cursor.next() {
                guard try body(try Self.entry(from: row)) else { return }
            }
        }
    }

    /// Streams every entry's stored canonical bytes and chain hash from one read snapshot, straight from SQLite's
    /// row buffers (no decoding, no copies). Each row's query columns are checked against its canonical bytes first,
    /// so an altered column is reported here exactly as ``forEachEntry(_:)`` reports it.
    ///
    /// - Throws: ``StorageError`` (`corrupt`) naming the first row whose bytes do not scan or whose columns differ.
    public func forEachCanonicalEntry(
        _ body: (_ canonicalBytes: UnsafeRawBufferPointer, _ chainHash: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try reader.read { db in
            let statement = try db.makeStatement(sql: "SELECT \(Self.columns) FROM audit_entry ORDER BY seq")
            let cursor = try Row.fetchCursor(statement)
            let raw = statement.sqliteStatement
            while try cursor.next() != nil {
                let canonical = Self.blob(raw, 6)
                try Self.checkColumns(raw, against: canonical)
                guard try body(canonical, Self.blob(raw, 7)) else { return }
            }
        }
    }

    static let columns = "seq, time_ms, actor_id, action, subject_id, flags, canonical, chain_hash"

    /// Checks the current row of a ``columns`` query: the canonical bytes scan, and seq, time, actor, action,
    /// subject and flags equal the values inside them. Compares bytes in place; nothing is decoded into Strings.
    static func checkColumns(_ raw: SQLiteStatement, against canonical: UnsafeRawBufferPointer) throws {
        let seq = sqlite3_column_int64(raw, 0)
        let fields: AuditCanonicalFields
        do {
            fields = try AuditCanonicalFields(scanning: canonical)
        } catch let error as AuditError {
            throw StorageError.corrupt("audit entry \(seq) cannot be decoded: \(error.message)")
        }
        func text(_ index: Int32, equals range: Range<Int>) -> Bool {
            guard sqlite3_column_type(raw, index) == SQLITE_TEXT else { return false }
            let column = UnsafeRawBufferPointer(
                start: sqlite3_column_text(raw, index), count: Int(sqlite3_column_bytes(raw, index)))
            return column.elementsEqual(UnsafeRawBufferPointer(rebasing: canonical[range]))
        }
        let subjectMatches: Bool
        if let subject = fields.subjectID {
            subjectMatches = text(4, equals: subject)
        } else {
            subjectMatches = sqlite3_column_type(raw, 4) == SQLITE_NULL
        }
        guard fields.seq == UInt64(clamping: seq), sqlite3_column_type(raw, 0) == SQLITE_INTEGER,
            sqlite3_column_type(raw, 1) == SQLITE_INTEGER, sqlite3_column_int64(raw, 1) == fields.timeMilliseconds,
            text(2, equals: fields.actorID), text(3, equals: fields.action), subjectMatches,
            sqlite3_column_type(raw, 5) == SQLITE_INTEGER, sqlite3_column_int64(raw, 5) == Int64(fields.flags.rawValue)
        else {
            throw StorageError.corrupt("audit entry \(seq): its indexed columns differ from its hashed content (the row was altered)")
        }
    }

    /// Decodes a row and checks that the query columns agree with the hashed canonical bytes, so a query never
    /// shows a row whose indexed copy was altered.
    static func entry(from row: Row) throws -> AuditEntry {
        let seq: Int64 = row[0]
        let entry: AuditEntry
        do {
            entry = try AuditEntry(canonicalBytes: [UInt8](row[6] as Data), chainHash: [UInt8](row[7] as Data))
        } catch let error as AuditError {
            throw StorageError.corrupt("audit entry \(seq) cannot be decoded: \(error.message)")
        }
        guard entry.seq == UInt64(clamping: seq), entry.time.millisecondsSince1970 == row[1] as Int64,
            entry.actor.id == row[2] as String, entry.action == row[3] as String,
            entry.target.subjectID == row[4] as String?, Int64(entry.flags.rawValue) == row[5] as Int64
        else {
            throw StorageError.corrupt("audit entry \(seq): its indexed columns differ from its hashed content (the row was altered)")
        }
        return entry
    }

    /// The entry with sequence number `seq`, or `nil`.
    public func entry(seq: UInt64, in db: Database) throws -> AuditEntry? {
        try Row.fetchOne(db, sql: "SELECT \(Self.columns) FROM audit_entry WHERE seq = ?", arguments: [Int64(seq)]).map(Self.entry)
    }

    /// One page of entries matching `query`, oldest first. Continue with `afterSeq` = the last seq returned.
    public func entries(matching query: AuditQuery, in db: Database) throws -> [AuditEntry] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let actorID = query.actorID {
            conditions.append("actor_id = ?")
            arguments += [actorID]
        }
        if let action = query.action {
            conditions.append("action = ?")
            arguments += [action]
        }
        if let from = query.from {
            conditions.append("time_ms >= ?")
            arguments += [from.millisecondsSince1970]
        }
        if let until = query.until {
            conditions.append("time_ms < ?")
            arguments += [until.millisecondsSince1970]
        }
        if !query.flags.isEmpty {
            conditions.append("(flags & ?) = ?")
            arguments += [Int64(query.flags.rawValue), Int64(query.flags.rawValue)]
        }
        if let after = query.afterSeq {
            conditions.append("seq > ?")
            arguments += [Int64(clamping: after)]
        }
        let limit = max(0, query.limit)
        guard let subjectID = query.subjectID else {
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let rows = try Row.fetchAll(
                db, sql: "SELECT \(Self.columns) FROM audit_entry \(whereClause) ORDER BY seq LIMIT ?", arguments: arguments + [limit])
            return try rows.map(Self.entry).filter(query.matches)
        }
        // The subject index is partitioned by seq block: walk the blocks in order, one index seek each, until the
        // page is full.
        let shift = AuditSchema.subjectBlockShift
        let size = try self.size(in: db)
        guard size > 0, limit > 0 else { return [] }
        let first = query.afterSeq.map { $0 == .max ? size : $0 + 1 } ?? 0
        guard first < size else { return [] }
        let sql = """
            SELECT \(Self.columns) FROM audit_entry
            WHERE (seq >> \(shift)) = ? AND subject_id = ?\(conditions.map { " AND " + $0 }.joined())
            ORDER BY seq LIMIT ?
            """
        var result: [AuditEntry] = []
        for block in (first >> shift)...((size - 1) >> shift) where result.count < limit {
            let rows = try Row.fetchAll(
                try db.cachedStatement(sql: sql),
                arguments: [Int64(block), subjectID] + arguments + [limit - result.count])
            result += try rows.map(Self.entry).filter(query.matches)
        }
        return result
    }

    /// Every logged access to data subject `subjectID`, oldest first, one page at a time (the citizen's report).
    public func accesses(toSubject subjectID: String, afterSeq: UInt64? = nil, limit: Int = 100, in db: Database) throws -> [AuditEntry] {
        try entries(matching: AuditQuery(subjectID: subjectID, afterSeq: afterSeq, limit: limit), in: db)
    }
}

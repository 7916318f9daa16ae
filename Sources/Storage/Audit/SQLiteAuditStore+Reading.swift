import AuditLog
import Foundation
import GRDB

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

    static let columns = "seq, time_ms, actor_id, action, subject_id, flags, canonical, chain_hash"

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
        if let subjectID = query.subjectID {
            conditions.append("subject_id = ?")
            arguments += [subjectID]
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
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments += [max(0, query.limit)]
        let rows = try Row.fetchAll(
            db, sql: "SELECT \(Self.columns) FROM audit_entry \(whereClause) ORDER BY seq LIMIT ?", arguments: arguments)
        return try rows.map(Self.entry).filter(query.matches)
    }

    /// Every logged access to data subject `subjectID`, oldest first, one page at a time (the citizen's report).
    public func accesses(toSubject subjectID: String, afterSeq: UInt64? = nil, limit: Int = 100, in db: Database) throws -> [AuditEntry] {
        try entries(matching: AuditQuery(subjectID: subjectID, afterSeq: afterSeq, limit: limit), in: db)
    }
}

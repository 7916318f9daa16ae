import AuditLog
import Foundation
import GRDB

/// What a database insider does to rewrite history: drops the append-only triggers, rewrites or appends entries with
/// every hash recomputed (leaf, chain, the stored Merkle nodes), and deletes the checkpoints that would show it. After
/// this the log is self-consistent: only something holding the last signed state outside the database can tell.
public enum LogForger {
    /// Opens the database file as the insider would (its own connection, no keys).
    public static func withDatabase(path: String, _ body: (Database) throws -> Void) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            for table in ["audit_entry", "audit_node", "audit_checkpoint"] {
                try db.execute(sql: "DROP TRIGGER IF EXISTS \(table)_no_update; DROP TRIGGER IF EXISTS \(table)_no_delete")
            }
            try body(db)
        }
    }

    public static func entries(_ db: Database) throws -> [AuditEntry] {
        try Row.fetchAll(db, sql: "SELECT canonical, chain_hash FROM audit_entry ORDER BY seq").map {
            try AuditEntry(canonicalBytes: [UInt8]($0[0] as Data), chainHash: [UInt8]($0[1] as Data))
        }
    }

    /// Rewrites entry `seq` with `change` and recomputes the chain of it and every later entry and all stored nodes.
    public static func rewrite(seq: UInt64, in db: Database, _ change: (inout AuditEntry) -> Void) throws {
        var all = try entries(db)
        change(&all[Int(seq)])
        try store(all, in: db)
    }

    /// Appends a forged entry (with `draft`'s content) as the next one, hashes and nodes computed correctly.
    public static func append(_ draft: AuditEntryDraft, in db: Database) throws {
        var all = try entries(db)
        let time = all.last?.time ?? AuditTime(millisecondsSince1970: 0)
        all.append(AuditEntry(seq: UInt64(all.count), time: time, draft: draft, chainHash: []))
        try store(all, in: db)
    }

    /// Deletes the checkpoints that cover more than `size` entries.
    public static func deleteCheckpoints(above size: UInt64, in db: Database) throws {
        try db.execute(sql: "DELETE FROM audit_checkpoint WHERE tree_size > ?", arguments: [Int64(size)])
    }

    /// Writes every entry back with recomputed leaf and chain hashes and query columns, and rebuilds the stored nodes
    /// (levels 4 and above, as the store keeps them).
    public static func store(_ entries: [AuditEntry], in db: Database) throws {
        try db.execute(sql: "DELETE FROM audit_entry")
        try db.execute(sql: "DELETE FROM audit_node")
        var chain = AuditHashing.chainSeed
        var range = CompactRange()
        for entry in entries {
            let canonical = entry.canonicalBytes
            let leaf = AuditHashing.leafHash(canonical)
            chain = AuditHashing.chainHash(previous: chain, leafHash: leaf)
            try db.execute(
                sql: """
                    INSERT INTO audit_entry (seq, time_ms, actor_id, action, subject_id, flags, canonical, leaf_hash, chain_hash)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    Int64(entry.seq), entry.time.millisecondsSince1970, entry.actor.id, entry.action, entry.target.subjectID,
                    Int64(entry.flags.rawValue), Data(canonical), Data(leaf), Data(chain),
                ])
            var nodes: [(Int, UInt64, [UInt8])] = []
            range.append(leaf) { level, index, hash in if level >= 4 { nodes.append((level, index, hash)) } }
            for (level, index, hash) in nodes {
                try db.execute(sql: "INSERT INTO audit_node (level, idx, hash) VALUES (?, ?, ?)", arguments: [level, Int64(index), Data(hash)])
            }
        }
    }
}

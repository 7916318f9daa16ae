import GRDB

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Persistence of field values: sealed envelopes, public (unsealed) values and blind indexes.
///
/// This layer never sees plaintext of a personal field: it stores and returns envelope bytes. Sealing and opening
/// happen in the service layer.
public enum FieldRows {
    /// One stored envelope.
    public struct Envelope: Sendable, Equatable {
        public let field: String
        public let bytes: [UInt8]
        public let keyVersion: UInt32
    }

    /// Inserts or replaces a sealed field.
    public static func putSealed(
        _ envelope: [UInt8], keyVersion: UInt32, collection: String, recordID: String, field: String,
        subjectID: String?, at millis: Int64, in db: Database
    ) throws {
        try db.execute(
            sql: """
                INSERT INTO sealed_fields (collection, record_id, field, envelope, key_version, subject_id, sealed_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (collection, record_id, field) DO UPDATE SET
                  envelope = excluded.envelope, key_version = excluded.key_version,
                  subject_id = excluded.subject_id, sealed_at = excluded.sealed_at
                """,
            arguments: [collection, recordID, field, Data(envelope), Int64(keyVersion), subjectID, millis])
        try db.execute(
            sql: "DELETE FROM open_fields WHERE collection = ? AND record_id = ? AND field = ?",
            arguments: [collection, recordID, field])
    }

    /// Inserts or replaces a public (unsealed) field.
    public static func putOpen(_ value: String, collection: String, recordID: String, field: String, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO open_fields (collection, record_id, field, value) VALUES (?, ?, ?, ?)
                ON CONFLICT (collection, record_id, field) DO UPDATE SET value = excluded.value
                """,
            arguments: [collection, recordID, field, value])
        try db.execute(
            sql: "DELETE FROM sealed_fields WHERE collection = ? AND record_id = ? AND field = ?",
            arguments: [collection, recordID, field])
    }

    /// Removes a field, sealed or not, and its blind indexes.
    public static func remove(collection: String, recordID: String, field: String, in db: Database) throws {
        for table in ["sealed_fields", "open_fields"] {
            try db.execute(
                sql: "DELETE FROM \(table) WHERE collection = ? AND record_id = ? AND field = ?",
                arguments: [collection, recordID, field])
        }
        try db.execute(
            sql: "DELETE FROM blind_indexes WHERE collection = ? AND record_id = ? AND field = ?",
            arguments: [collection, recordID, field])
    }

    /// The envelopes of `fields` (all fields when `nil`) of one record. Only the named rows are read.
    public static func sealed(collection: String, recordID: String, fields: Set<String>?, in db: Database) throws -> [Envelope] {
        let rows = try Row.fetchAll(
            db, sql: "SELECT field, envelope, key_version FROM sealed_fields WHERE collection = ? AND record_id = ?",
            arguments: [collection, recordID])
        return rows.compactMap { row in
            let field: String = row["field"]
            if let fields, !fields.contains(field) { return nil }
            let data: Data = row["envelope"]
            return Envelope(field: field, bytes: [UInt8](data), keyVersion: UInt32(truncatingIfNeeded: row["key_version"] as Int64))
        }
    }

    /// The public values of `fields` (all when `nil`) of one record.
    public static func open(collection: String, recordID: String, fields: Set<String>?, in db: Database) throws -> [String: String] {
        let rows = try Row.fetchAll(
            db, sql: "SELECT field, value FROM open_fields WHERE collection = ? AND record_id = ?",
            arguments: [collection, recordID])
        var result: [String: String] = [:]
        for row in rows {
            let field: String = row["field"]
            if let fields, !fields.contains(field) { continue }
            result[field] = row["value"]
        }
        return result
    }

    /// The names of the fields a record has, sealed or not, without reading any value.
    public static func presentFields(collection: String, recordID: String, in db: Database) throws -> Set<String> {
        Set(try String.fetchAll(
            db, sql: """
                SELECT field FROM sealed_fields WHERE collection = ? AND record_id = ?
                UNION SELECT field FROM open_fields WHERE collection = ? AND record_id = ?
                """,
            arguments: [collection, recordID, collection, recordID]))
    }

    /// Replaces a record field's blind indexes.
    public static func putIndexes(
        _ indexes: [(version: UInt32, digest: [UInt8])], collection: String, recordID: String, field: String, in db: Database
    ) throws {
        try db.execute(
            sql: "DELETE FROM blind_indexes WHERE collection = ? AND record_id = ? AND field = ?",
            arguments: [collection, recordID, field])
        for index in indexes {
            try db.execute(
                sql: "INSERT OR IGNORE INTO blind_indexes (collection, field, key_version, digest, record_id) VALUES (?, ?, ?, ?, ?)",
                arguments: [collection, field, Int64(index.version), Data(index.digest), recordID])
        }
    }

    /// Record ids whose `field` has any of these blind indexes.
    public static func search(
        collection: String, field: String, indexes: [(version: UInt32, digest: [UInt8])], in db: Database
    ) throws -> [String] {
        var found: [String] = []
        for index in indexes {
            found += try String.fetchAll(
                db, sql: "SELECT record_id FROM blind_indexes WHERE collection = ? AND field = ? AND key_version = ? AND digest = ?",
                arguments: [collection, field, Int64(index.version), Data(index.digest)])
        }
        var seen = Set<String>()
        return found.filter { seen.insert($0).inserted }
    }
}

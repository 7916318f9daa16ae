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

        public init(field: String, bytes: [UInt8], keyVersion: UInt32) {
            self.field = field
            self.bytes = bytes
            self.keyVersion = keyVersion
        }
    }

    /// Inserts or replaces a sealed field.
    ///
    /// - Parameter shredKey: the id of the shredding key the envelope is bound to, so a retention sweep or an
    ///   erasure can find the rows it makes unreadable.
    public static func putSealed(
        _ envelope: [UInt8], keyVersion: UInt32, collection: String, recordID: String, field: String,
        subjectID: String?, shredKey: [UInt8]? = nil, at millis: Int64, in db: Database
    ) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO sealed_fields (collection, record_id, field, envelope, key_version, subject_id, shred_key, sealed_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (collection, record_id, field) DO UPDATE SET
                  envelope = excluded.envelope, key_version = excluded.key_version,
                  subject_id = excluded.subject_id, shred_key = excluded.shred_key, sealed_at = excluded.sealed_at
                """).execute(
            arguments: [collection, recordID, field, Data(envelope), Int64(keyVersion), subjectID, shredKey.map { Data($0) }, millis])
        try db.cachedStatement(
            sql: "DELETE FROM open_fields WHERE collection = ? AND record_id = ? AND field = ?").execute(
            arguments: [collection, recordID, field])
    }

    /// Inserts a sealed field of a record created in the same transaction (nothing to replace or clean up).
    public static func insertSealed(
        _ envelope: [UInt8], keyVersion: UInt32, collection: String, recordID: String, field: String,
        subjectID: String?, shredKey: [UInt8]?, at millis: Int64, in db: Database
    ) throws {
        // Stepped directly: every submission inserts one row per field.
        let insert = try SteppedStatement("""
            INSERT INTO sealed_fields (collection, record_id, field, envelope, key_version, subject_id, shred_key, sealed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, in: db)
        insert.bind(1, collection)
        insert.bind(2, recordID)
        insert.bind(3, field)
        insert.bind(4, bytes: envelope)
        insert.bind(5, Int64(keyVersion))
        insert.bind(6, subjectID)
        insert.bind(7, bytes: shredKey)
        insert.bind(8, millis)
        try insert.execute()
    }

    /// Inserts blind indexes of a record created in the same transaction.
    public static func insertIndexes(
        _ indexes: [(version: UInt32, digest: [UInt8])], collection: String, recordID: String, field: String, in db: Database
    ) throws {
        guard !indexes.isEmpty else { return }
        let insert = try SteppedStatement(
            "INSERT OR IGNORE INTO blind_indexes (collection, field, key_version, digest, record_id) VALUES (?, ?, ?, ?, ?)", in: db)
        for index in indexes {
            insert.bind(1, collection)
            insert.bind(2, field)
            insert.bind(3, Int64(index.version))
            insert.bind(4, bytes: index.digest)
            insert.bind(5, recordID)
            try insert.execute()
        }
    }

    /// Inserts or replaces a public (unsealed) field.
    public static func putOpen(_ value: String, collection: String, recordID: String, field: String, in db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO open_fields (collection, record_id, field, value) VALUES (?, ?, ?, ?)
                ON CONFLICT (collection, record_id, field) DO UPDATE SET value = excluded.value
                """).execute(
            arguments: [collection, recordID, field, value])
        try db.cachedStatement(
            sql: "DELETE FROM sealed_fields WHERE collection = ? AND record_id = ? AND field = ?").execute(
            arguments: [collection, recordID, field])
    }

    /// Removes a field, sealed or not, and its blind indexes.
    public static func remove(collection: String, recordID: String, field: String, in db: Database) throws {
        for table in ["sealed_fields", "open_fields"] {
            try db.cachedStatement(
                sql: "DELETE FROM \(table) WHERE collection = ? AND record_id = ? AND field = ?").execute(
                arguments: [collection, recordID, field])
        }
        try db.cachedStatement(
            sql: "DELETE FROM blind_indexes WHERE collection = ? AND record_id = ? AND field = ?").execute(
            arguments: [collection, recordID, field])
    }

    /// The envelopes of `fields` (all fields when `nil`) of one record. Only the named rows are read.
    public static func sealed(collection: String, recordID: String, fields: Set<String>?, in db: Database) throws -> [Envelope] {
        // Stepped directly: this runs inside the writer on every audited read.
        let select = try SteppedStatement(
            "SELECT field, envelope, key_version FROM sealed_fields WHERE collection = ? AND record_id = ?", in: db)
        defer { select.finish() }
        select.bind(1, collection)
        select.bind(2, recordID)
        var result: [Envelope] = []
        while try select.step() {
            let field = select.text(0)
            if let fields, !fields.contains(field) { continue }
            result.append(Envelope(field: field, bytes: select.bytes(1), keyVersion: UInt32(truncatingIfNeeded: select.int64(2))))
        }
        return result
    }

    /// The public values of `fields` (all when `nil`) of one record.
    public static func open(collection: String, recordID: String, fields: Set<String>?, in db: Database) throws -> [String: String] {
        let select = try SteppedStatement("SELECT field, value FROM open_fields WHERE collection = ? AND record_id = ?", in: db)
        defer { select.finish() }
        select.bind(1, collection)
        select.bind(2, recordID)
        var result: [String: String] = [:]
        while try select.step() {
            let field = select.text(0)
            if let fields, !fields.contains(field) { continue }
            result[field] = select.text(1)
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

    /// Deletes every sealed field bound to one of `shredKeys` (their key is destroyed, so they can never open
    /// again) and their blind indexes. Returns how many fields were removed.
    @discardableResult
    public static func removeShredded(_ shredKeys: [[UInt8]], in db: Database) throws -> Int {
        var removed = 0
        for key in shredKeys {
            let places = try Row.fetchAll(
                db, sql: "SELECT collection, record_id, field FROM sealed_fields WHERE shred_key = ?", arguments: [Data(key)])
            for place in places {
                try remove(collection: place["collection"], recordID: place["record_id"], field: place["field"], in: db)
            }
            removed += places.count
        }
        return removed
    }

    /// Deletes every sealed field about `subjectID` and the blind indexes of those records' fields.
    @discardableResult
    public static func removeSubject(_ subjectID: String, in db: Database) throws -> Int {
        let places = try Row.fetchAll(
            db, sql: "SELECT collection, record_id, field FROM sealed_fields WHERE subject_id = ?", arguments: [subjectID])
        for place in places {
            try remove(collection: place["collection"], recordID: place["record_id"], field: place["field"], in: db)
        }
        return places.count
    }

    /// Replaces a record field's blind indexes.
    public static func putIndexes(
        _ indexes: [(version: UInt32, digest: [UInt8])], collection: String, recordID: String, field: String, in db: Database
    ) throws {
        try db.cachedStatement(
            sql: "DELETE FROM blind_indexes WHERE collection = ? AND record_id = ? AND field = ?").execute(
            arguments: [collection, recordID, field])
        for index in indexes {
            try db.cachedStatement(
                sql: "INSERT OR IGNORE INTO blind_indexes (collection, field, key_version, digest, record_id) VALUES (?, ?, ?, ?, ?)").execute(
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

// MARK: - Rewrap (key rotation)

extension FieldRows {
    /// Where a stored value lives, plus what rewrap needs to know about it.
    public struct StoredEnvelope: Sendable, Equatable {
        public let collection: String
        public let recordID: String
        public let field: String
        public let bytes: [UInt8]
        public let keyVersion: UInt32
    }

    /// A position in `(key_version, collection, record_id, field)` order, for paging through a table.
    public struct RewrapCursor: Sendable, Equatable {
        public let keyVersion: UInt32
        public let collection: String
        public let recordID: String
        public let field: String

        public init(keyVersion: UInt32, collection: String, recordID: String, field: String) {
            self.keyVersion = keyVersion
            self.collection = collection
            self.recordID = recordID
            self.field = field
        }
    }

    /// Up to `limit` sealed fields whose `key_version` is below `version`, after `cursor`, in index order
    /// (`sealed_fields_by_version`). Rows are read, never changed.
    public static func sealedBelow(version: UInt32, after cursor: RewrapCursor?, limit: Int, in db: Database) throws -> [StoredEnvelope] {
        let rows: [Row]
        if let cursor {
            rows = try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT collection, record_id, field, envelope, key_version FROM sealed_fields
                    WHERE key_version < ? AND (key_version, collection, record_id, field) > (?, ?, ?, ?)
                    ORDER BY key_version, collection, record_id, field LIMIT ?
                    """),
                arguments: [Int64(version), Int64(cursor.keyVersion), cursor.collection, cursor.recordID, cursor.field, limit])
        } else {
            rows = try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT collection, record_id, field, envelope, key_version FROM sealed_fields
                    WHERE key_version < ? ORDER BY key_version, collection, record_id, field LIMIT ?
                    """),
                arguments: [Int64(version), limit])
        }
        return rows.map { row in
            let data: Data = row[3]
            return StoredEnvelope(
                collection: row[0], recordID: row[1], field: row[2], bytes: [UInt8](data),
                keyVersion: UInt32(truncatingIfNeeded: row[4] as Int64))
        }
    }

    /// Replaces a sealed field's envelope only if the stored one is still exactly `expected` (byte comparison), so a
    /// concurrent write of a new value is never overwritten by a rewrap of the old one. `sealed_at` is kept: the value
    /// did not change.
    ///
    /// - Returns: whether the row was replaced.
    public static func replaceSealed(
        collection: String, recordID: String, field: String, expected: [UInt8], with envelope: [UInt8], keyVersion: UInt32,
        in db: Database
    ) throws -> Bool {
        try db.cachedStatement(sql: """
            UPDATE sealed_fields SET envelope = ?, key_version = ?
            WHERE collection = ? AND record_id = ? AND field = ? AND envelope = ?
            """).execute(arguments: [Data(envelope), Int64(keyVersion), collection, recordID, field, Data(expected)])
        return db.changesCount == 1
    }

    /// The current envelope of one sealed field, or `nil`.
    public static func sealedEnvelope(collection: String, recordID: String, field: String, in db: Database) throws -> [UInt8]? {
        let data = try Data.fetchOne(
            db.cachedStatement(sql: "SELECT envelope FROM sealed_fields WHERE collection = ? AND record_id = ? AND field = ?"),
            arguments: [collection, recordID, field])
        return data.map { [UInt8]($0) }
    }

    /// How many sealed fields there are under each key version.
    public static func sealedCountsByKeyVersion(in db: Database) throws -> [UInt32: Int] {
        var counts: [UInt32: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT key_version, COUNT(*) FROM sealed_fields GROUP BY key_version") {
            counts[UInt32(truncatingIfNeeded: row[0] as Int64)] = row[1]
        }
        return counts
    }

    /// One blind index row.
    public struct StoredIndex: Sendable, Equatable {
        public let collection: String
        public let recordID: String
        public let field: String
        public let keyVersion: UInt32
        public let digest: [UInt8]
    }

    /// Up to `limit` blind index rows made under an index key version below `version`, after `cursor`.
    public static func indexesBelow(version: UInt32, after cursor: RewrapCursor?, limit: Int, in db: Database) throws -> [StoredIndex] {
        let c = cursor ?? RewrapCursor(keyVersion: 0, collection: "", recordID: "", field: "")
        let rows = try Row.fetchAll(
            db.cachedStatement(sql: """
                SELECT collection, record_id, field, key_version, digest FROM blind_indexes
                WHERE key_version < ? AND (key_version, collection, record_id, field) > (?, ?, ?, ?)
                ORDER BY key_version, collection, record_id, field LIMIT ?
                """),
            arguments: [Int64(version), Int64(c.keyVersion), c.collection, c.recordID, c.field, limit])
        return rows.map { row in
            let data: Data = row[4]
            return StoredIndex(
                collection: row[0], recordID: row[1], field: row[2], keyVersion: UInt32(truncatingIfNeeded: row[3] as Int64),
                digest: [UInt8](data))
        }
    }

    /// Replaces one blind index row by its recomputation under a newer index key, only if the old row is still there.
    ///
    /// - Returns: whether it was replaced.
    public static func replaceIndex(_ old: StoredIndex, with digest: [UInt8], keyVersion: UInt32, in db: Database) throws -> Bool {
        try db.cachedStatement(sql: """
            DELETE FROM blind_indexes WHERE collection = ? AND field = ? AND key_version = ? AND digest = ? AND record_id = ?
            """).execute(arguments: [old.collection, old.field, Int64(old.keyVersion), Data(old.digest), old.recordID])
        guard db.changesCount == 1 else { return false }
        try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO blind_indexes (collection, field, key_version, digest, record_id) VALUES (?, ?, ?, ?, ?)
            """).execute(arguments: [old.collection, old.field, Int64(keyVersion), Data(digest), old.recordID])
        return true
    }

    /// How many blind index rows there are under each index key version.
    public static func indexCountsByKeyVersion(in db: Database) throws -> [UInt32: Int] {
        var counts: [UInt32: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT key_version, COUNT(*) FROM blind_indexes GROUP BY key_version") {
            counts[UInt32(truncatingIfNeeded: row[0] as Int64)] = row[1]
        }
        return counts
    }
}

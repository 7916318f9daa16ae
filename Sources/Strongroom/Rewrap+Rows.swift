import GRDB
internal import GRDBSQLite
import Storage

extension Rewrap {
    /// One sealed field under an older `records` version, as a rewrap batch reads it.
    struct SealedRow: Sendable {
        let collection: String
        let recordID: String
        let field: String
        let envelope: [UInt8]
        let keyVersion: UInt32

        var cursor: FieldRows.RewrapCursor {
            FieldRows.RewrapCursor(keyVersion: keyVersion, collection: collection, recordID: recordID, field: field)
        }
    }

    /// A re-sealed field, ready to replace the envelope it was opened from.
    struct Replacement: Sendable {
        let row: SealedRow
        let envelope: [UInt8]
        let version: UInt32
    }

    /// Rewrap's own row access, stepped and bound straight through SQLite: with a few hundred thousand rows per run,
    /// GRDB's row copies and boxed arguments cost more than the queries. Same statements and guarantees as
    /// `FieldRows.sealedBelow` and `FieldRows.replaceSealed`.
    enum Rows {
        /// Up to `limit` sealed fields under a `records` version below `version`, after `cursor`, in
        /// `sealed_fields_by_version` order. Reads only.
        static func sealed(below version: UInt32, after cursor: FieldRows.RewrapCursor?, limit: Int, in db: Database) throws -> [SealedRow] {
            let statement = try db.cachedStatement(sql: """
                SELECT collection, record_id, field, envelope, key_version FROM sealed_fields
                WHERE key_version < ?1 AND (key_version, collection, record_id, field) > (?2, ?3, ?4, ?5)
                ORDER BY key_version, collection, record_id, field LIMIT ?6
                """)
            let raw = statement.sqliteStatement
            sqlite3_reset(raw)
            defer {
                sqlite3_reset(raw)
                sqlite3_clear_bindings(raw)
            }
            let start = cursor ?? FieldRows.RewrapCursor(keyVersion: 0, collection: "", recordID: "", field: "")
            sqlite3_bind_int64(raw, 1, Int64(version))
            sqlite3_bind_int64(raw, 2, Int64(start.keyVersion))
            bindText(raw, 3, start.collection)
            bindText(raw, 4, start.recordID)
            bindText(raw, 5, start.field)
            sqlite3_bind_int64(raw, 6, Int64(limit))
            var rows: [SealedRow] = []
            rows.reserveCapacity(limit)
            while true {
                switch sqlite3_step(raw) {
                case SQLITE_ROW:
                    rows.append(SealedRow(
                        collection: text(raw, 0), recordID: text(raw, 1), field: text(raw, 2), envelope: blob(raw, 3),
                        keyVersion: UInt32(truncatingIfNeeded: sqlite3_column_int64(raw, 4))))
                case SQLITE_DONE:
                    return rows
                case let code:
                    throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage, sql: statement.sql)
                }
            }
        }

        /// Replaces each field's envelope only if the stored one is still, byte for byte, the one that was opened, so a
        /// concurrent write of a new value always wins. `sealed_at` is kept: the value did not change.
        ///
        /// - Returns: how many were replaced.
        static func replace(_ replacements: [Replacement], in db: Database) throws -> Int {
            let statement = try db.cachedStatement(sql: """
                UPDATE sealed_fields SET envelope = ?1, key_version = ?2
                WHERE collection = ?3 AND record_id = ?4 AND field = ?5 AND envelope = ?6
                """)
            let raw = statement.sqliteStatement
            let connection = db.sqliteConnection
            var replaced = 0
            for item in replacements {
                sqlite3_reset(raw)
                sqlite3_bind_int64(raw, 2, Int64(item.version))
                bindText(raw, 3, item.row.collection)
                bindText(raw, 4, item.row.recordID)
                bindText(raw, 5, item.row.field)
                let code = item.envelope.withUnsafeBytes { new in
                    item.row.envelope.withUnsafeBytes { old in
                        sqlite3_bind_blob(raw, 1, new.baseAddress, Int32(new.count), nil)
                        sqlite3_bind_blob(raw, 6, old.baseAddress, Int32(old.count), nil)
                        // The blobs are bound without a copy: step while they are in scope.
                        return sqlite3_step(raw)
                    }
                }
                guard code == SQLITE_DONE else {
                    sqlite3_reset(raw)
                    sqlite3_clear_bindings(raw)
                    throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage, sql: statement.sql)
                }
                replaced += Int(sqlite3_changes(connection))
            }
            sqlite3_reset(raw)
            sqlite3_clear_bindings(raw)
            return replaced
        }

        private static func bindText(_ raw: OpaquePointer, _ index: Int32, _ value: String) {
            var value = value
            value.withUTF8 { bytes in
                guard !bytes.isEmpty else {
                    sqlite3_bind_text(raw, index, "", 0, SQLITE_TRANSIENT)
                    return
                }
                _ = bytes.withMemoryRebound(to: CChar.self) { chars in
                    sqlite3_bind_text(raw, index, chars.baseAddress, Int32(chars.count), SQLITE_TRANSIENT)
                }
            }
        }

        private static func text(_ raw: OpaquePointer, _ column: Int32) -> String {
            guard let pointer = sqlite3_column_text(raw, column) else { return "" }
            return String(decoding: UnsafeBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(raw, column))), as: UTF8.self)
        }

        private static func blob(_ raw: OpaquePointer, _ column: Int32) -> [UInt8] {
            guard let pointer = sqlite3_column_blob(raw, column) else { return [] }
            return [UInt8](UnsafeRawBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(raw, column))))
        }
    }
}

/// SQLite's "copy the value now" destructor, which the C macro spells as -1.
private let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

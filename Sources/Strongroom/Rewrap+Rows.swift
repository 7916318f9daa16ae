import GRDB
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
            let select = try SteppedStatement("""
                SELECT collection, record_id, field, envelope, key_version FROM sealed_fields
                WHERE key_version < ?1 AND (key_version, collection, record_id, field) > (?2, ?3, ?4, ?5)
                ORDER BY key_version, collection, record_id, field LIMIT ?6
                """, in: db)
            defer { select.finish() }
            let start = cursor ?? FieldRows.RewrapCursor(keyVersion: 0, collection: "", recordID: "", field: "")
            select.bind(1, Int64(version))
            select.bind(2, Int64(start.keyVersion))
            select.bind(3, start.collection)
            select.bind(4, start.recordID)
            select.bind(5, start.field)
            select.bind(6, Int64(limit))
            var rows: [SealedRow] = []
            rows.reserveCapacity(limit)
            while try select.step() {
                rows.append(SealedRow(
                    collection: select.text(0), recordID: select.text(1), field: select.text(2), envelope: select.bytes(3),
                    keyVersion: UInt32(truncatingIfNeeded: select.int64(4))))
            }
            return rows
        }

        /// Replaces each field's envelope only if the stored one is still, byte for byte, the one that was opened, so a
        /// concurrent write of a new value always wins. `sealed_at` is kept: the value did not change.
        ///
        /// - Returns: how many were replaced.
        static func replace(_ replacements: [Replacement], in db: Database) throws -> Int {
            let update = try SteppedStatement("""
                UPDATE sealed_fields SET envelope = ?1, key_version = ?2
                WHERE collection = ?3 AND record_id = ?4 AND field = ?5 AND envelope = ?6
                """, in: db)
            defer { update.finish() }
            var replaced = 0
            for item in replacements {
                update.bind(1, bytes: item.envelope)
                update.bind(2, Int64(item.version))
                update.bind(3, item.row.collection)
                update.bind(4, item.row.recordID)
                update.bind(5, item.row.field)
                update.bind(6, bytes: item.row.envelope)
                _ = try update.step()
                replaced += update.changes
                update.finish()
            }
            return replaced
        }
    }
}

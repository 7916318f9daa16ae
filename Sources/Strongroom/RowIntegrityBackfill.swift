import GRDB
import Keyring
import Sealing
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Computes the MACs of rows written before row MACs existed, once, on the first start after the upgrade.
///
/// Trust on first use: the rows are authenticated as they are at that moment. Afterwards the marker in the key
/// directory says that every row has its MAC, and a row without one is refused like a forged row, never MAC'd
/// again. A new installation writes the marker at once.
enum RowIntegrityBackfill {
    /// Runs the backfill unless the marker exists; returns how many rows it authenticated.
    @discardableResult
    static func runIfNeeded(keys: KeyDirectory, database: StrongroomDatabase, integrity: RowIntegrity) throws -> Int {
        guard !keys.hasRowIntegrityMarker else { return 0 }
        let count = try database.write { db -> Int in
            var count = 0
            for var row in try AccountRow.fetchAll(db, sql: "SELECT * FROM accounts WHERE row_mac IS NULL") {
                try integrity.authenticate(&row)
                try row.update(db)
                count += 1
            }
            for var row in try RequestRow.fetchAll(db, sql: "SELECT * FROM requests WHERE row_mac IS NULL") {
                try integrity.authenticate(&row)
                try row.update(db)
                count += 1
            }
            for var row in try MessageRow.fetchAll(db, sql: "SELECT * FROM messages WHERE row_mac IS NULL") {
                try integrity.authenticate(&row)
                try row.updateMAC(db)
                count += 1
            }
            for var row in try PaymentRow.fetchAll(db, sql: "SELECT * FROM payments WHERE row_mac IS NULL") {
                try integrity.authenticate(&row)
                try row.update(db)
                count += 1
            }
            for var row in try ErasureRequestRow.fetchAll(db, sql: "SELECT * FROM erasure_requests WHERE row_mac IS NULL") {
                try integrity.authenticate(&row)
                try row.updateMAC(db)
                count += 1
            }
            // Sessions made before keyed token hashes cannot be used any more; nothing to authenticate.
            try db.execute(sql: "DELETE FROM sessions WHERE row_mac IS NULL")
            return count
        }
        try keys.writeRowIntegrityMarker(
            "strongroom row integrity v1: every row of the records database carries its MAC since \(Date().formatted(.iso8601)) (\(count) rows authenticated at upgrade)\n")
        return count
    }
}

import GRDB
import Keyring
import Sealing
import Sodium
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Per-citizen shredding keys, kept in the key directory (`Keys/subjects.sqlite`), never in the records database.
///
/// Every personal field about a data subject is sealed under a key derived from the data key *and* one of that
/// subject's shredding keys (see ``FieldSealer``). Destroying the shredding key makes those fields unreadable
/// everywhere — in the live database and in every earlier copy or backup of it.
///
/// A subject has one key for data kept as long as the person has an account (`subject` scope: profile, login)
/// and one key per retention month (`until:YYYY-MM` scope) for request fields whose retention ends that month,
/// so a retention sweep can shred expired requests without touching the rest.
///
/// Shredding keys are wrapped by the `subjects` key of the key ring (itself wrapped by the root key), so root
/// rotation rewraps one key, not millions.
public final class SubjectKeyStore: SubjectKeyProvider, Sendable {
    /// The file name inside the key directory.
    public static let fileName = "subjects.sqlite"
    /// The key ring id of the key that wraps shredding keys.
    public static let wrappingKeyID = KeyID(rawValue: "subjects")

    private let queue: DatabaseQueue
    private let keyring: Keyring
    private let cache = Mutex<Cache>(Cache())

    private struct Cache {
        var keys: [CachedID: SecretBytes] = [:]
        var ids: [String: [UInt8]] = [:]
    }

    /// A 16-byte key id as two words: hashed in two steps rather than sixteen, on every seal and open.
    private struct CachedID: Hashable {
        let high: UInt64
        let low: UInt64

        init?(_ id: [UInt8]) {
            guard id.count == 16 else { return nil }
            high = id[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
            low = id[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
        }
    }

    /// Opens (creating if needed, mode 0600) the store in `directory`, and adds the `subjects` wrapping key to the
    /// key ring when it has none yet.
    public convenience init(directory: KeyDirectory, keyring: Keyring) throws {
        try self.init(directory: directory, keyring: keyring, addWrappingKey: true)
    }

    /// Opens the store in `directory` if there is one, changing nothing in the key ring (for key operations and
    /// status from the command line). Returns `nil` when the key directory has no subject key store.
    public static func existing(in directory: KeyDirectory, keyring: Keyring) throws -> SubjectKeyStore? {
        guard FileManager.default.fileExists(atPath: directory.file(fileName)) else { return nil }
        return try SubjectKeyStore(directory: directory, keyring: keyring, addWrappingKey: false)
    }

    private init(directory: KeyDirectory, keyring: Keyring, addWrappingKey: Bool) throws {
        let path = directory.file(Self.fileName)
        let existed = FileManager.default.fileExists(atPath: path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // A rollback journal, not WAL: after a deletion commits no older copy of a key page stays in a
            // log file waiting for a checkpoint.
            try db.execute(sql: "PRAGMA journal_mode = DELETE")
            // Deleted key rows are overwritten, not just unlinked from the b-tree.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        queue = try DatabaseQueue(path: path, configuration: configuration)
        if !existed { chmod(path, 0o600) }
        self.keyring = keyring
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS shredding_keys (
                    id BLOB PRIMARY KEY NOT NULL,
                    subject_id TEXT NOT NULL,
                    scope TEXT NOT NULL,
                    wrapping_version INTEGER NOT NULL,
                    nonce BLOB NOT NULL,
                    wrapped BLOB NOT NULL,
                    created_at INTEGER NOT NULL,
                    UNIQUE (subject_id, scope)
                );
                CREATE INDEX IF NOT EXISTS shredding_keys_by_scope ON shredding_keys(scope);
                """)
        }
        if addWrappingKey && keyring.status().first(where: { $0.id == Self.wrappingKeyID }) == nil {
            try keyring.rotate(Self.wrappingKeyID)
        }
    }

    /// The id of the subject's key for `scope`, creating the key on first use (durably, before any field is sealed
    /// under it).
    public func keyID(subject: String, scope: String) throws -> [UInt8] {
        let cacheKey = subject + "\u{0}" + scope
        if let id = cache.withLock({ $0.ids[cacheKey] }) { return id }
        let id: [UInt8] = try queue.write { db in
            if let existing = try Data.fetchOne(
                db, sql: "SELECT id FROM shredding_keys WHERE subject_id = ? AND scope = ?", arguments: [subject, scope]) {
                return [UInt8](existing)
            }
            let id = SecureRandom.bytes(count: 16)
            let key = try SecretBytes(randomCount: 32)
            // Under this store's write lock, and after a look at the key ring on disk: a retirement of old wrapping
            // versions (which holds the same lock while it checks) is either seen here or sees this key.
            keyring.refreshIfChanged()
            let wrapping = try keyring.currentKey(Self.wrappingKeyID)
            let nonce = XChaCha20Poly1305.randomNonce()
            let wrapped = try XChaCha20Poly1305.wrap(key, key: wrapping.key, nonce: nonce, associatedData: Self.context(id))
            try db.execute(
                sql: """
                    INSERT INTO shredding_keys (id, subject_id, scope, wrapping_version, nonce, wrapped, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [Data(id), subject, scope, Int64(wrapping.version), Data(nonce), Data(wrapped), Date().millis])
            return id
        }
        cache.withLock { $0.ids[cacheKey] = id }
        return id
    }

    /// Creates the `scope` key of each subject that has none yet, in one transaction (bulk imports; benchmarks).
    ///
    /// - Returns: how many keys were created.
    @discardableResult
    public func createKeys(subjects: [String], scope: String) throws -> Int {
        keyring.refreshIfChanged()
        return try queue.write { db -> Int in
            let wrapping = try keyring.currentKey(Self.wrappingKeyID)
            let insert = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO shredding_keys (id, subject_id, scope, wrapping_version, nonce, wrapped, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            let now = Date().millis
            var created = 0
            for subject in subjects {
                let id = SecureRandom.bytes(count: 16)
                let key = try SecretBytes(randomCount: 32)
                let nonce = XChaCha20Poly1305.randomNonce()
                let wrapped = try XChaCha20Poly1305.wrap(key, key: wrapping.key, nonce: nonce, associatedData: Self.context(id))
                try insert.execute(arguments: [Data(id), subject, scope, Int64(wrapping.version), Data(nonce), Data(wrapped), now])
                created += db.changesCount
            }
            return created
        }
    }

    /// Secure memory the cached unwrapped subject keys may take.
    static let cachedKeyBudgetBytes = 32 << 20

    /// The key with this id (for opening). Throws once it has been destroyed.
    public func subjectKey(id: [UInt8]) throws -> SecretBytes {
        let cachedID = CachedID(id)
        if let cachedID, let key = cache.withLock({ $0.keys[cachedID] }) { return key }
        guard let row = try queue.read({ db in
            try Row.fetchOne(db, sql: "SELECT wrapping_version, nonce, wrapped FROM shredding_keys WHERE id = ?", arguments: [Data(id)])
        }) else {
            throw StrongroomError(.notFound, code: "shredded", message: "this data was erased: its key has been destroyed")
        }
        let version = UInt32(truncatingIfNeeded: row["wrapping_version"] as Int64)
        let wrapping = try keyring.key(Self.wrappingKeyID, version: version)
        let key = try XChaCha20Poly1305.unwrap(
            [UInt8](row["wrapped"] as Data), key: wrapping, nonce: [UInt8](row["nonce"] as Data), associatedData: Self.context(id))
        if let cachedID {
            cache.withLock { cache in
                // Bounded by secure memory (32-byte slots): 32 MiB, about a million subject keys.
                if cache.keys.count >= Self.cachedKeyBudgetBytes / 32 { cache.keys.removeAll(keepingCapacity: true) }
                cache.keys[cachedID] = key
            }
        }
        return key
    }

    /// Destroys every key of `subject` (erasure). Returns how many were destroyed.
    @discardableResult
    public func destroyAll(subject: String) throws -> [[UInt8]] {
        try destroy(where: "subject_id = ?", arguments: [subject])
    }

    /// Destroys every `until:` key whose month ended before `month` (`YYYY-MM`). Returns their ids.
    public func destroyExpired(before month: String) throws -> [(id: [UInt8], subject: String, scope: String)] {
        let rows = try queue.read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, subject_id, scope FROM shredding_keys WHERE scope LIKE 'until:%' AND scope < ?",
                arguments: ["until:" + month])
        }
        let expired = rows.map { ([UInt8]($0["id"] as Data), $0["subject_id"] as String, $0["scope"] as String) }
        for item in expired { _ = try destroy(where: "id = ?", arguments: [Data(item.0)]) }
        return expired.map { (id: $0.0, subject: $0.1, scope: $0.2) }
    }

    /// Rewraps every shredding key still wrapped by an older version of the `subjects` key with the current version
    /// (after `keys rotate --data subjects`). The shredding keys themselves do not change, so nothing sealed under them
    /// is touched. Each row is replaced only if it still has the version it was read with. Returns how many were
    /// rewrapped.
    @discardableResult
    public func rewrapToCurrentVersion() throws -> Int {
        keyring.refreshIfChanged()
        let current = try keyring.currentKey(Self.wrappingKeyID)
        return try queue.write { db -> Int in
            let rows = try Row.fetchAll(
                db, sql: "SELECT id, wrapping_version, nonce, wrapped FROM shredding_keys WHERE wrapping_version < ?",
                arguments: [Int64(current.version)])
            var rewrapped = 0
            for row in rows {
                let id = [UInt8](row["id"] as Data)
                let version = UInt32(truncatingIfNeeded: row["wrapping_version"] as Int64)
                let old = try keyring.key(Self.wrappingKeyID, version: version)
                let key = try XChaCha20Poly1305.unwrap(
                    [UInt8](row["wrapped"] as Data), key: old, nonce: [UInt8](row["nonce"] as Data), associatedData: Self.context(id))
                let nonce = XChaCha20Poly1305.randomNonce()
                let wrapped = try XChaCha20Poly1305.wrap(key, key: current.key, nonce: nonce, associatedData: Self.context(id))
                try db.execute(
                    sql: "UPDATE shredding_keys SET wrapping_version = ?, nonce = ?, wrapped = ? WHERE id = ? AND wrapping_version = ?",
                    arguments: [Int64(current.version), Data(nonce), Data(wrapped), Data(id), Int64(version)])
                rewrapped += db.changesCount
            }
            return rewrapped
        }
    }

    /// Retires the `subjects` key versions below `version` (see ``Keyring/retire(_:below:)``) — only when no shredding
    /// key is wrapped by one of them any more. The count and the retirement run under this store's write lock, so no
    /// shredding key can be wrapped by an old version in between.
    ///
    /// - Throws: `fields_remain` (conflict), naming how many shredding keys each older version still wraps and what to
    ///   run; nothing is changed then.
    /// - Returns: the previous minimum version.
    func retireWrappingVersions(below version: UInt32) throws -> UInt32 {
        try queue.write { db -> UInt32 in
            let left = try Row.fetchAll(
                db, sql: "SELECT wrapping_version, COUNT(*) FROM shredding_keys WHERE wrapping_version < ? GROUP BY wrapping_version",
                arguments: [Int64(version)]
            ).map { (UInt32(truncatingIfNeeded: $0[0] as Int64), $0[1] as Int) }
            guard left.isEmpty else {
                let list = left.sorted { $0.0 < $1.0 }.map { "v\($0.0): \($0.1)" }.joined(separator: ", ")
                throw StrongroomError.conflict(
                    "shredding_keys_remain",
                    "shredding keys are still wrapped by \(Self.wrappingKeyID) versions below \(version) (\(list)); run `strongroom keys rewrap` first, then retire again. Nothing was changed")
            }
            return try keyring.retire(Self.wrappingKeyID, below: version)
        }
    }

    /// How many shredding keys are wrapped by each version of the `subjects` key.
    public func countsByWrappingVersion() throws -> [UInt32: Int] {
        try queue.read { db in
            var counts: [UInt32: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT wrapping_version, COUNT(*) FROM shredding_keys GROUP BY wrapping_version") {
                counts[UInt32(truncatingIfNeeded: row[0] as Int64)] = row[1]
            }
            return counts
        }
    }

    /// How many keys exist (for status and benchmarks).
    public func count() throws -> Int { try queue.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM shredding_keys") ?? 0 } }

    private func destroy(where condition: String, arguments: StatementArguments) throws -> [[UInt8]] {
        let ids = try queue.write { db -> [[UInt8]] in
            let ids = try Data.fetchAll(db, sql: "SELECT id FROM shredding_keys WHERE \(condition)", arguments: arguments).map { [UInt8]($0) }
            try db.execute(sql: "DELETE FROM shredding_keys WHERE \(condition)", arguments: arguments)
            return ids
        }
        cache.withLock { cache in
            for id in ids { if let cachedID = CachedID(id) { cache.keys[cachedID] = nil } }
            cache.ids = cache.ids.filter { !ids.contains($0.value) }
        }
        return ids
    }

    static func context(_ id: [UInt8]) -> [UInt8] { Array("strongroom.shredding-key.v1".utf8) + id }

    /// The retention scope for a deadline: keys are grouped by the month in which their data expires.
    public static func retentionScope(until date: Date) -> String {
        "until:" + UTCDateParts(date).monthString
    }
}

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

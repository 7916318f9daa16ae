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
///
/// Erasure is final in every process: each destruction bumps the store's `generation` in the transaction that deletes
/// the keys, and every process that has the store open compares it with the one its caches were read under at most
/// every ``generationCheckInterval`` (one small read), clearing them when it changed. A key read is cached only if no
/// destruction was seen while it was read. An erased subject has a tombstone: no key is ever made for them again.
public final class SubjectKeyStore: SubjectKeyProvider, Sendable {
    /// The file name inside the key directory.
    public static let fileName = "subjects.sqlite"
    /// The key ring id of the key that wraps shredding keys.
    public static let wrappingKeyID = KeyID(rawValue: "subjects")

    private let queue: DatabaseQueue
    private let keyring: Keyring
    private let cache = Mutex<Cache>(Cache())
    /// ``Cache/epoch``, readable without the lock (``cacheEpoch``).
    private let epoch = Atomic<UInt64>(0)
    /// Test hook, run after a key row was read and before it is cached (to widen the race with a destruction).
    let afterKeyRead = Mutex<(@Sendable () -> Void)?>(nil)

    /// How long a process may use its cached keys without looking at the store's generation: a destruction by another
    /// process (the CLI's `subjects erase`, a second server) takes effect here within this time.
    public static let generationCheckInterval = Duration.milliseconds(500)
    private static let generationCheckNanoseconds: Int64 = 500_000_000

    /// A monotonic time for the check above, read on every key lookup: the coarse clock on Linux (a few nanoseconds,
    /// millisecond resolution, plenty for half a second).
    private static func monotonicNanoseconds() -> Int64 {
        #if os(Linux)
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
        #else
        let elapsed = ContinuousClock.now - clockOrigin
        return elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        #endif
    }
    #if !os(Linux)
    private static let clockOrigin = ContinuousClock.now
    #endif

    private struct Cache {
        var keys: [CachedID: SecretBytes] = [:]
        var ids: [String: [UInt8]] = [:]
        /// The store generation these entries were read under.
        var generation: Int64 = 0
        /// When the generation was last compared with the store's, in ``monotonicNanoseconds()`` (`nil`: compare
        /// at the next use).
        var checkedAt: Int64?
        /// Counts clearings in this process, so caches of keys derived from these can follow.
        var epoch: UInt64 = 0

        mutating func clear(adopting generation: Int64) {
            keys.removeAll()
            ids.removeAll()
            self.generation = generation
            epoch &+= 1
        }
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
        // The wrapped subject keys are key material: refused like any key file that others can read or that
        // belongs to someone else (and its rollback journal, when one was left by a crash).
        if existed { try SecureFile.checkOwnerOnly(path) }
        if FileManager.default.fileExists(atPath: path + "-journal") { try SecureFile.checkOwnerOnly(path + "-journal") }
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
        try SubjectKeyStoreSchema.migrator.migrate(queue)
        let generation = try queue.read { try SubjectKeyStoreSchema.generation(in: $0) }
        cache.withLock { $0.generation = generation }
        if addWrappingKey && keyring.status().first(where: { $0.id == Self.wrappingKeyID }) == nil {
            try keyring.rotate(Self.wrappingKeyID)
        }
    }

    /// The id of the subject's key for `scope`, creating the key on first use (durably, before any field is sealed
    /// under it).
    ///
    /// - Throws: `subject_erased` (conflict) when the subject was erased: nothing new is recorded about them.
    public func keyID(subject: String, scope: String) throws -> [UInt8] {
        let cacheKey = subject + "\u{0}" + scope
        let (cached, epoch) = try cached { $0.ids[cacheKey] }
        if let cached { return cached }
        let id: [UInt8] = try queue.write { db in
            if try Self.isTombstoned(subject, in: db) { throw StrongroomError.subjectErased }
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
        cache.withLock { cache in
            if cache.epoch == epoch { cache.ids[cacheKey] = id }
        }
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
            let tombstoned = try db.cachedStatement(sql: "SELECT 1 FROM tombstones WHERE subject_id = ?")
            for subject in subjects {
                // An erased subject gets no key, here as in ``keyID(subject:scope:)``.
                guard try Int.fetchOne(tombstoned, arguments: [subject]) == nil else { continue }
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
        let (cached, epoch) = try cached { cache in cachedID.flatMap { cache.keys[$0] } }
        if let cached { return cached }
        guard let row = try queue.read({ db in
            try Row.fetchOne(db, sql: "SELECT wrapping_version, nonce, wrapped FROM shredding_keys WHERE id = ?", arguments: [Data(id)])
        }) else {
            throw StrongroomError(.notFound, code: "shredded", message: "this data was erased: its key has been destroyed")
        }
        let version = UInt32(truncatingIfNeeded: row["wrapping_version"] as Int64)
        let wrapping = try keyring.key(Self.wrappingKeyID, version: version)
        let key = try XChaCha20Poly1305.unwrap(
            [UInt8](row["wrapped"] as Data), key: wrapping, nonce: [UInt8](row["nonce"] as Data), associatedData: Self.context(id))
        afterKeyRead.withLock { $0 }?()
        if let cachedID {
            cache.withLock { cache in
                // Only if no destruction was seen since before the read: a key destroyed meanwhile (here or, by its
                // generation, in another process) is not cached again.
                guard cache.epoch == epoch else { return }
                // Bounded by secure memory (32-byte slots): 32 MiB, about a million subject keys.
                if cache.keys.count >= Self.cachedKeyBudgetBytes / 32 { cache.keys.removeAll(keepingCapacity: true) }
                cache.keys[cachedID] = key
            }
        }
        return key
    }

    /// Changes whenever this process cleared its key caches (a destruction here, or a new generation of the store).
    public var cacheEpoch: UInt64 { epoch.load(ordering: .acquiring) }

    /// Reads the caches, first following the store's generation when it was last looked at more than
    /// ``generationCheckInterval`` ago. Returns what `read` found and the epoch it belongs to.
    private func cached<T: Sendable>(_ read: (borrowing Cache) -> T?) throws -> (value: T?, epoch: UInt64) {
        let now = Self.monotonicNanoseconds()
        let (value, epoch, due) = cache.withLock { cache -> (T?, UInt64, Bool) in
            if let checked = cache.checkedAt, now - checked < Self.generationCheckNanoseconds { return (read(cache), cache.epoch, false) }
            cache.checkedAt = now
            return (nil, cache.epoch, true)
        }
        guard due else { return (value, epoch) }
        try followGeneration()
        return cache.withLock { cache in (read(cache), cache.epoch) }
    }

    /// Compares the store's generation with the one the caches were read under and clears them when it changed
    /// (any change: a restored older store counts too).
    private func followGeneration() throws {
        let stored: Int64
        do {
            stored = try queue.read { try SubjectKeyStoreSchema.generation(in: $0) }
        } catch {
            cache.withLock { $0.checkedAt = nil }  // look again at the next use; never serve on an unknown generation for long
            throw error
        }
        cache.withLock { cache in
            guard cache.generation != stored else { return }
            cache.clear(adopting: stored)
            epoch.store(cache.epoch, ordering: .releasing)
        }
    }

    /// The store's generation as stored now (for status and tests).
    public func generation() throws -> Int64 { try queue.read { try SubjectKeyStoreSchema.generation(in: $0) } }

    /// When `subject` was erased, or `nil` if they were not.
    public func erasedAt(subject: String) throws -> Date? {
        try queue.read { db in
            try Int64.fetchOne(db, sql: "SELECT erased_at FROM tombstones WHERE subject_id = ?", arguments: [subject]).map(Date.init(millis:))
        }
    }

    private static func isTombstoned(_ subject: String, in db: Database) throws -> Bool {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM tombstones WHERE subject_id = ?"), arguments: [subject]) != nil
    }

    /// What ``destroyAll(subject:)`` did.
    public struct Erasure: Sendable, Equatable {
        /// The ids of the keys destroyed now (none when a previous run destroyed them).
        public let destroyed: [[UInt8]]
        /// When the subject's tombstone was written (by this run or an earlier one).
        public let erasedAt: Date
        /// Whether an earlier run had already written the tombstone (this one completes it).
        public let wasErased: Bool
    }

    /// Erases `subject` in one transaction: deletes every key of theirs, writes their tombstone (no key is made for
    /// them again) and bumps the store's generation, so every process drops its cached copies within
    /// ``generationCheckInterval``. Running it again is harmless.
    @discardableResult
    public func destroyAll(subject: String) throws -> Erasure {
        var wasErased = false
        var erasedAt: Int64 = 0
        let ids = try destroy(where: "subject_id = ?", arguments: [subject], also: { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO tombstones (subject_id, erased_at) VALUES (?, ?)", arguments: [subject, Date().millis])
            wasErased = db.changesCount == 0
            erasedAt = try Int64.fetchOne(db, sql: "SELECT erased_at FROM tombstones WHERE subject_id = ?", arguments: [subject]) ?? 0
        })
        return Erasure(destroyed: ids, erasedAt: Date(millis: erasedAt), wasErased: wasErased)
    }

    /// Destroys every `until:` key whose month ended before `month` (`YYYY-MM`), in one transaction that also bumps
    /// the store's generation when it destroyed any. Returns their ids.
    public func destroyExpired(before month: String) throws -> [(id: [UInt8], subject: String, scope: String)] {
        var expired: [(id: [UInt8], subject: String, scope: String)] = []
        _ = try destroy(where: "scope LIKE 'until:%' AND scope < ?", arguments: ["until:" + month], read: { rows in
            expired = rows.map { (id: [UInt8]($0["id"] as Data), subject: $0["subject_id"] as String, scope: $0["scope"] as String) }
        })
        return expired
    }

    /// The ids of destroyed keys whose sealed fields the records database may still hold: every destruction records
    /// them, and ``markSwept(_:)`` forgets them once the fields are removed.
    public func unsweptKeys() throws -> [[UInt8]] {
        try queue.read { db in try Data.fetchAll(db, sql: "SELECT id FROM unswept_keys ORDER BY destroyed_at, id").map { [UInt8]($0) } }
    }

    /// Forgets destroyed key ids whose fields the records database no longer holds.
    public func markSwept(_ ids: [[UInt8]]) throws {
        guard !ids.isEmpty else { return }
        try queue.write { db in
            let delete = try db.cachedStatement(sql: "DELETE FROM unswept_keys WHERE id = ?")
            for id in ids { try delete.execute(arguments: [Data(id)]) }
        }
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

    /// Deletes the keys matching `condition`, runs `also` and bumps the generation, in one transaction; then clears
    /// this process's caches under the new generation (so a read that raced with it caches nothing, see
    /// ``subjectKey(id:)``). Erasure and retention are rare: clearing every cached key is simpler than picking.
    private func destroy(
        where condition: String, arguments: StatementArguments, also: (Database) throws -> Void = { _ in },
        read: ([Row]) -> Void = { _ in }
    ) throws -> [[UInt8]] {
        let (ids, generation) = try queue.write { db -> ([[UInt8]], Int64?) in
            let rows = try Row.fetchAll(db, sql: "SELECT id, subject_id, scope FROM shredding_keys WHERE \(condition)", arguments: arguments)
            read(rows)
            let ids = rows.map { [UInt8]($0["id"] as Data) }
            try db.execute(sql: "DELETE FROM shredding_keys WHERE \(condition)", arguments: arguments)
            let journal = try db.cachedStatement(sql: "INSERT OR IGNORE INTO unswept_keys (id, destroyed_at) VALUES (?, ?)")
            let now = Date().millis
            for id in ids { try journal.execute(arguments: [Data(id), now]) }
            let before = db.totalChangesCount
            try also(db)
            let changed = !ids.isEmpty || db.totalChangesCount != before
            return (ids, changed ? try SubjectKeyStoreSchema.bumpGeneration(in: db) : nil)
        }
        if let generation {
            cache.withLock { cache in
                cache.clear(adopting: generation)
                epoch.store(cache.epoch, ordering: .releasing)
            }
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

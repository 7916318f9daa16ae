import GRDB

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The records database: SQLite in WAL mode with `synchronous=FULL`, so an acknowledged commit survives power loss.
///
/// One writer at a time (SQLite's rule, and the audit chain's); readers run concurrently from the pool.
public final class StrongroomDatabase: Sendable {
    /// The file name inside the data directory.
    public static let fileName = "strongroom.sqlite"

    /// The GRDB pool. Layers above use ``write(_:)`` and ``read(_:)``.
    public let pool: DatabasePool
    /// The database file's path.
    public let path: String

    /// Opens (creating if needed) the database in `dataDirectory` and runs pending migrations.
    ///
    /// - Throws: ``StorageError`` when the directory is missing or unwritable, or a migration fails.
    public init(dataDirectory: String, migrations: StorageMigrations = .standard) throws {
        let path = dataDirectory.hasSuffix("/") ? dataDirectory + Self.fileName : dataDirectory + "/" + Self.fileName
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        configuration.maximumReaderCount = 8
        configuration.prepareDatabase { db in
            // FULL: fsync the WAL on every commit, so an acknowledged write is durable.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA secure_delete = ON")
            // Keep hot pages in memory instead of a read() per page miss: the profile of the submission benchmark was
            // dominated by page copies in the kernel. The writer gets 32 MiB; each of up to eight pooled readers 8 MiB,
            // which bounds the caches at 96 MiB (reads of a request touch a few pages; measured: no slower).
            try db.execute(sql: "PRAGMA cache_size = \(db.configuration.readonly ? -8192 : -32768)")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // GRDB sets the pool's writer to synchronous=NORMAL when it turns WAL mode on, which happens after
            // `prepareDatabase`: with NORMAL a commit is not fsynced, so a power failure could lose acknowledged
            // writes (a kill -9 cannot show it — the OS still has the pages). FULL again, on the one writer.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        } catch {
            throw StorageError.cannotOpen(path, cause: error)
        }
        self.path = path
        do {
            try migrations.migrator.migrate(pool)
        } catch {
            throw StorageError.migrationFailed(cause: error)
        }
    }

    /// Runs `body` in one write transaction (IMMEDIATE); everything it writes commits together or not at all.
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.write(body)
    }

    /// Async variant of ``write(_:)``.
    public func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.write(body)
    }

    /// Runs `body` on a read-only snapshot, blocking the calling thread until a reader is free (command-line tools,
    /// benchmarks, tests).
    ///
    /// Never from async code: a task blocked here holds a thread of the cooperative pool while the readers it waits
    /// for may be held by async reads that need such a thread to finish — with every pool thread blocked, nothing
    /// moves (seen as a server that stops answering under load). Async code uses the async ``read(_:)``. The name
    /// says so because the two once shared one: a closure returning a non-`Sendable` value silently chose this one.
    public func readBlocking<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.read(body)
    }

    /// Runs `body` on a read-only snapshot from the pool without blocking the caller's thread.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.read(body)
    }

    /// Forces a WAL checkpoint (tests and backups): every committed page is copied into the database file and the
    /// WAL is truncated.
    ///
    /// SQLite answers `SQLITE_BUSY` at once, without its busy handler, while another connection runs a checkpoint —
    /// the group committer's background checkpointer does, after commits — so this retries for up to ten seconds.
    public func checkpoint() throws {
        var attempts = 0
        while true {
            do {
                try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
                return
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && attempts < 2000 {
                attempts += 1
                usleep(5000)
            }
        }
    }
}

extension StrongroomDatabase {
    /// Creates `path` and its missing parents with mode 0700 (the data directory is for the service user only).
    public static func createDataDirectory(_ path: String) throws {
        var built = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            built += "/" + component
            if mkdir(built, 0o700) != 0 && errno != EEXIST {
                throw StorageError.cannotOpen(path, cause: nil)
            }
        }
    }

    /// Whether `dataDirectory` already holds a Strongroom database.
    public static func exists(inDataDirectory dataDirectory: String) -> Bool {
        var info = stat()
        return stat(dataDirectory + "/" + fileName, &info) == 0
    }

    /// Opens the database in `dataDirectory` read-only, without migrating: for auditors and verification, who
    /// must not be able to change what they check.
    ///
    /// - Throws: ``StorageError`` when there is no database there.
    public static func openReadOnly(dataDirectory: String) throws -> any DatabaseReader {
        let path = dataDirectory.hasSuffix("/") ? dataDirectory + fileName : dataDirectory + "/" + fileName
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        do {
            return try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw StorageError.cannotOpen(path, cause: error)
        }
    }
}

import GRDBSQLite

/// The SQLite C API with nothing in between: the floor every database figure is compared with.
///
/// Not thread-safe; one connection per thread of a floor measurement.
final class RawSQLite {
    private let handle: OpaquePointer

    /// Opens `path` the way the records database is opened: WAL, `synchronous=FULL`, `secure_delete`, foreign keys.
    init(path: String, readOnly: Bool = false) throws {
        var opened: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &opened, flags, nil)
        guard status == SQLITE_OK, let opened else {
            if let opened { sqlite3_close_v2(opened) }
            throw BenchError("raw SQLite could not open \(path) (code \(status))")
        }
        handle = opened
        sqlite3_busy_timeout(handle, 10_000)
        if !readOnly { try execute("PRAGMA journal_mode = WAL") }
        try execute("PRAGMA synchronous = FULL; PRAGMA secure_delete = ON; PRAGMA foreign_keys = ON")
    }

    deinit { sqlite3_close_v2(handle) }

    func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard status == SQLITE_OK else {
            throw BenchError("raw SQLite statement failed (code \(status)): \(message.map { String(cString: $0) } ?? "")")
        }
    }

    func prepare(_ sql: String) throws -> RawStatement {
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard status == SQLITE_OK, let statement else {
            throw BenchError("raw SQLite could not prepare a statement (code \(status)): \(String(cString: sqlite3_errmsg(handle)))")
        }
        return RawStatement(handle: statement, connection: self)
    }

    fileprivate var lastError: String { String(cString: sqlite3_errmsg(handle)) }
}

/// A prepared statement of ``RawSQLite``.
final class RawStatement {
    private let handle: OpaquePointer
    private let connection: RawSQLite
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    fileprivate init(handle: OpaquePointer, connection: RawSQLite) {
        self.handle = handle
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    func bind(_ index: Int32, _ text: String) { sqlite3_bind_text(handle, index, text, -1, Self.transient) }
    func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(handle, index, value) }
    func bindNull(_ index: Int32) { sqlite3_bind_null(handle, index) }
    func bind(_ index: Int32, bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), Self.transient) }
    }

    /// Steps once: `true` when a row is ready, `false` when done.
    func step() throws -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let status: throw BenchError("raw SQLite step failed (code \(status)): \(connection.lastError)")
        }
    }

    /// Runs a statement that returns no rows, then resets it for the next bindings.
    func run() throws {
        defer { reset() }
        while try step() {}
    }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    func text(_ column: Int32) -> String { sqlite3_column_text(handle, column).map { String(cString: $0) } ?? "" }
    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    func bytes(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let base = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: base, count: count))
    }
}

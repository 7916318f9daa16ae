import GRDB
internal import GRDBSQLite

/// One of the connection's cached statements, bound and stepped straight through SQLite.
///
/// For the few queries that run inside the writer on every audited read (the request row, its envelopes): GRDB's row
/// objects, boxed arguments and cursor bookkeeping cost more there than the queries themselves. Bindings are copied
/// into SQLite, and column values are copied out, so nothing borrowed outlives a step. The statement is reset before
/// use and by ``finish()``; use one at a time per statement text and finish it before returning.
///
/// ```swift
/// let select = try SteppedStatement("SELECT status FROM requests WHERE id = ?", in: db)
/// defer { select.finish() }
/// select.bind(1, requestID)
/// let status = try select.step() ? select.text(0) : nil
/// ```
public struct SteppedStatement {
    private let statement: Statement
    private let raw: OpaquePointer
    private let db: Database

    /// Prepares (or takes from the connection's cache) `sql`, with its bindings cleared.
    public init(_ sql: String, in db: Database) throws {
        statement = try db.cachedStatement(sql: sql)
        raw = statement.sqliteStatement
        self.db = db
        sqlite3_reset(raw)
        sqlite3_clear_bindings(raw)
    }

    /// Binds text to the 1-based parameter `index`.
    public func bind(_ index: Int32, _ value: String) {
        Self.bindText(raw, index, value)
    }

    /// Binds an integer to the 1-based parameter `index`.
    public func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(raw, index, value)
    }

    /// Binds text, or NULL for `nil`, to the 1-based parameter `index`.
    public func bind(_ index: Int32, _ value: String?) {
        if let value { bind(index, value) } else { sqlite3_bind_null(raw, index) }
    }

    /// Binds an integer, or NULL for `nil`, to the 1-based parameter `index`.
    public func bind(_ index: Int32, _ value: Int64?) {
        if let value { bind(index, value) } else { sqlite3_bind_null(raw, index) }
    }

    /// Binds a blob, or NULL for `nil`, to the 1-based parameter `index` (copied into SQLite).
    public func bind(_ index: Int32, bytes: [UInt8]?) {
        if let bytes { bind(index, bytes: bytes) } else { sqlite3_bind_null(raw, index) }
    }

    /// Runs a statement that returns no rows (an INSERT, UPDATE or DELETE) and resets it for the next use.
    ///
    /// - Throws: GRDB's `DatabaseError` with SQLite's code and message (never the bound values).
    public func execute() throws {
        defer { finish() }
        _ = try step()
    }

    /// Binds a blob to the 1-based parameter `index` (copied into SQLite).
    public func bind(_ index: Int32, bytes: [UInt8]) {
        bytes.withUnsafeBytes { bytes in
            _ = sqlite3_bind_blob(raw, index, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(bytes.count), SQLITE_TRANSIENT)
        }
    }

    /// How many rows the last completed INSERT, UPDATE or DELETE on this connection changed.
    public var changes: Int { Int(sqlite3_changes(db.sqliteConnection)) }

    /// Advances to the next row.
    ///
    /// - Returns: `true` when a row is ready, `false` when there are no more.
    /// - Throws: GRDB's `DatabaseError` with SQLite's code and message (never the bound values).
    public func step() throws -> Bool {
        switch sqlite3_step(raw) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let code:
            let message = db.lastErrorMessage
            sqlite3_reset(raw)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
        }
    }

    /// Resets the statement and clears its bindings.
    public func finish() {
        sqlite3_reset(raw)
        sqlite3_clear_bindings(raw)
    }

    /// Whether column `column` of the current row is NULL.
    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(raw, column) == SQLITE_NULL }

    /// Column `column` of the current row as text (empty for NULL).
    public func text(_ column: Int32) -> String { Self.text(raw, column) }

    /// Column `column` of the current row as text, or `nil` for NULL.
    public func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }

    /// Column `column` of the current row as an integer (0 for NULL).
    public func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(raw, column) }

    /// Column `column` of the current row as an integer, or `nil` for NULL.
    public func optionalInt64(_ column: Int32) -> Int64? { isNull(column) ? nil : int64(column) }

    /// Column `column` of the current row as bytes (empty for NULL).
    public func bytes(_ column: Int32) -> [UInt8] { Self.blob(raw, column) }
    /// The blob in `column`, or `nil` for NULL.
    public func optionalBytes(_ column: Int32) -> [UInt8]? { isNull(column) ? nil : bytes(column) }

    /// Binds `value` as text, copied into SQLite.
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

    /// Column `column` of `raw`'s current row as text.
    private static func text(_ raw: OpaquePointer, _ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(raw, column) else { return "" }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(raw, column))), as: UTF8.self)
    }

    /// Column `column` of `raw`'s current row as bytes.
    private static func blob(_ raw: OpaquePointer, _ column: Int32) -> [UInt8] {
        guard let pointer = sqlite3_column_blob(raw, column) else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(raw, column))))
    }
}

/// SQLite's "copy the value now" destructor, which the C macro spells as -1.
private let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

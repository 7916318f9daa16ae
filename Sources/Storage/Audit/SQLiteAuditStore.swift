import AuditLog
import Foundation
import GRDB
internal import GRDBSQLite
import Synchronization

/// The audit log in SQLite: appends inside the caller's write transaction, proofs from stored subtree hashes,
/// checkpoints, queries, and a streaming ``AuditEntrySource`` for the verifier.
///
/// ```swift
/// let store = SQLiteAuditStore(database: database)
/// try database.write { db in
///     try insertRecord(db)                                    // the write being audited
///     _ = try store.append(draft, in: db)                     // commits with it, or neither does
///     _ = try store.checkpointIfDue(policy: policy, signer: signer, in: db)
/// }
/// ```
public final class SQLiteAuditStore: Sendable {
    /// Where reads (verification, export, queries without a `db`) run.
    public let reader: any DatabaseReader
    private let clock: any AuditClock
    /// The chain head and Merkle frontier after the last append this process made. Trusted only when the
    /// database's head (size and chain hash) still equals it, so a rolled-back append never leaks into the next.
    private let head = Mutex<Head?>(nil)
    /// Set when the log was found not to extend what the server last signed: appends are refused from then on
    /// (every audited access with them), except the integrity alarm itself.
    private let refusal = Mutex<String?>(nil)

    struct Head: Sendable {
        var range: CompactRange
        var chain: AuditDigest
    }

    /// Largest canonical entry accepted (entries are small by design; details carry no documents).
    public static let maximumEntryBytes = 64 * 1024

    /// - Parameters:
    ///   - database: the records database.
    ///   - clock: where entry and checkpoint times come from.
    public convenience init(database: StrongroomDatabase, clock: any AuditClock = SystemAuditClock()) {
        self.init(reader: database.pool, clock: clock)
    }

    /// - Parameters:
    ///   - reader: any GRDB reader over a database migrated with ``AuditSchema``.
    ///   - clock: where entry and checkpoint times come from.
    public init(reader: any DatabaseReader, clock: any AuditClock = SystemAuditClock()) {
        self.reader = reader
        self.clock = clock
    }

    /// Appends an entry inside the caller's open write transaction, assigning seq, time and chain hash and writing
    /// the Merkle nodes the entry completes. If the transaction rolls back, nothing of the entry remains.
    ///
    /// - Returns: the stored entry.
    /// - Throws: ``StorageError`` (`conflict` when another append won the race, `corrupt` for a damaged head);
    ///   ``AuditError/invalidArgument(_:)`` when the entry is too large.
    public func append(_ draft: AuditEntryDraft, in db: Database) throws -> AuditEntry {
        if let reason = refusal.withLock({ $0 }), draft.action != Self.alarmAction { throw StorageError.auditLocked(reason) }
        let (size, previousChain) = try readHead(db)
        var range = try frontier(size: size, chain: previousChain, db: db)
        var entry = AuditEntry(seq: size, time: clock.now(), draft: draft, chainHash: [])
        let canonical = entry.canonicalBytes
        guard canonical.count <= Self.maximumEntryBytes else {
            throw AuditError.invalidArgument("an audit entry may have at most \(Self.maximumEntryBytes) canonical bytes; this one has \(canonical.count): shorten its details")
        }
        let (leaf, chain) = try canonical.withUnsafeBytes { bytes in
            let leaf = AuditHashing.leafDigest(bytes)
            let chain = AuditHashing.chainDigest(previous: previousChain, leaf: leaf)
            do {
                try insertEntry(canonical: bytes, seq: size, leaf: leaf, chain: chain, in: db)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                throw StorageError.conflict("audit entry \(size) was appended concurrently; retry the transaction")
            }
            return (leaf, chain)
        }
        entry.chainHash = chain.bytes
        do {
            let insertNode = try db.cachedStatement(sql: "INSERT INTO audit_node (level, idx, hash) VALUES (?, ?, ?)")
            try range.append(leaf) { level, index, hash in
                guard level >= Self.lowestStoredNodeLevel else { return }
                insertNode.setUncheckedArguments(StatementArguments())
                let raw = insertNode.sqliteStatement
                sqlite3_bind_int64(raw, 1, Int64(level))
                sqlite3_bind_int64(raw, 2, Int64(index))
                try hash.withUnsafeBytes { hash in
                    sqlite3_bind_blob(raw, 3, hash.baseAddress, 32, nil)
                    try insertNode.execute()
                }
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw StorageError.conflict("audit entry \(size) was appended concurrently; retry the transaction")
        }
        let newHead = Head(range: range, chain: chain)
        head.withLock { $0 = newHead }
        return entry
    }

    /// The action of integrity alarms, which are appended even to a locked log.
    public static let alarmAction = "integrity.alarm"

    /// Refuses every further append except integrity alarms (fail closed), with `reason` as the error message.
    public func refuseAppends(_ reason: String) {
        refusal.withLock { if $0 == nil { $0 = reason } }
    }

    /// Why appends are refused, or `nil` while the log is open.
    public var appendRefusal: String? { refusal.withLock { $0 } }

    /// Inserts the row, binding straight to SQLite: the query columns are bound as slices of the canonical bytes
    /// (so they agree with the hashed content by construction) and nothing is boxed or copied on the way.
    private func insertEntry(
        canonical: UnsafeRawBufferPointer, seq: UInt64, leaf: AuditDigest, chain: AuditDigest, in db: Database
    ) throws {
        let fields = try AuditCanonicalFields(scanning: canonical)
        let statement = try db.cachedStatement(sql: """
            INSERT INTO audit_entry (seq, time_ms, actor_id, action, subject_id, flags, canonical, leaf_hash, chain_hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        // Marks the arguments as set (none yet) so `execute()` keeps the raw bindings below.
        statement.setUncheckedArguments(StatementArguments())
        let raw = statement.sqliteStatement
        let base = canonical.baseAddress!
        func bindText(_ index: Int32, _ range: Range<Int>) {
            sqlite3_bind_text(raw, index, (base + range.lowerBound).assumingMemoryBound(to: CChar.self), Int32(range.count), nil)
        }
        sqlite3_bind_int64(raw, 1, Int64(seq))
        sqlite3_bind_int64(raw, 2, fields.timeMilliseconds)
        bindText(3, fields.actorID)
        bindText(4, fields.action)
        if let subject = fields.subjectID { bindText(5, subject) } else { sqlite3_bind_null(raw, 5) }
        sqlite3_bind_int64(raw, 6, Int64(fields.flags.rawValue))
        sqlite3_bind_blob(raw, 7, base, Int32(canonical.count), nil)
        try leaf.withUnsafeBytes { leaf in
            try chain.withUnsafeBytes { chain in
                sqlite3_bind_blob(raw, 8, leaf.baseAddress, 32, nil)
                sqlite3_bind_blob(raw, 9, chain.baseAddress, 32, nil)
                try statement.execute()
            }
        }
    }

    /// The number of entries (the next seq).
    public func size(in db: Database) throws -> UInt64 { try readHead(db).size }

    private func readHead(_ db: Database) throws -> (size: UInt64, chain: AuditDigest) {
        // Stepped directly: a one-row read on every append, where GRDB's cursor bookkeeping cost more than the query.
        let statement = try db.cachedStatement(sql: "SELECT seq, chain_hash FROM audit_entry ORDER BY seq DESC LIMIT 1")
        let raw = statement.sqliteStatement
        sqlite3_reset(raw)
        defer { sqlite3_reset(raw) }
        switch sqlite3_step(raw) {
        case SQLITE_DONE:
            return (0, .zero)
        case SQLITE_ROW:
            let seq = sqlite3_column_int64(raw, 0)
            guard seq >= 0, let chain = AuditDigest(Self.blob(raw, 1)) else {
                throw StorageError.corrupt("the audit chain head (entry \(seq)) is damaged; run audit verify")
            }
            return (UInt64(seq) + 1, chain)
        case let code:
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage, sql: statement.sql)
        }
    }

    /// Column `index` of the current row as borrowed bytes (valid until the next step).
    static func blob(_ statement: SQLiteStatement, _ index: Int32) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: sqlite3_column_blob(statement, index), count: Int(sqlite3_column_bytes(statement, index)))
    }

    private func frontier(size: UInt64, chain: AuditDigest, db: Database) throws -> CompactRange {
        if let cached = head.withLock({ $0 }), cached.range.size == size, cached.chain == chain { return cached.range }
        let shape = MerkleTree.perfectSubtrees(size: size)
        let digests = try shape.map { try node(level: $0.level, index: $0.index, in: db) }.map { AuditDigest($0)! }
        return CompactRange(size: size, shape: shape, digests: digests)
    }

    /// Interior nodes below this level are not stored: they are recomputed from at most 2^(level) leaf hashes
    /// (one range read) when a proof or root needs them. Storing only levels ≥ 4 writes one node row per 8 entries
    /// instead of one per entry, and a proof in a 1,000,000-entry log reads 15 extra leaf hashes.
    static let lowestStoredNodeLevel = 4

    /// The hash of the perfect subtree `(level, index)`: level 0 is an entry's leaf hash, levels 1 to 3 are
    /// recomputed from leaf hashes, higher levels are stored in `audit_node`.
    func node(level: Int, index: UInt64, in db: Database) throws -> [UInt8] {
        if level > 0 && level < Self.lowestStoredNodeLevel { return try computedNode(level: level, index: index, in: db).bytes }
        let row: Row?
        if level == 0 {
            row = try Row.fetchOne(try db.cachedStatement(sql: "SELECT leaf_hash FROM audit_entry WHERE seq = ?"), arguments: [Int64(index)])
        } else {
            row = try Row.fetchOne(
                try db.cachedStatement(sql: "SELECT hash FROM audit_node WHERE level = ? AND idx = ?"), arguments: [level, Int64(index)])
        }
        guard let row, let data = row[0] as Data?, data.count == 32 else {
            throw StorageError.corrupt("Merkle node (level \(level), index \(index)) is missing or damaged; run audit verify")
        }
        return [UInt8](data)
    }

    private func computedNode(level: Int, index: UInt64, in db: Database) throws -> AuditDigest {
        let width = UInt64(1) << UInt64(level)
        let statement = try db.cachedStatement(sql: "SELECT seq, leaf_hash FROM audit_entry WHERE seq >= ? AND seq < ? ORDER BY seq")
        let cursor = try Row.fetchCursor(statement, arguments: [Int64(index * width), Int64((index + 1) * width)])
        let raw = statement.sqliteStatement
        var range = CompactRange()
        while try cursor.next() != nil {
            guard UInt64(clamping: sqlite3_column_int64(raw, 0)) == index * width + range.size,
                let leaf = AuditDigest(Self.blob(raw, 1))
            else { break }
            range.append(leaf)
        }
        guard range.size == width, let hash = range.rootDigest else {
            throw StorageError.corrupt("Merkle node (level \(level), index \(index)) cannot be recomputed: its leaves are missing or damaged; run audit verify")
        }
        return hash
    }

    func nodeReader(_ db: Database) -> MerkleTree.NodeReader {
        { level, index in try self.node(level: level, index: index, in: db) }
    }

    var now: AuditTime { clock.now() }
}

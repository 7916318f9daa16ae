import AuditLog
import Foundation
import GRDB
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

    struct Head: Sendable {
        var range: CompactRange
        var chain: [UInt8]
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
        let (size, previousChain) = try readHead(db)
        var range = try frontier(size: size, chain: previousChain, db: db)
        var entry = AuditEntry(seq: size, time: clock.now(), draft: draft, chainHash: [])
        let canonical = entry.canonicalBytes
        guard canonical.count <= Self.maximumEntryBytes else {
            throw AuditError.invalidArgument("an audit entry may have at most \(Self.maximumEntryBytes) canonical bytes; this one has \(canonical.count): shorten its details")
        }
        let leaf = AuditHashing.leafHash(canonical)
        entry.chainHash = AuditHashing.chainHash(previous: previousChain, leafHash: leaf)
        do {
            try db.cachedStatement(sql: """
                INSERT INTO audit_entry (seq, time_ms, actor_id, action, subject_id, flags, canonical, leaf_hash, chain_hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [
                    Int64(size), entry.time.millisecondsSince1970, entry.actor.id, entry.action, entry.target.subjectID,
                    Int64(entry.flags.rawValue), Data(canonical), Data(leaf), Data(entry.chainHash),
                ])
            let insertNode = try db.cachedStatement(sql: "INSERT INTO audit_node (level, idx, hash) VALUES (?, ?, ?)")
            var nodeError: (any Error)?
            range.append(leaf) { level, index, hash in
                guard nodeError == nil else { return }
                do { try insertNode.execute(arguments: [level, Int64(index), Data(hash)]) } catch { nodeError = error }
            }
            if let nodeError { throw nodeError }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw StorageError.conflict("audit entry \(size) was appended concurrently; retry the transaction")
        }
        let newHead = Head(range: range, chain: entry.chainHash)
        head.withLock { $0 = newHead }
        return entry
    }

    /// The number of entries (the next seq).
    public func size(in db: Database) throws -> UInt64 { try readHead(db).size }

    private func readHead(_ db: Database) throws -> (size: UInt64, chain: [UInt8]) {
        let statement = try db.cachedStatement(sql: "SELECT seq, chain_hash FROM audit_entry ORDER BY seq DESC LIMIT 1")
        guard let row = try Row.fetchOne(statement) else { return (0, AuditHashing.chainSeed) }
        let seq: Int64 = row[0]
        let chain: Data = row[1]
        guard seq >= 0, chain.count == 32 else { throw StorageError.corrupt("the audit chain head (entry \(seq)) is damaged; run audit verify") }
        return (UInt64(seq) + 1, [UInt8](chain))
    }

    private func frontier(size: UInt64, chain: [UInt8], db: Database) throws -> CompactRange {
        if let cached = head.withLock({ $0 }), cached.range.size == size, cached.chain == chain { return cached.range }
        let hashes = try MerkleTree.perfectSubtrees(size: size).map { try node(level: $0.level, index: $0.index, in: db) }
        return try CompactRange(size: size, hashes: hashes)
    }

    /// The stored hash of the perfect subtree `(level, index)`; level 0 is an entry's leaf hash.
    func node(level: Int, index: UInt64, in db: Database) throws -> [UInt8] {
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

    func nodeReader(_ db: Database) -> MerkleTree.NodeReader {
        { level, index in try self.node(level: level, index: index, in: db) }
    }

    var now: AuditTime { clock.now() }
}

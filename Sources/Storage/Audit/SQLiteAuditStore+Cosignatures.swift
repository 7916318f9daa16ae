import AuditLog
import Foundation
import GRDB

extension SQLiteAuditStore {
    /// Stores the cosignature lines a witness returned for `checkpoint`. Only lines that verify under `witness` are
    /// kept (the caller checked them; this is the last line of defence against storing junk).
    ///
    /// - Returns: how many lines were stored.
    @discardableResult
    public func addCosignatures(
        _ lines: [NoteSignature], by witness: WitnessVerifierKey, for checkpoint: AuditCheckpoint, in db: Database
    ) throws -> Int {
        var stored = 0
        for line in lines where witness.verifiedTimestamp(of: line, over: checkpoint) != nil {
            try db.execute(
                sql: "INSERT INTO audit_cosignature (tree_size, root_hash, witness, line, received_ms) VALUES (?, ?, ?, ?, ?)",
                arguments: [Int64(checkpoint.size), Data(checkpoint.rootHash), witness.text, line.line, now.millisecondsSince1970])
            stored += 1
        }
        return stored
    }

    /// The largest tree size `witness` has cosigned, as stored here (`nil` for none). Not trusted: the witness's own
    /// state decides, and answers 409 with its size when this is stale.
    public func latestCosignedSize(by witness: WitnessVerifierKey, in db: Database) throws -> UInt64? {
        try Int64.fetchOne(db, sql: "SELECT MAX(tree_size) FROM audit_cosignature WHERE witness = ?", arguments: [witness.text])
            .map { UInt64(max(0, $0)) }
    }

    /// `checkpoints` with the stored cosignature lines of their size and root appended. A line that does not parse
    /// is skipped: verification then finds the checkpoint not cosigned, which is what it is.
    func withCosignatures(_ checkpoints: [SignedCheckpoint], in db: Database) throws -> [SignedCheckpoint] {
        guard !checkpoints.isEmpty else { return checkpoints }
        var lines: [UInt64: [(root: [UInt8], line: NoteSignature)]] = [:]
        // The newest checkpoint alone (the submitter asks every few seconds) reads only its own size's rows.
        let sizes = Set(checkpoints.map { Int64($0.checkpoint.size) })
        let rows = sizes.count <= 16
            ? try Row.fetchCursor(
                db, sql: "SELECT tree_size, root_hash, line FROM audit_cosignature WHERE tree_size IN (\(sizes.map { _ in "?" }.joined(separator: ","))) ORDER BY id",
                arguments: StatementArguments(Array(sizes)))
            : try Row.fetchCursor(db, sql: "SELECT tree_size, root_hash, line FROM audit_cosignature ORDER BY id")
        while let row = try rows.next() {
            let size: Int64 = row[0]
            let root = [UInt8]((row[1] as Data?) ?? Data())
            let text: String = row[2]
            guard size >= 0, text.hasSuffix("\n"),
                let line = try? NoteSignature(line: text.dropLast(), number: 1)
            else { continue }
            lines[UInt64(size), default: []].append((root, line))
        }
        guard !lines.isEmpty else { return checkpoints }
        return checkpoints.map { signed in
            let matching = (lines[signed.checkpoint.size] ?? []).filter { $0.root == signed.checkpoint.rootHash }.map(\.line)
            return matching.isEmpty ? signed : signed.addingSignatures(matching)
        }
    }
}

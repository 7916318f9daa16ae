import GRDB

/// The audit log's tables: entries, Merkle nodes and signed checkpoints, all append-only by trigger.
///
/// - `audit_entry`: one row per entry; `canonical` holds the exact hashed bytes (format v1, docs/audit-format.md)
///   and is the source of truth; the other columns are copies for queries, cross-checked against it whenever a row
///   is read (queries and verification). Only the subject is indexed (the citizen's access report), by seq block
///   (``subjectBlockShift``) so that appends stay local; actor, action and time filters scan in seq order.
/// - `audit_node`: every completed perfect subtree of level ≥ 4 (level 0 is `audit_entry.leaf_hash`; levels 1–3 are
///   recomputed from leaf hashes, see ``SQLiteAuditStore``). The `level >= 1` check predates that and is kept.
/// - `audit_checkpoint`: signed notes, oldest first.
public enum AuditSchema {
    /// The subject index is keyed by `(seq >> subjectBlockShift, subject_id)`; queries must use the same expression,
    /// and the migration below spells it out as the literal 15.
    static let subjectBlockShift: UInt64 = 15

    /// Registers the audit migrations. Shipped migrations never change; changes are new migrations.
    public static func registerMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("audit.v1") { db in
            try db.execute(sql: """
                CREATE TABLE audit_entry (
                    seq INTEGER PRIMARY KEY CHECK (seq >= 0),
                    time_ms INTEGER NOT NULL,
                    actor_id TEXT NOT NULL,
                    action TEXT NOT NULL,
                    subject_id TEXT,
                    flags INTEGER NOT NULL,
                    canonical BLOB NOT NULL,
                    leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32),
                    chain_hash BLOB NOT NULL CHECK (length(chain_hash) = 32)
                );
                -- Subject index partitioned by seq blocks of 2^15 entries: appends only touch the current block's
                -- part of the index (a few hundred pages that stay cached) instead of a random page of the whole
                -- index; a subject query seeks once per block. Within a key, rowid = seq keeps entries in order.
                CREATE INDEX audit_entry_by_subject ON audit_entry(seq >> 15, subject_id) WHERE subject_id IS NOT NULL;

                CREATE TABLE audit_node (
                    level INTEGER NOT NULL CHECK (level >= 1),
                    idx INTEGER NOT NULL CHECK (idx >= 0),
                    hash BLOB NOT NULL CHECK (length(hash) = 32),
                    PRIMARY KEY (level, idx)
                ) WITHOUT ROWID;

                CREATE TABLE audit_checkpoint (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    tree_size INTEGER NOT NULL CHECK (tree_size >= 0),
                    created_ms INTEGER NOT NULL,
                    note TEXT NOT NULL
                );
                CREATE INDEX audit_checkpoint_by_size ON audit_checkpoint(tree_size);
                """)
            for table in ["audit_entry", "audit_node", "audit_checkpoint"] {
                try db.execute(sql: """
                    CREATE TRIGGER \(table)_no_update BEFORE UPDATE ON \(table)
                    BEGIN SELECT RAISE(ABORT, '\(table) is append-only: rows cannot be updated'); END;
                    CREATE TRIGGER \(table)_no_delete BEFORE DELETE ON \(table)
                    BEGIN SELECT RAISE(ABORT, '\(table) is append-only: rows cannot be deleted'); END;
                    """)
            }
        }
    }

    /// Witness cosignatures (shipped after the first three parts of the schema, so registered last).
    ///
    /// `audit_cosignature`: one row per cosignature line a witness returned, for the checkpoint of `tree_size` and
    /// `root_hash`; `witness` is the witness's verifier key text. Append-only like the rest of the log. Checkpoints
    /// are read with the lines of their size and root appended, so verification and bundles carry them.
    public static func registerCosignatureMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-12-03-audit-cosignatures-v1") { db in
            try db.execute(sql: """
                CREATE TABLE audit_cosignature (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    tree_size INTEGER NOT NULL CHECK (tree_size >= 0),
                    root_hash BLOB NOT NULL CHECK (length(root_hash) = 32),
                    witness TEXT NOT NULL,
                    line TEXT NOT NULL,
                    received_ms INTEGER NOT NULL
                );
                CREATE INDEX audit_cosignature_by_size ON audit_cosignature(tree_size);
                CREATE INDEX audit_cosignature_by_witness ON audit_cosignature(witness, tree_size);
                CREATE TRIGGER audit_cosignature_no_update BEFORE UPDATE ON audit_cosignature
                BEGIN SELECT RAISE(ABORT, 'audit_cosignature is append-only: rows cannot be updated'); END;
                CREATE TRIGGER audit_cosignature_no_delete BEFORE DELETE ON audit_cosignature
                BEGIN SELECT RAISE(ABORT, 'audit_cosignature is append-only: rows cannot be deleted'); END;
                """)
        }
    }
}

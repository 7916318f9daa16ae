import GRDB

/// The tables of the subject key store (`Keys/subjects.sqlite`). Shipped migrations are never edited; a change is a
/// new migration.
enum SubjectKeyStoreSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        // The original table. `IF NOT EXISTS`: stores made before this migrator existed already have it.
        migrator.registerMigration("2026-11-29-shredding-keys-v1") { db in
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
        // Erasure that is final: a generation every process compares with the one its caches were read under (bumped
        // by every destruction), a tombstone per erased subject (no key is ever made for them again), and the ids of
        // destroyed keys whose fields the records database may still hold (so a sweep that failed after destroying
        // keys is completed by the next one). Key ids are not secret: the records database holds them too.
        migrator.registerMigration("2026-12-02-erasure-generation-tombstones") { db in
            try db.execute(sql: """
                CREATE TABLE store_state (
                    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
                    generation INTEGER NOT NULL
                );
                INSERT INTO store_state (id, generation) VALUES (1, 0);
                CREATE TABLE tombstones (
                    subject_id TEXT PRIMARY KEY NOT NULL,
                    erased_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE unswept_keys (
                    id BLOB PRIMARY KEY NOT NULL,
                    destroyed_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        return migrator
    }

    /// The store's current generation.
    static func generation(in db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT generation FROM store_state WHERE id = 1") ?? 0
    }

    /// Bumps the generation inside the caller's transaction and returns the new value.
    static func bumpGeneration(in db: Database) throws -> Int64 {
        try db.execute(sql: "UPDATE store_state SET generation = generation + 1 WHERE id = 1")
        return try generation(in: db)
    }
}

import GRDB

/// The records tables: accounts, sessions, service requests, sealed fields and blind indexes.
///
/// Every personal value lives in `sealed_fields` as a sealed envelope bound to (collection, record id, field);
/// the other tables hold only pseudonymous ids, states, dates and hashes.
public enum RecordsSchema {
    /// Registers the records migrations. Shipped migrations are never edited; a change is a new migration.
    public static func registerMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-11-29-records-v1") { db in
            try db.execute(sql: """
                CREATE TABLE accounts (
                    id TEXT PRIMARY KEY NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('citizen', 'staff')),
                    login_index BLOB NOT NULL UNIQUE,
                    password_hash TEXT NOT NULL,
                    roles TEXT NOT NULL,
                    office TEXT,
                    subject_id TEXT,
                    status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
                    created_at INTEGER NOT NULL,
                    failed_logins INTEGER NOT NULL DEFAULT 0,
                    locked_until INTEGER NOT NULL DEFAULT 0,
                    totp_last_step INTEGER NOT NULL DEFAULT 0
                );
                CREATE TABLE sessions (
                    token_hash BLOB PRIMARY KEY NOT NULL,
                    account_id TEXT NOT NULL REFERENCES accounts(id),
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL,
                    strength TEXT NOT NULL,
                    revoked_at INTEGER
                );
                CREATE INDEX sessions_by_account ON sessions(account_id);
                CREATE TABLE requests (
                    id TEXT PRIMARY KEY NOT NULL,
                    service_id TEXT NOT NULL,
                    service_version INTEGER NOT NULL,
                    owner_id TEXT NOT NULL REFERENCES accounts(id),
                    subject_id TEXT NOT NULL,
                    office TEXT NOT NULL,
                    status TEXT NOT NULL,
                    sealed INTEGER NOT NULL DEFAULT 0,
                    assignee_id TEXT,
                    outcome TEXT CHECK (outcome IN ('approved', 'rejected')),
                    decided_by_rule TEXT,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    submitted_at INTEGER,
                    decided_at INTEGER
                );
                CREATE INDEX requests_by_owner ON requests(owner_id, created_at);
                CREATE INDEX requests_by_queue ON requests(office, status, submitted_at);
                CREATE TABLE sealed_fields (
                    collection TEXT NOT NULL,
                    record_id TEXT NOT NULL,
                    field TEXT NOT NULL,
                    envelope BLOB NOT NULL,
                    key_version INTEGER NOT NULL,
                    subject_id TEXT,
                    shred_key BLOB,
                    sealed_at INTEGER NOT NULL,
                    PRIMARY KEY (collection, record_id, field)
                ) WITHOUT ROWID;
                CREATE INDEX sealed_fields_by_version ON sealed_fields(key_version, collection, record_id, field);
                CREATE INDEX sealed_fields_by_subject ON sealed_fields(subject_id);
                CREATE INDEX sealed_fields_by_shred_key ON sealed_fields(shred_key);
                CREATE TABLE erasure_requests (
                    subject_id TEXT PRIMARY KEY NOT NULL,
                    requested_at INTEGER NOT NULL,
                    effective_at INTEGER NOT NULL,
                    basis TEXT NOT NULL,
                    completed_at INTEGER
                );
                CREATE TABLE blind_indexes (
                    collection TEXT NOT NULL,
                    field TEXT NOT NULL,
                    key_version INTEGER NOT NULL,
                    digest BLOB NOT NULL,
                    record_id TEXT NOT NULL,
                    PRIMARY KEY (collection, field, key_version, digest, record_id)
                ) WITHOUT ROWID;
                CREATE INDEX blind_indexes_by_record ON blind_indexes(collection, record_id);
                CREATE INDEX blind_indexes_by_version ON blind_indexes(key_version, collection, record_id, field);
                CREATE TABLE open_fields (
                    collection TEXT NOT NULL,
                    record_id TEXT NOT NULL,
                    field TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (collection, record_id, field)
                ) WITHOUT ROWID;
                """)
        }
        // Casework: messages on a request (bodies sealed in `sealed_fields` under collection `messages`), the fees
        // citizens pay, and the provider events already applied (so a retried callback changes nothing twice).
        migrator.registerMigration("2026-11-29-casework-v1") { db in
            try db.execute(sql: """
                CREATE TABLE messages (
                    id TEXT PRIMARY KEY NOT NULL,
                    request_id TEXT NOT NULL REFERENCES requests(id),
                    author_id TEXT NOT NULL,
                    author_kind TEXT NOT NULL CHECK (author_kind IN ('citizen', 'staff')),
                    author_role TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('message', 'info-request', 'decision')),
                    created_at INTEGER NOT NULL
                );
                CREATE INDEX messages_by_request ON messages(request_id, created_at);
                CREATE TABLE payments (
                    id TEXT PRIMARY KEY NOT NULL,
                    request_id TEXT NOT NULL UNIQUE REFERENCES requests(id),
                    owner_id TEXT NOT NULL,
                    subject_id TEXT NOT NULL,
                    office TEXT NOT NULL,
                    amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
                    currency TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'refunded', 'failed')),
                    provider TEXT NOT NULL,
                    provider_reference TEXT,
                    receipt_number TEXT UNIQUE,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    paid_at INTEGER,
                    refunded_at INTEGER
                );
                CREATE INDEX payments_by_owner ON payments(owner_id, created_at);
                CREATE TABLE payment_events (
                    event_id TEXT PRIMARY KEY NOT NULL,
                    payment_id TEXT NOT NULL REFERENCES payments(id),
                    kind TEXT NOT NULL,
                    received_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX requests_by_assignee ON requests(assignee_id, status);
                """)
        }
        // A database writer gains nothing: every row whose content decides access carries a MAC under a key-ring key
        // (`row_mac`, see RowAuthenticator), and records keep the revisions of their sealed fields (`field_revisions`,
        // covered by the MAC) so that an older envelope copied back is refused. The MACs of rows that existed before
        // this migration are computed once by the service at its first start (it has the keys; this layer has not),
        // which then writes a marker in the key directory so that it never MACs an unauthenticated row again. Session
        // tokens are now stored as a keyed hash: sessions made before this migration stop working (sign in again).
        migrator.registerMigration("2026-12-02-integrity-v1") { db in
            try db.execute(sql: """
                ALTER TABLE accounts ADD COLUMN field_revisions TEXT NOT NULL DEFAULT '';
                ALTER TABLE accounts ADD COLUMN row_mac BLOB;
                ALTER TABLE requests ADD COLUMN field_revisions TEXT NOT NULL DEFAULT '';
                ALTER TABLE requests ADD COLUMN row_mac BLOB;
                ALTER TABLE messages ADD COLUMN field_revisions TEXT NOT NULL DEFAULT '';
                ALTER TABLE messages ADD COLUMN row_mac BLOB;
                ALTER TABLE payments ADD COLUMN row_mac BLOB;
                ALTER TABLE sessions ADD COLUMN row_mac BLOB;
                ALTER TABLE erasure_requests ADD COLUMN row_mac BLOB;
                DELETE FROM sessions;
                """)
        }
        // Erasure finds everything about a subject: their accounts and requests by subject id, without a table scan.
        migrator.registerMigration("2026-12-02-erasure-by-subject") { db in
            try db.execute(sql: """
                CREATE INDEX accounts_by_subject ON accounts(subject_id);
                CREATE INDEX requests_by_subject ON requests(subject_id);
                """)
        }
        // A payment being charged is `processing` (so a second concurrent `pay` cannot charge again) and keeps the
        // idempotency key it was charged with, which a retry after an unknown outcome sends again.
        // SQLite cannot change a CHECK constraint in place: the table is rebuilt (the documented 12-step way; GRDB
        // defers foreign key checks to the end of the migration) with the new state and columns, rows copied as they are.
        migrator.registerMigration("2026-12-02-payment-processing-v1") { db in
            try db.execute(sql: """
                CREATE TABLE payments_new (
                    id TEXT PRIMARY KEY NOT NULL,
                    request_id TEXT NOT NULL UNIQUE REFERENCES requests(id),
                    owner_id TEXT NOT NULL,
                    subject_id TEXT NOT NULL,
                    office TEXT NOT NULL,
                    amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
                    currency TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'paid', 'refunded', 'failed')),
                    provider TEXT NOT NULL,
                    provider_reference TEXT,
                    receipt_number TEXT UNIQUE,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    paid_at INTEGER,
                    refunded_at INTEGER,
                    row_mac BLOB,
                    idempotency_key TEXT,
                    processing_since INTEGER
                );
                INSERT INTO payments_new (id, request_id, owner_id, subject_id, office, amount_minor, currency, status, provider,
                    provider_reference, receipt_number, created_at, updated_at, paid_at, refunded_at, row_mac)
                SELECT id, request_id, owner_id, subject_id, office, amount_minor, currency, status, provider,
                    provider_reference, receipt_number, created_at, updated_at, paid_at, refunded_at, row_mac FROM payments;
                DROP TABLE payments;
                ALTER TABLE payments_new RENAME TO payments;
                CREATE INDEX payments_by_owner ON payments(owner_id, created_at);
                """)
        }
    }

    /// Break-glass reviews (registered after the audit cosignatures, which shipped first).
    ///
    /// `break_glass_reviews`: one row per reviewed break-glass access, keyed by the access's audit sequence number, written
    /// in the same transaction as the review's audit entry — so two reviews of one access can never both commit. The
    /// audit log stays the record of what was reviewed; this table only makes "reviewed once" a constraint.
    public static func registerBreakGlassMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-12-03-break-glass-reviews-v1") { db in
            try db.execute(sql: """
                CREATE TABLE break_glass_reviews (
                    entry_seq INTEGER PRIMARY KEY CHECK (entry_seq >= 0),
                    reviewer_id TEXT NOT NULL,
                    finding TEXT NOT NULL,
                    reviewed_at INTEGER NOT NULL
                );
                """)
        }
        // A break-glass grant: the first break-glass access of a person to a record, with a substantive justification,
        // opens it for the rule's time limit (`break-glass for 4h`); later accesses by the same person to the same
        // record within it need no new justification and name the grant; once it expires, a new justification opens a
        // new grant (and a new item to review). The justification is sealed in `sealed_fields` (collection
        // `break_glass`, record the grant id). Rows carry a MAC like every row that grants access.
        // When a session was last used (coarsely: written at most once a minute), for the idle timeout. NULL for
        // sessions that predate it or were never used: idle time then counts from `created_at`.
        migrator.registerMigration("2026-12-03-session-last-seen-v1") { db in
            try db.execute(sql: "ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER")
        }
        migrator.registerMigration("2026-12-03-break-glass-grants-v1") { db in
            try db.execute(sql: """
                CREATE TABLE break_glass_grants (
                    id TEXT PRIMARY KEY,
                    actor_id TEXT NOT NULL,
                    collection TEXT NOT NULL,
                    record_id TEXT NOT NULL,
                    granted_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL CHECK (expires_at > granted_at),
                    row_mac BLOB
                );
                CREATE INDEX break_glass_grants_by_access ON break_glass_grants (actor_id, collection, record_id, expires_at);
                """)
        }
        // Internal notes between staff on a case: a message of kind `note`, sealed like every message and never shown to
        // the citizen. SQLite cannot change a CHECK in place: the table is rebuilt with the new kind, rows copied as
        // they are (their MACs do not cover the table's shape).
        migrator.registerMigration("2026-12-04-internal-notes-v1") { db in
            try db.execute(sql: """
                CREATE TABLE messages_new (
                    id TEXT PRIMARY KEY NOT NULL,
                    request_id TEXT NOT NULL REFERENCES requests(id),
                    author_id TEXT NOT NULL,
                    author_kind TEXT NOT NULL CHECK (author_kind IN ('citizen', 'staff')),
                    author_role TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('message', 'info-request', 'decision', 'note')),
                    created_at INTEGER NOT NULL,
                    field_revisions TEXT NOT NULL DEFAULT '',
                    row_mac BLOB,
                    CHECK (kind <> 'note' OR author_kind = 'staff')
                );
                INSERT INTO messages_new (id, request_id, author_id, author_kind, author_role, kind, created_at, field_revisions, row_mac)
                SELECT id, request_id, author_id, author_kind, author_role, kind, created_at, field_revisions, row_mac FROM messages;
                DROP TABLE messages;
                ALTER TABLE messages_new RENAME TO messages;
                CREATE INDEX messages_by_request ON messages(request_id, created_at);
                """)
        }
        // Progressive sign-in delays instead of a lockout: the time of the last failure in a row (failed_logins counts
        // them; locked_until now holds when the next attempt is considered). Not covered by the row MAC, like the
        // other sign-in counters.
        // sign_in_pace counts failed sign-ins on logins that have no account (one row, nothing about the login): written
        // at each, so that they cost a commit as a real account's counter does.
        migrator.registerMigration("2026-12-05-sign-in-delays-v1") { db in
            try db.execute(sql: """
                ALTER TABLE accounts ADD COLUMN last_failed_login_at INTEGER NOT NULL DEFAULT 0;
                CREATE TABLE sign_in_pace (id INTEGER PRIMARY KEY CHECK (id = 1), failures INTEGER NOT NULL DEFAULT 0);
                INSERT INTO sign_in_pace (id, failures) VALUES (1, 0);
                """)
        }
    }
}

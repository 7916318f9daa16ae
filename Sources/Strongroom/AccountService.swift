import AuditLog
import GRDB
import Policy
import Sealing
import Sodium
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Sign-up, sign-in, sessions and staff accounts.
///
/// Sign-in errors are uniform: a wrong password, an unknown account and a disabled account all answer
/// ``StrongroomError/badCredentials`` after the same Argon2id work, so the answer does not reveal whether an
/// account exists. Session tokens are 256 random bits; only their SHA-256 is stored.
public final class AccountService: Sendable {
    static let collection = "accounts"
    let configuration: StrongroomConfiguration
    let writer: GroupCommitWriter
    let database: StrongroomDatabase
    let sealer: FieldSealer
    let indexer: BlindIndexer
    let audit: AuditTrail
    let hasher: PasswordHasher
    let subjectKeys: SubjectKeyStore
    let clock: any ServiceClock
    private let addressThrottle: FailureWindow
    /// Failed sign-ins for logins that have no account, so that lockout looks the same for them as for real ones.
    private let unknownLoginThrottle: FailureWindow
    /// A real Argon2id hash of a random password, verified against when the account does not exist, so that
    /// unknown accounts cost the same time as known ones.
    private let decoyHash: String

    init(
        configuration: StrongroomConfiguration, writer: GroupCommitWriter, database: StrongroomDatabase, sealer: FieldSealer,
        indexer: BlindIndexer, audit: AuditTrail, hasher: PasswordHasher, subjectKeys: SubjectKeyStore, clock: any ServiceClock
    ) {
        self.subjectKeys = subjectKeys
        self.configuration = configuration
        self.writer = writer
        self.database = database
        self.sealer = sealer
        self.indexer = indexer
        self.audit = audit
        self.hasher = hasher
        self.clock = clock
        self.addressThrottle = FailureWindow(limit: configuration.addressFailureLimit, window: configuration.addressWindowSeconds)
        self.unknownLoginThrottle = FailureWindow(limit: configuration.loginFailureLimit, window: configuration.lockoutSeconds)
        self.decoyHash = (try? Argon2id.hashPassword(SecureRandom.bytes(count: 16), limits: configuration.passwordLimits)) ?? ""
    }

    /// A new session.
    public struct Session: Sendable, Equatable {
        /// The bearer token. Shown once; only its hash is stored.
        public let token: String
        public let accountID: String
        public let expiresAt: Date
        public let caller: AuthenticatedCaller
    }

    // MARK: - Citizens

    /// Creates a citizen account. Answers the same whether or not the login was already taken (the existing
    /// account is untouched), so sign-up cannot be used to discover who has an account.
    public func signUp(login: String, password: String, context: AccessContext) async throws {
        let normalised = try Self.validateLogin(login)
        try Self.validatePassword(password)
        let hash = try await hasher.hash(password)
        let index = try loginIndex(normalised)
        let now = clock.now.millis
        let accountID = Self.newID("acc")
        let subjectID = Self.newID("sub")
        let subjectKey = try subjectKeys.keyID(subject: subjectID, scope: "subject")
        let sealedLogin = try sealer.seal(
            Array(normalised.utf8), for: FieldPlace(collection: Self.collection, recordID: accountID, field: "login"),
            subjectKeyID: subjectKey)
        let keyVersion = try FieldSealer.keyVersion(of: sealedLogin).version
        let audit = self.audit
        try await writer.write { db in
            if try Int.fetchOne(db, sql: "SELECT 1 FROM accounts WHERE login_index = ?", arguments: [Data(index)]) != nil {
                return
            }
            let row = AccountRow(
                id: accountID, kind: "citizen", loginIndex: index, passwordHash: hash, roles: ["citizen"], office: nil,
                subjectID: subjectID, createdAt: now)
            try row.insert(db)
            try FieldRows.putSealed(
                sealedLogin, keyVersion: keyVersion, collection: Self.collection, recordID: accountID, field: "login",
                subjectID: subjectID, shredKey: subjectKey, at: now, in: db)
            try audit.record(
                AuditTrail.draft(
                    caller: AuthenticatedCaller(
                        accountID: accountID, kind: .citizen, roles: ["citizen"], office: nil, subjectID: subjectID,
                        authStrength: "none"),
                    action: "account.create", target: AuditTarget(collection: Self.collection, recordID: accountID, subjectID: subjectID),
                    fields: ["login", "password"], decision: nil, context: context),
                in: db)
        }
    }

    // MARK: - Sign-in

    /// Signs in with login and password (and a one-time code for staff).
    ///
    /// - Throws: ``StrongroomError/badCredentials`` for any wrong detail, ``StrongroomError/throttled`` after too
    ///   many failures from the address or on the account, `mfa_required` when a staff member gave no code.
    public func logIn(login: String, password: String, oneTimeCode: String? = nil, address: String, context: AccessContext) async throws -> Session {
        let now = clock.now
        if addressThrottle.isBlocked(address, now: now) {
            try await recordSignInFailure(accountID: nil, reason: "address-throttled", context: context)
            throw StrongroomError.throttled
        }
        guard let normalised = try? Self.validateLogin(login), password.utf8.count <= 1024 else {
            addressThrottle.recordFailure(address, now: now)
            _ = await hasher.verify(password, against: decoyHash)
            throw StrongroomError.badCredentials
        }
        let index = try loginIndex(normalised)
        let row = try await database.read { db in
            try AccountRow.fetchOne(db, sql: "SELECT * FROM accounts WHERE login_index = ?", arguments: [Data(index)])
        }
        guard let row else {
            let key = index.hexString
            if unknownLoginThrottle.isBlocked(key, now: now) {
                try await recordSignInFailure(accountID: nil, reason: "account-locked", context: context)
                throw StrongroomError.throttled
            }
            unknownLoginThrottle.recordFailure(key, now: now)
            addressThrottle.recordFailure(address, now: now)
            _ = await hasher.verify(password, against: decoyHash)
            try await recordSignInFailure(accountID: nil, reason: "bad-credentials", context: context)
            throw StrongroomError.badCredentials
        }
        if row.lockedUntil > now.millis {
            try await recordSignInFailure(accountID: row.id, reason: "account-locked", context: context)
            throw StrongroomError.throttled
        }
        let passwordOK = await hasher.verify(password, against: row.passwordHash)
        guard passwordOK, row.status == "active" else {
            addressThrottle.recordFailure(address, now: now)
            try await recordFailedPassword(row, now: now, context: context)
            throw StrongroomError.badCredentials
        }
        var strength = "password"
        if row.kind == "staff" {
            guard let oneTimeCode, !oneTimeCode.isEmpty else {
                throw StrongroomError(.unauthenticated, code: "mfa_required", message: "staff sign-in needs the 6-digit code from the authenticator app")
            }
            guard try await verifyOneTimeCode(oneTimeCode, accountID: row.id, now: now) else {
                addressThrottle.recordFailure(address, now: now)
                try await recordFailedPassword(row, now: now, context: context)
                throw StrongroomError.badCredentials
            }
            strength = "mfa"
        }
        return try await createSession(for: row, strength: strength, now: now, context: context)
    }

    /// The caller behind a bearer token, or ``StrongroomError/unauthenticated``.
    public func authenticate(token: String) async throws -> AuthenticatedCaller {
        guard let hash = Self.tokenHash(token) else { throw StrongroomError.unauthenticated }
        let now = clock.now.millis
        let found = try await database.read { db -> (AccountRow, String)? in
            guard let session = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT account_id, expires_at, revoked_at, strength FROM sessions WHERE token_hash = ?"),
                arguments: [Data(hash)])
            else { return nil }
            guard (session["revoked_at"] as Int64?) == nil, (session["expires_at"] as Int64) > now else { return nil }
            guard let account = try AccountRow.fetchOne(db.cachedStatement(sql: "SELECT * FROM accounts WHERE id = ?"), arguments: [session["account_id"] as String]),
                account.status == "active"
            else { return nil }
            return (account, session["strength"] as String)
        }
        guard let (account, strength) = found else { throw StrongroomError.unauthenticated }
        return Self.caller(for: account, strength: strength)
    }

    /// Revokes the session behind `token`. Revoking an unknown or expired token is not an error.
    public func logOut(token: String, context: AccessContext) async throws {
        guard let hash = Self.tokenHash(token) else { return }
        let now = clock.now.millis
        let audit = self.audit
        try await writer.write { db in
            guard let accountID = try String.fetchOne(
                db, sql: "SELECT account_id FROM sessions WHERE token_hash = ? AND revoked_at IS NULL", arguments: [Data(hash)])
            else { return }
            try db.execute(sql: "UPDATE sessions SET revoked_at = ? WHERE token_hash = ?", arguments: [now, Data(hash)])
            try audit.record(
                AuditEntryDraft(
                    actor: AuditActor(id: accountID, role: "session"), action: "session.revoke",
                    target: AuditTarget(collection: "sessions", recordID: accountID), decision: .allow(), requestID: context.requestID),
                in: db)
        }
    }

    // MARK: - Internals

    private func createSession(for row: AccountRow, strength: String, now: Date, context: AccessContext) async throws -> Session {
        var raw = SecureRandom.bytes(count: 32)
        let token = Base64URL.encode(raw)
        let hash = SHA256Digest.hash(raw)
        SecretBytes.wipe(&raw)
        let expires = now.addingTimeInterval(configuration.sessionLifetime)
        let caller = Self.caller(for: row, strength: strength)
        let audit = self.audit
        try await writer.write { db in
            try db.execute(
                sql: "INSERT INTO sessions (token_hash, account_id, created_at, expires_at, strength) VALUES (?, ?, ?, ?, ?)",
                arguments: [Data(hash), row.id, now.millis, expires.millis, strength])
            try db.execute(sql: "UPDATE accounts SET failed_logins = 0, locked_until = 0 WHERE id = ?", arguments: [row.id])
            try audit.record(
                AuditTrail.draft(
                    caller: caller, action: "session.create",
                    target: AuditTarget(collection: Self.collection, recordID: row.id, subjectID: row.subjectID),
                    decision: nil, context: context, details: ["strength": strength]),
                in: db)
        }
        return Session(token: token, accountID: row.id, expiresAt: expires, caller: caller)
    }

    private func recordFailedPassword(_ row: AccountRow, now: Date, context: AccessContext) async throws {
        let limit = configuration.loginFailureLimit
        let nowMillis = now.millis
        let lockUntil = now.addingTimeInterval(configuration.lockoutSeconds).millis
        let audit = self.audit
        try await writer.write { db in
            // A lockout that has run out starts the count again, as for logins without an account.
            try db.execute(
                sql: """
                    UPDATE accounts SET
                      failed_logins = (CASE WHEN locked_until > 0 AND locked_until <= :now THEN 0 ELSE failed_logins END) + 1,
                      locked_until = CASE
                        WHEN (CASE WHEN locked_until > 0 AND locked_until <= :now THEN 0 ELSE failed_logins END) + 1 >= :limit THEN :lockUntil
                        WHEN locked_until <= :now THEN 0 ELSE locked_until END
                    WHERE id = :id
                    """,
                arguments: ["now": nowMillis, "limit": limit, "lockUntil": lockUntil, "id": row.id])
            try audit.record(
                AuditEntryDraft(
                    actor: AuditActor(id: row.id, role: "anonymous"), action: "session.create",
                    target: AuditTarget(collection: Self.collection, recordID: row.id, subjectID: row.subjectID),
                    decision: .deny(), requestID: bounded(context.requestID, 128), details: ["reason": "bad-credentials"]),
                in: db)
        }
    }

    private func recordSignInFailure(accountID: String?, reason: String, context: AccessContext) async throws {
        let audit = self.audit
        try await writer.write { db in
            try audit.record(
                AuditEntryDraft(
                    actor: AuditActor(id: accountID ?? "anonymous", role: "anonymous"), action: "session.create",
                    target: AuditTarget(collection: Self.collection, recordID: accountID), decision: .deny(),
                    requestID: context.requestID, details: ["reason": reason]),
                in: db)
        }
    }

    /// Checks a staff member's one-time code and consumes its time step, so the same code cannot open a second
    /// session (RFC 6238 section 5.2).
    func verifyOneTimeCode(_ code: String, accountID: String, now: Date) async throws -> Bool {
        let place = FieldPlace(collection: Self.collection, recordID: accountID, field: "totp_secret")
        let envelopes = try await database.read { db in
            try FieldRows.sealed(collection: Self.collection, recordID: accountID, fields: ["totp_secret"], in: db)
        }
        guard let envelope = envelopes.first else { return false }
        var bytes = try sealer.open(envelope.bytes, at: place)
        let secret = try SecretBytes(consuming: &bytes)
        guard let step = TOTP.matchingStep(code, secret: secret, at: Int64(now.timeIntervalSince1970)) else { return false }
        return try await writer.write { db in
            try db.execute(
                sql: "UPDATE accounts SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?",
                arguments: [step, accountID, step])
            return db.changesCount == 1
        }
    }

    func loginIndex(_ normalised: String) throws -> [UInt8] {
        try indexer.index(normalised, normalization: .email, collection: Self.collection, field: "login", version: 1).bytes
    }

    static func caller(for row: AccountRow, strength: String) -> AuthenticatedCaller {
        AuthenticatedCaller(
            accountID: row.id, kind: row.principalKind, roles: row.roleSet, office: row.office, subjectID: row.subjectID,
            authStrength: strength)
    }

    static func tokenHash(_ token: String) -> [UInt8]? {
        guard token.utf8.count == 43, var raw = Base64URL.decode(token), raw.count == 32 else { return nil }
        defer { SecretBytes.wipe(&raw) }
        return SHA256Digest.hash(raw)
    }

    static func validateLogin(_ login: String) throws -> String {
        let normalised = Normalization.email.apply(login)
        guard (3...254).contains(normalised.utf8.count), !normalised.contains(where: { $0.isWhitespace || $0.isNewline }),
            normalised.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7f })
        else {
            throw StrongroomError.invalid("invalid_login", "the login must be an email address or user name of 3 to 254 characters without spaces")
        }
        return normalised
    }

    static func validatePassword(_ password: String) throws {
        guard password.count >= 12 else {
            throw StrongroomError.invalid("weak_password", "the password must have at least 12 characters")
        }
        guard password.utf8.count <= 1024 else {
            throw StrongroomError.invalid("invalid_password", "the password must be at most 1024 bytes")
        }
    }

    static func newID(_ prefix: String) -> String { prefix + "_" + SecureRandom.bytes(count: 12).hexString }
}

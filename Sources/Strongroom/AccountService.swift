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
/// account exists; repeated failures make a login wait (``SignInDelay``), never lock it, and logins without an
/// account wait alike. Refusals reach the audit log through ``RefusalLog`` (counted per window). Session tokens are 256 random bits; only their keyed hash is stored, and session and account rows
/// carry MACs (``RowIntegrity``), so a database writer can neither mint a session nor change who an account is.
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
    let integrity: RowIntegrity
    let refusals: RefusalLog
    private let addressThrottle: FailureWindow
    private let signUpThrottle: FailureWindow
    /// The progressive delay after failed sign-ins in a row on one login.
    let delay: SignInDelay
    /// Failed sign-ins for logins that have no account, so that they wait exactly as real ones do.
    private let unknownLogins: UnknownLoginDelays
    /// A real Argon2id hash of a random password, verified against when the account does not exist, so that
    /// unknown accounts cost the same time as known ones.
    private let decoyHash: String

    init(
        configuration: StrongroomConfiguration, writer: GroupCommitWriter, database: StrongroomDatabase, sealer: FieldSealer,
        indexer: BlindIndexer, audit: AuditTrail, hasher: PasswordHasher, subjectKeys: SubjectKeyStore, clock: any ServiceClock,
        integrity: RowIntegrity, refusals: RefusalLog
    ) {
        self.integrity = integrity
        self.refusals = refusals
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
        self.signUpThrottle = FailureWindow(limit: configuration.signUpsPerAddress, window: 3600)
        self.delay = SignInDelay(configuration)
        self.unknownLogins = UnknownLoginDelays(delay)
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
    ///
    /// - Parameter address: the client's address (``ClientAddress``): at most
    ///   ``StrongroomConfiguration/signUpsPerAddress`` attempts per hour from one address, taken or not.
    /// - Throws: `throttled` past that limit; `invalid_login` / `weak_password` for bad input.
    public func signUp(login: String, password: String, address: String? = nil, context: AccessContext) async throws {
        if let address {
            let now = clock.now
            if signUpThrottle.isBlocked(address, now: now) { throw StrongroomError.throttled }
            signUpThrottle.recordFailure(address, now: now)
        }
        let normalised = try Self.validateLogin(login)
        try Self.validatePassword(password)
        // The password's one copy beyond the caller's String (see ``guardedPassword(_:)``).
        guard let secret = try Self.guardedPassword(password) else {
            throw StrongroomError.invalid("weak_password", "the password must have at least 12 characters")
        }
        let index = try loginIndex(normalised)
        // A taken login costs the same Argon2id work and creates nothing: no subject key, no row.
        let taken = try await database.read { db in
            try Int.fetchOne(db, sql: "SELECT 1 FROM accounts WHERE login_index = ?", arguments: [Data(index)]) != nil
        }
        let hash = try await hasher.hash(secret)
        if taken { return }
        let now = clock.now.millis
        let accountID = Self.newID("acc")
        let subjectID = Self.newID("sub")
        let subjectKey = try subjectKeys.keyID(subject: subjectID, scope: "subject")
        let sealedLogin = try sealer.seal(
            Array(normalised.utf8), for: FieldPlace(collection: Self.collection, recordID: accountID, field: "login"),
            subjectKeyID: subjectKey)
        let keyVersion = try FieldSealer.keyVersion(of: sealedLogin).version
        var row = AccountRow(
            id: accountID, kind: "citizen", loginIndex: index, passwordHash: hash, roles: ["citizen"], office: nil,
            subjectID: subjectID, createdAt: now)
        row.fieldRevisions.set(try SealedEnvelope.revision(of: sealedLogin), collection: Self.collection, field: "login")
        let newRow = try integrity.authenticated(row)
        let audit = self.audit
        try await writer.write { db in
            if try Int.fetchOne(db, sql: "SELECT 1 FROM accounts WHERE login_index = ?", arguments: [Data(index)]) != nil {
                return
            }
            try newRow.insert(db)
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
    /// Repeated failures on one login make it wait (``SignInDelay``: after ``StrongroomConfiguration/loginFailureLimit``
    /// failures in a row, 1 s, 2 s, 4 s … up to ``StrongroomConfiguration/loginDelayCapSeconds``); an attempt during the
    /// wait answers `too_many_attempts` (429) with the seconds left in ``StrongroomError/retryAfterSeconds``, and its
    /// password is not even checked — unless it carries a one-time code: a staff member who gives the right password
    /// with a valid code signs in while someone else's failures hold the login back (the second factor proves it is
    /// them; a wrong pair answers the same 429 and counts as a failure). Logins without an account wait exactly alike,
    /// after the same work, so neither the words nor the timing say whether a login exists. The per-address throttle
    /// comes first and is not passed by any code.
    ///
    /// - Throws: ``StrongroomError/badCredentials`` for any wrong detail, `too_many_attempts` while the address is
    ///   throttled or the login is waiting, `mfa_required` when a staff member gave no code (which counts as a failed
    ///   sign-in and is audited with reason `mfa-missing`).
    public func logIn(login: String, password: String, oneTimeCode: String? = nil, address: String, context: AccessContext) async throws -> Session {
        let now = clock.now
        if addressThrottle.isBlocked(address, now: now) {
            try await recordSignInFailure(accountID: nil, reason: "address-throttled", context: context)
            throw StrongroomError.throttled(retryAfter: addressThrottle.secondsUntilOpen(address, now: now))
        }
        guard let normalised = try? Self.validateLogin(login), password.utf8.count <= 1024 else {
            addressThrottle.recordFailure(address, now: now)
            _ = await hasher.verify(nil, against: decoyHash)
            throw StrongroomError.badCredentials
        }
        // Copied once into guarded memory, used for every Argon2id call below (and the rehash), wiped on release.
        let secret = try Self.guardedPassword(password)
        let index = try loginIndex(normalised)
        let found = try await database.read { db in
            try AccountRow.fetchOne(db, sql: "SELECT * FROM accounts WHERE login_index = ?", arguments: [Data(index)])
        }
        if let found, (try? integrity.check(found)) == nil {
            // An account row that fails its MAC signs nobody in; it answers as a wrong password does, after the same work.
            await integrity.raiseAlarm(IntegrityViolation(table: AccountRow.macTable, key: found.id), requestID: context.requestID)
            addressThrottle.recordFailure(address, now: now)
            _ = await hasher.verify(secret, against: decoyHash)
            throw StrongroomError.badCredentials
        }
        let unknownKey = index.hexString
        let waitingUntil: Date? = if let found { delay.waitingUntil(row: found, now: now) } else { unknownLogins.waitingUntil(unknownKey, now: now) }
        if let waitingUntil {
            return try await signInWhileWaiting(
                found, unknownKey: unknownKey, until: waitingUntil, password: secret, oneTimeCode: oneTimeCode, address: address, now: now,
                context: context)
        }
        guard let row = found else {
            unknownLogins.recordFailure(unknownKey, now: now)
            addressThrottle.recordFailure(address, now: now)
            _ = await hasher.verify(secret, against: decoyHash)
            try await recordUnknownLoginFailure(reason: "bad-credentials", context: context)
            throw StrongroomError.badCredentials
        }
        let passwordOK = await hasher.verify(secret, against: row.passwordHash)
        guard passwordOK, row.status == "active" else {
            addressThrottle.recordFailure(address, now: now)
            try await recordFailedPassword(row, now: now, context: context)
            throw StrongroomError.badCredentials
        }
        var strength = "password"
        if row.kind == "staff" {
            guard let oneTimeCode, !oneTimeCode.isEmpty else {
                // A right password without its code counts as a failure (towards the delay) and is audited, so
                // someone guessing staff passwords gets no silent confirmation and no free attempts.
                addressThrottle.recordFailure(address, now: now)
                try await recordFailedPassword(row, now: now, context: context, reason: "mfa-missing")
                throw StrongroomError(.unauthenticated, code: "mfa_required", message: "staff sign-in needs the 6-digit code from the authenticator app")
            }
            guard try await verifyOneTimeCode(oneTimeCode, account: row, now: now) else {
                addressThrottle.recordFailure(address, now: now)
                try await recordFailedPassword(row, now: now, context: context)
                throw StrongroomError.badCredentials
            }
            strength = "mfa"
        }
        if hasher.needsRehash(row.passwordHash), let secret { await rehash(row, password: secret) }
        return try await createSession(for: row, strength: strength, now: now, context: context)
    }

    /// An attempt on a login that is waiting (see ``logIn(login:password:oneTimeCode:address:context:)``). Without a
    /// code: refused at once (429, audited, not counted: no password was tried). With one: the password is verified —
    /// against the account's hash or the decoy, the same work — and only a staff account's right password with a valid
    /// code signs in; anything else answers the same 429 and counts as a failure.
    private func signInWhileWaiting(
        _ row: AccountRow?, unknownKey: String, until: Date, password: SecretBytes?, oneTimeCode: String?, address: String, now: Date,
        context: AccessContext
    ) async throws -> Session {
        guard let oneTimeCode, !oneTimeCode.isEmpty else {
            try await recordSignInFailure(accountID: row?.id, subjectID: row?.subjectID, reason: "login-delayed", context: context)
            throw StrongroomError.throttled(retryAfter: until.timeIntervalSince(now))
        }
        let passwordOK = await hasher.verify(password, against: row?.passwordHash ?? decoyHash)
        if let row, passwordOK, row.status == "active", row.kind == "staff", try await verifyOneTimeCode(oneTimeCode, account: row, now: now) {
            if hasher.needsRehash(row.passwordHash), let password { await rehash(row, password: password) }
            return try await createSession(for: row, strength: "mfa", now: now, context: context, details: ["passed_delay": "true"])
        }
        addressThrottle.recordFailure(address, now: now)
        let next: Date?
        if let row {
            next = try await recordFailedPassword(row, now: now, context: context, reason: "delayed-bad-credentials")
        } else {
            next = unknownLogins.recordFailure(unknownKey, now: now)
            try await recordUnknownLoginFailure(reason: "delayed-bad-credentials", context: context)
        }
        throw StrongroomError.throttled(retryAfter: (next ?? until).timeIntervalSince(now))
    }

    /// The caller behind a bearer token, or ``StrongroomError/unauthenticated``.
    ///
    /// A session or account row that fails its MAC answers the same (and raises the integrity alarm).
    public func authenticate(token: String) async throws -> AuthenticatedCaller {
        guard var raw = Self.tokenBytes(token) else { throw StrongroomError.unauthenticated }
        defer { SecretBytes.wipe(&raw) }
        var hashes = [try integrity.authenticator.tokenHash(raw)]
        let now = clock.now.millis
        let integrity = self.integrity
        var found = try await lookUpSession(hashes: hashes, now: now)
        if found == nil {
            // Sessions made before an index key rotation are stored under an older key version.
            hashes = try integrity.authenticator.olderTokenHashes(raw)
            if !hashes.isEmpty { found = try await lookUpSession(hashes: hashes, now: now) }
        }
        switch found {
        case .none, .some(.inactive): throw StrongroomError.unauthenticated
        case .some(.forged(let violation)):
            await integrity.raiseAlarm(violation, requestID: "authenticate")
            throw StrongroomError.unauthenticated
        case .some(.valid(let account, let session)):
            let idleLimit = Int64((account.kind == "staff" ? configuration.staffSessionIdleSeconds : configuration.sessionIdleSeconds) * 1000)
            guard now - session.idleSince < idleLimit else { throw StrongroomError.unauthenticated }
            // The last use is written at most once a minute (a write per request would cost every read a commit).
            if now - session.idleSince >= min(Self.lastSeenResolutionMillis, idleLimit / 4) {
                try await touch(session.tokenHash, at: now)
            }
            return Self.caller(for: account, strength: session.strength)
        }
    }

    /// Re-hashes a right password whose stored hash was made with weaker Argon2id limits than those configured now
    /// (best effort: the sign-in goes on if it fails; the next sign-in tries again).
    private func rehash(_ row: AccountRow, password: SecretBytes) async {
        guard let fresh = try? await hasher.hash(password) else { return }
        let integrity = self.integrity, old = row.passwordHash, id = row.id
        _ = try? await writer.write { db in
            guard var current = try AccountRow.fetchOne(db, sql: "SELECT * FROM accounts WHERE id = ?", arguments: [id]),
                (try? integrity.check(current)) != nil, current.passwordHash == old
            else { return }
            current.passwordHash = fresh
            try integrity.authenticate(&current)
            try current.update(db)
        }
    }

    /// Changes the caller's password: the current one must be right (a wrong one counts towards the sign-in delay like
    /// a failed sign-in, and the delay applies here too), the new one must be acceptable; every other session of the account is signed out, and the
    /// change is audited.
    ///
    /// - Throws: `unauthenticated` (no live session), `bad_credentials` (wrong current password), `weak_password`.
    public func changePassword(token: String, current: String, new: String, context: AccessContext) async throws {
        let caller = try await authenticate(token: token)
        try Self.validatePassword(new)
        let id = caller.accountID
        guard let row = try await database.read({ db in
            try AccountRow.fetchOne(db, sql: "SELECT * FROM accounts WHERE id = ?", arguments: [id])
        }), (try? integrity.check(row)) != nil else { throw StrongroomError.unauthenticated }
        let now = clock.now
        if let until = delay.waitingUntil(row: row, now: now) { throw StrongroomError.throttled(retryAfter: until.timeIntervalSince(now)) }
        guard current.utf8.count <= 1024, await hasher.verify(try Self.guardedPassword(current), against: row.passwordHash) else {
            try await recordFailedPassword(row, now: now, context: context)
            throw StrongroomError.badCredentials
        }
        guard let newSecret = try Self.guardedPassword(new) else { throw StrongroomError.invalid("weak_password", "the password must have at least 12 characters") }
        let fresh = try await hasher.hash(newSecret)
        guard var raw = Self.tokenBytes(token) else { throw StrongroomError.unauthenticated }
        defer { SecretBytes.wipe(&raw) }
        let keep = try integrity.authenticator.tokenHash(raw)
        let integrity = self.integrity, audit = self.audit, old = row.passwordHash, millis = now.millis
        try await writer.write { db in
            guard var account = try AccountRow.fetchOne(db, sql: "SELECT * FROM accounts WHERE id = ?", arguments: [id]),
                (try? integrity.check(account)) != nil, account.passwordHash == old
            else { throw StrongroomError(.conflict, code: "password_changed", message: "the password was changed meanwhile; sign in again") }
            account.passwordHash = fresh
            try integrity.authenticate(&account)
            try account.update(db)
            let ended = try SessionRow.revokeAll(of: [id], keeping: keep, at: millis, integrity: integrity, in: db)
            try audit.record(
                AuditEntryDraft(
                    actor: AuditActor(id: id, role: caller.auditRole), action: "account.password-change",
                    target: AuditTarget(collection: "accounts", recordID: id), decision: .allow(), requestID: context.requestID,
                    details: ["other_sessions_ended": String(ended)]),
                in: db)
        }
    }

    /// How often a session's last use is written while it is in use.
    static let lastSeenResolutionMillis: Int64 = 60_000

    /// Records that the session was used at `now` (re-authenticated; a row that no longer verifies is left alone).
    private func touch(_ tokenHash: [UInt8], at now: Int64) async throws {
        let integrity = self.integrity
        try await writer.write { db in
            guard var session = try SessionRow.find(tokenHash: tokenHash, in: db), (try? integrity.check(session)) != nil,
                session.revokedAt == nil
            else { return }
            session.lastSeenAt = max(session.lastSeenAt ?? now, now)
            try integrity.authenticate(&session)
            try session.updateLastSeen(db)
        }
    }

    /// Signs out every session of the token's account ("sign out everywhere"): the token's own and every other.
    ///
    /// - Throws: `unauthenticated` for a token that is not a live session.
    public func logOutEverywhere(token: String, context: AccessContext) async throws {
        let caller = try await authenticate(token: token)
        let now = clock.now.millis
        let audit = self.audit, integrity = self.integrity
        let accountID = caller.accountID
        try await writer.write { db in
            let open = try SessionRow.revokeAll(of: [accountID], at: now, integrity: integrity, in: db)
            try audit.record(
                AuditEntryDraft(
                    actor: AuditActor(id: accountID, role: caller.auditRole), action: "session.revoke-all",
                    target: AuditTarget(collection: "sessions", recordID: accountID), decision: .allow(), requestID: context.requestID,
                    details: ["sessions": String(open)]),
                in: db)
        }
    }

    /// Deletes sessions that ended (revoked, expired or idle past the longest idle limit) more than
    /// ``StrongroomConfiguration/sessionPurgeDays`` ago. Returns how many went.
    @discardableResult
    public func purgeEndedSessions() async throws -> Int {
        let now = clock.now.millis
        let horizon = now - Int64(configuration.sessionPurgeDays * 86_400_000)
        let idle = Int64(max(configuration.sessionIdleSeconds, configuration.staffSessionIdleSeconds) * 1000)
        return try await writer.write { db in
            try db.execute(
                sql: """
                    DELETE FROM sessions WHERE (revoked_at IS NOT NULL AND revoked_at < ?1) OR expires_at < ?1
                    OR max(ifnull(last_seen_at, created_at), created_at) + ?2 < ?1
                    """,
                arguments: [horizon, idle])
            return db.changesCount
        }
    }

    private enum SessionLookup: Sendable {
        case inactive
        case valid(AccountRow, SessionRow)
        case forged(IntegrityViolation)
    }

    /// The session under one of `hashes`: `nil` when there is none, `.inactive` when it is revoked, expired or its account
    /// is not active.
    private func lookUpSession(hashes: [[UInt8]], now: Int64) async throws -> SessionLookup? {
        let integrity = self.integrity
        return try await database.read { db -> SessionLookup? in
            for hash in hashes {
                guard let session = try SessionRow.find(tokenHash: hash, in: db) else { continue }
                do {
                    try integrity.check(session)
                    guard session.revokedAt == nil, session.expiresAt > now else { return SessionLookup.inactive }
                    guard let account = try integrity.checkIfFound(
                        try AccountRow.fetchOne(db.cachedStatement(sql: "SELECT * FROM accounts WHERE id = ?"), arguments: [session.accountID])),
                        account.status == "active"
                    else { return SessionLookup.inactive }
                    return .valid(account, session)
                } catch let violation as IntegrityViolation {
                    return .forged(violation)
                }
            }
            return nil
        }
    }

    /// Revokes the session behind `token`. Revoking an unknown or expired token is not an error.
    public func logOut(token: String, context: AccessContext) async throws {
        guard var raw = Self.tokenBytes(token) else { return }
        defer { SecretBytes.wipe(&raw) }
        let hashes = [try integrity.authenticator.tokenHash(raw)] + (try integrity.authenticator.olderTokenHashes(raw))
        let now = clock.now.millis
        let audit = self.audit, integrity = self.integrity
        try await writer.write { db in
            guard var session = try hashes.lazy.compactMap({ try SessionRow.find(tokenHash: $0, in: db) }).first,
                session.revokedAt == nil, (try? integrity.check(session)) != nil
            else { return }
            session.revokedAt = now
            try integrity.authenticate(&session)
            try session.updateRevocation(db)
            try audit.record(
                AuditEntryDraft(
                    actor: AuditActor(id: session.accountID, role: "session"), action: "session.revoke",
                    target: AuditTarget(collection: "sessions", recordID: session.accountID), decision: .allow(), requestID: context.requestID),
                in: db)
        }
    }

    // MARK: - Internals

    private func createSession(
        for row: AccountRow, strength: String, now: Date, context: AccessContext, details: [String: String] = [:]
    ) async throws -> Session {
        var raw = SecureRandom.bytes(count: 32)
        let token = Base64URL.encode(raw)
        let hash = try integrity.authenticator.tokenHash(raw)
        SecretBytes.wipe(&raw)
        let expires = now.addingTimeInterval(configuration.sessionLifetime)
        let caller = Self.caller(for: row, strength: strength)
        let session = try integrity.authenticated(
            SessionRow(tokenHash: hash, accountID: row.id, createdAt: now.millis, expiresAt: expires.millis, strength: strength))
        let audit = self.audit
        try await writer.write { db in
            try session.insert(db)
            try db.execute(sql: "UPDATE accounts SET failed_logins = 0, locked_until = 0, last_failed_login_at = 0 WHERE id = ?", arguments: [row.id])
            try audit.record(
                AuditTrail.draft(
                    caller: caller, action: "session.create",
                    target: AuditTarget(collection: Self.collection, recordID: row.id, subjectID: row.subjectID),
                    decision: nil, context: context, details: details.merging(["strength": strength]) { $1 }),
                in: db)
        }
        return Session(token: token, accountID: row.id, expiresAt: expires, caller: caller)
    }

    /// Counts a failed sign-in on `row` (the delay grows: ``SignInDelay``) and records the refusal (``RefusalLog``: the
    /// first of a window at once, in the same transaction as the count). Returns when the next attempt is considered
    /// (`nil`: at once).
    @discardableResult
    private func recordFailedPassword(
        _ row: AccountRow, now: Date, context: AccessContext, reason: String = "bad-credentials"
    ) async throws -> Date? {
        let delay = self.delay
        let id = row.id, nowMillis = now.millis
        let draft = AuditEntryDraft(
            actor: AuditActor(id: row.id, role: "anonymous"), action: "session.create",
            target: AuditTarget(collection: Self.collection, recordID: row.id, subjectID: row.subjectID),
            decision: .deny(), requestID: bounded(context.requestID, 128), details: ["reason": reason])
        return try await refusals.record(draft) { db -> Date? in
            // Read and written in the one transaction, so concurrent failures each count.
            guard let counters = try Row.fetchOne(
                db, sql: "SELECT failed_logins, last_failed_login_at FROM accounts WHERE id = ?", arguments: [id])
            else { return nil }
            let stored: Int = counters["failed_logins"], last: Int64 = counters["last_failed_login_at"]
            let failures = delay.current(stored, lastFailure: last > 0 ? Date(millis: last) : nil, now: now) + 1
            let until = delay.waitingUntil(failures: failures, lastFailure: now, now: now)
            try db.execute(
                sql: "UPDATE accounts SET failed_logins = ?, last_failed_login_at = ?, locked_until = ? WHERE id = ?",
                arguments: [failures, nowMillis, until?.millis ?? 0, id])
            return until
        }
    }

    /// Records a failed sign-in on a login without an account. Like a real account's failure (whose counter is written
    /// every time), it commits a one-row write every time — the count in `sign_in_pace`, nothing about the login — so
    /// that a commit's cost does not tell the two apart; the refusal itself goes through ``RefusalLog`` in the same
    /// transaction.
    private func recordUnknownLoginFailure(reason: String, context: AccessContext) async throws {
        _ = try await refusals.record(
            AuditEntryDraft(
                actor: AuditActor(id: "anonymous", role: "anonymous"), action: "session.create",
                target: AuditTarget(collection: Self.collection), decision: .deny(), requestID: bounded(context.requestID, 128),
                details: ["reason": reason])
        ) { db in
            try db.execute(sql: "UPDATE sign_in_pace SET failures = failures + 1 WHERE id = 1")
        }
    }

    /// Records a refused sign-in that no account's counter answers for (throttled address, unknown login, a waiting
    /// login): through ``RefusalLog``, so that a flood of them adds a bounded number of entries.
    private func recordSignInFailure(accountID: String?, subjectID: String? = nil, reason: String, context: AccessContext) async throws {
        try await refusals.record(
            AuditEntryDraft(
                actor: AuditActor(id: accountID ?? "anonymous", role: "anonymous"), action: "session.create",
                target: AuditTarget(collection: Self.collection, recordID: accountID, subjectID: subjectID), decision: .deny(),
                requestID: bounded(context.requestID, 128), details: ["reason": reason]))
    }

    /// Checks a staff member's one-time code and consumes its time step, so the same code cannot open a second
    /// session (RFC 6238 section 5.2).
    func verifyOneTimeCode(_ code: String, account: AccountRow, now: Date) async throws -> Bool {
        let accountID = account.id
        let place = FieldPlace(collection: Self.collection, recordID: accountID, field: "totp_secret")
        let envelopes = try await database.read { db in
            try FieldRows.sealed(collection: Self.collection, recordID: accountID, fields: ["totp_secret"], in: db)
        }
        guard let envelope = envelopes.first else { return false }
        guard account.fieldRevisions.admits(envelope.bytes, collection: Self.collection, field: "totp_secret") else {
            // An older secret copied back (for example one the attacker enrolled earlier) is a rollback, not a code.
            await integrity.raiseAlarm(IntegrityViolation(table: "sealed_fields", key: place.description), requestID: "sign-in")
            return false
        }
        // Opened straight into guarded memory: the secret never lies in an ordinary array.
        let secret = try sealer.openSecret(envelope.bytes, at: place)
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

    /// The 32 bytes of a well-formed bearer token (the caller wipes them), or `nil`.
    static func tokenBytes(_ token: String) -> [UInt8]? {
        guard token.utf8.count == 43, var raw = Base64URL.decode(token) else { return nil }
        guard raw.count == 32 else {
            SecretBytes.wipe(&raw)
            return nil
        }
        return raw
    }

    /// A password that arrived as text (JSON or a form field), copied once into guarded memory for Argon2id; `nil`
    /// for the empty password. The `String` cannot be wiped (Swift strings are immutable values that the runtime
    /// may have copied already, like the HTTP body they were decoded from): callers keep it no longer than the
    /// request and make no other copy of it — no `Array(password.utf8)`, no `Data`, no log.
    static func guardedPassword(_ password: String) throws -> SecretBytes? {
        password.isEmpty ? nil : try SecretBytes.copyingUTF8(of: password)
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

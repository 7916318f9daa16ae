import AuditLog
import GRDB
import Sealing
import Sodium
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension AccountService {
    /// The roles a staff account may hold.
    public static let staffRoles: Set<String> = ["caseworker", "supervisor", "auditor", "security-officer", "administrator"]

    /// What an administrator hands to a new staff member, once. Neither value is stored in clear.
    public struct StaffEnrolment: Sendable {
        public let accountID: String
        public let login: String
        /// A generated initial password (shown once).
        public let password: String
        /// The `otpauth://` URI for the authenticator app (shown once).
        public let oneTimeCodeURI: String
    }

    /// A staff account as listed by `staff list`.
    public struct StaffSummary: Sendable, Equatable {
        public let accountID: String
        public let login: String
        public let roles: [String]
        public let office: String?
        public let status: String
        public let createdAt: Date
    }

    /// Creates a staff account with roles and an office, a generated password and a TOTP secret.
    ///
    /// - Throws: `invalid_role` for a role outside ``staffRoles``; `login_taken` when the login exists.
    public func addStaff(
        login: String, roles: Set<String>, office: String?, password: String? = nil, by operatorCaller: AuthenticatedCaller,
        context: AccessContext
    ) async throws -> StaffEnrolment {
        try await addStaff(login: login, roles: roles, office: office, password: password, by: operatorCaller, context: context, onlyIfNoAdministrator: false)
    }

    /// - Parameter onlyIfNoAdministrator: refuse (`administrator_exists`, nothing written) when an active administrator
    ///   exists, checked in the transaction that inserts the account (``Installation/bootstrapAdministrator(login:access:)``).
    func addStaff(
        login: String, roles: Set<String>, office: String?, password: String? = nil, by operatorCaller: AuthenticatedCaller,
        context: AccessContext, onlyIfNoAdministrator: Bool
    ) async throws -> StaffEnrolment {
        let normalised = try Self.validateLogin(login)
        guard !roles.isEmpty, roles.isSubset(of: Self.staffRoles) else {
            throw StrongroomError.invalid("invalid_role", "staff roles must be among: \(Self.staffRoles.sorted().joined(separator: ", "))")
        }
        if roles.contains("caseworker") || roles.contains("supervisor"), office == nil {
            throw StrongroomError.invalid("office_required", "caseworkers and supervisors need an --office")
        }
        // The initial password is text by nature: it is shown once to the administrator (the enrolment's `password`).
        let initialPassword = password ?? Self.generatePassword()
        try Self.validatePassword(initialPassword)
        guard let secret = try Self.guardedPassword(initialPassword) else { throw StrongroomError.invalid("weak_password", "the password must have at least 12 characters") }
        let hash = try await hasher.hash(secret)
        let index = try loginIndex(normalised)
        let accountID = Self.newID("stf")
        let now = clock.now.millis
        // Generated, sealed and (for the enrolment URI) encoded from guarded memory; see ``FieldSealer/sealSecret(_:for:subjectKeyID:revision:)``.
        let totpSecret = try SecretBytes(randomCount: 20)
        let sealedSecret = try sealer.sealSecret(totpSecret, for: FieldPlace(collection: Self.collection, recordID: accountID, field: "totp_secret"))
        let sealedLogin = try sealer.seal(Array(normalised.utf8), for: FieldPlace(collection: Self.collection, recordID: accountID, field: "login"))
        let version = try FieldSealer.keyVersion(of: sealedLogin).version
        var row = AccountRow(
            id: accountID, kind: "staff", loginIndex: index, passwordHash: hash, roles: Array(roles), office: office,
            subjectID: nil, createdAt: now)
        row.fieldRevisions.set(try SealedEnvelope.revision(of: sealedLogin), collection: Self.collection, field: "login")
        row.fieldRevisions.set(try SealedEnvelope.revision(of: sealedSecret), collection: Self.collection, field: "totp_secret")
        let newRow = try integrity.authenticated(row)
        let audit = self.audit
        try await writer.write { db in
            if onlyIfNoAdministrator, try Self.hasActiveAdministrator(db) {
                throw StrongroomError.conflict(
                    "administrator_exists",
                    "this installation already has an administrator: they add staff with `strongroom staff add --operator LOGIN`")
            }
            if try Int.fetchOne(db, sql: "SELECT 1 FROM accounts WHERE login_index = ?", arguments: [Data(index)]) != nil {
                throw StrongroomError.conflict("login_taken", "a staff or citizen account already uses this login; choose another")
            }
            try newRow.insert(db)
            try FieldRows.putSealed(sealedLogin, keyVersion: version, collection: Self.collection, recordID: accountID, field: "login", subjectID: nil, at: now, in: db)
            try FieldRows.putSealed(sealedSecret, keyVersion: version, collection: Self.collection, recordID: accountID, field: "totp_secret", subjectID: nil, at: now, in: db)
            try audit.record(
                AuditTrail.draft(
                    caller: operatorCaller, action: "staff.create", target: AuditTarget(collection: Self.collection, recordID: accountID),
                    fields: ["login", "password", "totp_secret"], decision: nil, context: context,
                    details: ["roles": roles.sorted().joined(separator: ","), "office": office ?? ""]),
                in: db)
        }
        let issuer = "Strongroom"
        let uri = "otpauth://totp/\(issuer):\(Self.percentEncode(normalised))?secret=\(TOTP.base32(totpSecret))&issuer=\(issuer)&algorithm=SHA1&digits=6&period=30"
        return StaffEnrolment(accountID: accountID, login: normalised, password: initialPassword, oneTimeCodeURI: uri)
    }

    /// Whether an active staff account holds the administrator role (a row that fails its MAC counts too: it can only
    /// make bootstrapping refuse).
    static func hasActiveAdministrator(_ db: Database) throws -> Bool {
        try Int.fetchOne(
            db, sql: "SELECT 1 FROM accounts WHERE kind = 'staff' AND status = 'active' AND (',' || roles || ',') LIKE '%,administrator,%'") != nil
    }

    /// Every staff account (logins opened for the operator; the listing itself is audited).
    public func listStaff(by operatorCaller: AuthenticatedCaller, context: AccessContext) async throws -> [StaffSummary] {
        let rows = try await database.read { db in
            try AccountRow.fetchAll(db, sql: "SELECT * FROM accounts WHERE kind = 'staff' ORDER BY created_at")
        }
        var result: [StaffSummary] = []
        for row in rows {
            // A forged or altered staff row is not listed as staff: it is refused and alarmed.
            guard (try? integrity.check(row)) != nil else {
                await integrity.raiseAlarm(IntegrityViolation(table: AccountRow.macTable, key: row.id), requestID: context.requestID)
                continue
            }
            let envelopes = try await database.read { db in
                try FieldRows.sealed(collection: Self.collection, recordID: row.id, fields: ["login"], in: db)
            }
            let login = try envelopes.first.map { envelope -> String in
                guard row.fieldRevisions.admits(envelope.bytes, collection: Self.collection, field: "login") else { return "?" }
                return String(decoding: try sealer.open(envelope.bytes, at: FieldPlace(collection: Self.collection, recordID: row.id, field: "login")), as: UTF8.self)
            } ?? "?"
            result.append(StaffSummary(
                accountID: row.id, login: login, roles: row.roleSet.sorted(), office: row.office, status: row.status,
                createdAt: Date(millis: row.createdAt)))
        }
        let audit = self.audit
        try await writer.write { db in
            try audit.record(
                AuditTrail.draft(
                    caller: operatorCaller, action: "staff.list", target: AuditTarget(collection: Self.collection),
                    fields: ["login"], decision: nil, context: context, details: ["count": String(rows.count)]),
                in: db)
        }
        return result
    }

    /// Disables a staff account and revokes its sessions.
    public func disableStaff(login: String, by operatorCaller: AuthenticatedCaller, context: AccessContext) async throws {
        let index = try loginIndex(try Self.validateLogin(login))
        let now = clock.now.millis
        let audit = self.audit, integrity = self.integrity
        try await writer.write { db in
            guard var row = try AccountRow.fetchOne(db, sql: "SELECT * FROM accounts WHERE login_index = ? AND kind = 'staff'", arguments: [Data(index)]) else {
                throw StrongroomError.notFound("staff account")
            }
            let id = row.id
            // Disabling is safe even for a row that fails its MAC (it only takes access away), and it MACs the row
            // only as disabled.
            row.status = "disabled"
            try integrity.authenticate(&row)
            try row.update(db)
            try SessionRow.revokeAll(of: [id], at: now, integrity: integrity, in: db)
            try audit.record(
                AuditTrail.draft(
                    caller: operatorCaller, action: "staff.disable", target: AuditTarget(collection: Self.collection, recordID: id),
                    decision: nil, context: context),
                in: db)
        }
    }

    /// A new authenticator enrolment for a staff member who lost theirs (shown once, like ``StaffEnrolment``).
    public struct SecondFactorReset: Sendable {
        public let accountID: String
        public let login: String
        /// The new `otpauth://` URI for the authenticator app (shown once; it holds the new secret).
        public let oneTimeCodeURI: String
    }

    /// Gives an active staff account a new authenticator secret and ends its sessions, in one transaction with its
    /// audit entry (`staff.reset-mfa`). Codes from the old secret stop working at once; the account's password is
    /// unchanged. The row must pass its integrity check: re-MACing a forged row would launder it.
    ///
    /// - Throws: `not_found` when there is no active staff account with this login; `own_account` when the operator
    ///   resets their own (another administrator must, so that a stolen session cannot take over the second factor).
    public func resetSecondFactor(login: String, by operatorCaller: AuthenticatedCaller, context: AccessContext) async throws -> SecondFactorReset {
        let normalised = try Self.validateLogin(login)
        let index = try loginIndex(normalised)
        let found = try await database.read { db in
            try AccountRow.fetchOne(db, sql: "SELECT * FROM accounts WHERE login_index = ? AND kind = 'staff'", arguments: [Data(index)])
        }
        guard let found, found.status == "active" else { throw StrongroomError.notFound("staff account") }
        guard (try? integrity.check(found)) != nil else {
            await integrity.raiseAlarm(IntegrityViolation(table: AccountRow.macTable, key: found.id), requestID: context.requestID)
            throw StrongroomError.notFound("staff account")
        }
        guard found.id != operatorCaller.accountID else {
            throw StrongroomError.invalid("own_account", "you cannot reset your own second factor; ask another administrator")
        }
        let accountID = found.id
        let place = FieldPlace(collection: Self.collection, recordID: accountID, field: "totp_secret")
        let totpSecret = try SecretBytes(randomCount: 20)
        let sealedSecret = try sealer.sealSecret(totpSecret, for: place)
        let version = try FieldSealer.keyVersion(of: sealedSecret).version
        let revision = try SealedEnvelope.revision(of: sealedSecret)
        let now = clock.now.millis
        let audit = self.audit, integrity = self.integrity
        try await writer.write { db in
            // Read again inside the write: the row must still be the one checked (not disabled or changed meanwhile).
            guard var row = try AccountRow.fetchOne(db, sql: "SELECT * FROM accounts WHERE id = ?", arguments: [accountID]),
                row.status == "active", (try? integrity.check(row)) != nil
            else {
                throw StrongroomError.notFound("staff account")
            }
            row.fieldRevisions.set(revision, collection: Self.collection, field: "totp_secret")
            try integrity.authenticate(&row)
            try row.update(db)
            try FieldRows.putSealed(sealedSecret, keyVersion: version, collection: Self.collection, recordID: accountID, field: "totp_secret", subjectID: nil, at: now, in: db)
            // The replay guard counted steps of the old secret; the new one starts unused.
            try db.execute(sql: "UPDATE accounts SET totp_last_step = 0 WHERE id = ?", arguments: [accountID])
            let ended = try SessionRow.revokeAll(of: [accountID], at: now, integrity: integrity, in: db)
            try audit.record(
                AuditTrail.draft(
                    caller: operatorCaller, action: "staff.reset-mfa", target: AuditTarget(collection: Self.collection, recordID: accountID),
                    fields: ["totp_secret"], decision: nil, context: context, details: ["sessions_ended": String(ended)]),
                in: db)
        }
        let issuer = "Strongroom"
        let uri = "otpauth://totp/\(issuer):\(Self.percentEncode(normalised))?secret=\(TOTP.base32(totpSecret))&issuer=\(issuer)&algorithm=SHA1&digits=6&period=30"
        return SecondFactorReset(accountID: accountID, login: normalised, oneTimeCodeURI: uri)
    }

    /// The current one-time code of a staff account. Demo mode and tests only: a real deployment never reads
    /// the TOTP secret back.
    public func unsafeCurrentOneTimeCode(accountID: String) throws -> String {
        let place = FieldPlace(collection: Self.collection, recordID: accountID, field: "totp_secret")
        let envelopes = try database.readBlocking { db in
            try FieldRows.sealed(collection: Self.collection, recordID: accountID, fields: ["totp_secret"], in: db)
        }
        guard let envelope = envelopes.first else { throw StrongroomError.notFound("staff account") }
        let secret = try sealer.openSecret(envelope.bytes, at: place)
        return TOTP.code(secret: secret, at: Int64(clock.now.timeIntervalSince1970))
    }

    static func generatePassword() -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        return String((0..<20).map { _ in alphabet[Int(SecureRandom.uniform(UInt32(alphabet.count)))] })
    }

    static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if c.isASCII && (c.isLetter || c.isNumber || "-._~@".contains(c)) { out.append(c) } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension String {
    func leftPadded(to length: Int) -> String { count >= length ? self : String(repeating: "0", count: length - count) + self }
}

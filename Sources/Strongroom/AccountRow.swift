import GRDB
import Policy
import Sealing

/// One row of `accounts`: ids, roles, state and hashes; no personal data in clear.
struct AccountRow: Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "accounts"

    var id: String
    var kind: String
    var loginIndex: [UInt8]
    var passwordHash: String
    var roles: String
    var office: String?
    var subjectID: String?
    var status: String
    var createdAt: Int64
    /// Failed sign-ins in a row (see ``SignInDelay``).
    var failedLogins: Int
    /// When the next sign-in attempt is considered (milliseconds; 0 or past: at once).
    var lockedUntil: Int64
    /// When the last of ``failedLogins`` happened (milliseconds; 0: never).
    var lastFailedLoginAt: Int64
    /// The revisions of the account's sealed fields (login, one-time-code secret, profile fields), canonical text.
    var fieldRevisionsText: String
    var rowMAC: [UInt8]?

    init(row: Row) {
        id = row["id"]
        kind = row["kind"]
        loginIndex = [UInt8]((row["login_index"] as Data?) ?? Data())
        passwordHash = row["password_hash"]
        roles = row["roles"]
        office = row["office"]
        subjectID = row["subject_id"]
        status = row["status"]
        createdAt = row["created_at"]
        failedLogins = row["failed_logins"]
        lockedUntil = row["locked_until"]
        lastFailedLoginAt = row["last_failed_login_at"]
        fieldRevisionsText = row["field_revisions"] ?? ""
        rowMAC = (row["row_mac"] as Data?).map { [UInt8]($0) }
    }

    init(
        id: String, kind: String, loginIndex: [UInt8], passwordHash: String, roles: [String], office: String?,
        subjectID: String?, createdAt: Int64
    ) {
        self.id = id
        self.kind = kind
        self.loginIndex = loginIndex
        self.passwordHash = passwordHash
        self.roles = roles.sorted().joined(separator: ",")
        self.office = office
        self.subjectID = subjectID
        self.status = "active"
        self.createdAt = createdAt
        self.failedLogins = 0
        self.lockedUntil = 0
        self.lastFailedLoginAt = 0
        self.fieldRevisionsText = ""
        self.rowMAC = nil
    }

    func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["kind"] = kind
        container["login_index"] = Data(loginIndex)
        container["password_hash"] = passwordHash
        container["roles"] = roles
        container["office"] = office
        container["subject_id"] = subjectID
        container["status"] = status
        container["created_at"] = createdAt
        container["failed_logins"] = failedLogins
        container["locked_until"] = lockedUntil
        container["last_failed_login_at"] = lastFailedLoginAt
        container["field_revisions"] = fieldRevisionsText
        container["row_mac"] = rowMAC.map { Data($0) }
    }

    var fieldRevisions: FieldRevisions {
        get { FieldRevisions(text: fieldRevisionsText) ?? FieldRevisions() }
        set { fieldRevisionsText = newValue.text }
    }

    var roleSet: Set<String> { Set(roles.split(separator: ",").map(String.init)) }
    var principalKind: Principal.Kind { kind == "staff" ? .staff : .citizen }
}

extension AccountRow: AuthenticatedRow {
    static let macTable = "accounts"
    var macKey: String { id }
    // The sign-in counters (failed_logins, locked_until, last_failed_login_at, totp_last_step) are not covered: see SECURITY.md.
    var macColumns: [RowValue] {
        [
            .text(kind), .blob(loginIndex), .text(passwordHash), .text(roles), office.map(RowValue.text) ?? .null,
            subjectID.map(RowValue.text) ?? .null, .text(status), .integer(createdAt), .text(fieldRevisionsText),
        ]
    }
}

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

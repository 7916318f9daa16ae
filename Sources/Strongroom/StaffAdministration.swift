import AuditLog
import Policy

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Staff administration for an administrator signed in to the staff pages: the same account operations as the
/// CLI's `staff` commands, but decided by the gate (`manage-staff` on `staff`, which the sample policies give
/// administrators with a second factor and the `administration` purpose). A refusal is audited like any denial;
/// each operation is audited by the account service as for the CLI.
extension Installation {
    /// The installation's first administrator, made by the system itself (actor `bootstrap`): the one way to an
    /// administrator without one (`strongroom staff bootstrap`). Refused once an active administrator exists — checked
    /// in the transaction that inserts the account, so two bootstraps at once make one.
    ///
    /// - Throws: `administrator_exists` (nothing written), `login_taken`, `invalid_login`.
    public func bootstrapAdministrator(login: String, access: AccessContext) async throws -> AccountService.StaffEnrolment {
        try await accounts.addStaff(
            login: login, roles: ["administrator"], office: nil, by: .system("bootstrap"), context: access, onlyIfNoAdministrator: true)
    }

    public func staffAccounts(caller: AuthenticatedCaller, access: AccessContext) async throws -> [AccountService.StaffSummary] {
        try await records.authorizeStaffAdministration(caller: caller, access: access, action: "staff.list", office: nil)
        return try await accounts.listStaff(by: caller, context: access)
    }

    public func addStaff(
        login: String, roles: Set<String>, office: String?, caller: AuthenticatedCaller, access: AccessContext
    ) async throws -> AccountService.StaffEnrolment {
        try await records.authorizeStaffAdministration(caller: caller, access: access, action: "staff.create", office: office)
        return try await accounts.addStaff(login: login, roles: roles, office: office, by: caller, context: access)
    }

    public func disableStaff(login: String, caller: AuthenticatedCaller, access: AccessContext) async throws {
        try await records.authorizeStaffAdministration(caller: caller, access: access, action: "staff.disable", office: nil)
        try await accounts.disableStaff(login: login, by: caller, context: access)
    }

    /// A new authenticator secret for another member of staff, shown once; their sessions end and their old codes stop
    /// working at once (see ``AccountService/resetSecondFactor(login:by:context:)``).
    public func resetStaffSecondFactor(login: String, caller: AuthenticatedCaller, access: AccessContext) async throws -> AccountService.SecondFactorReset {
        try await records.authorizeStaffAdministration(caller: caller, access: access, action: "staff.reset-mfa", office: nil)
        return try await accounts.resetSecondFactor(login: login, by: caller, context: access)
    }
}

extension RecordService {
    /// Decides `manage-staff` on the staff resource; a refusal is recorded in the audit log and thrown (403, or what
    /// to declare when only the purpose is missing).
    func authorizeStaffAdministration(caller: AuthenticatedCaller, access: AccessContext, action: String, office: String?) async throws {
        var attributes: [String: AttributeValue] = [:]
        if let office { attributes["office"] = .string(office) }
        let decision = decide(caller, .manageStaff, Resource(type: "staff", attributes: attributes), access)
        guard decision.isPermitted else {
            throw await denied(decision, caller: caller, action: action, target: AuditTarget(collection: AccountService.collection), access: access, hide: false)
        }
    }
}

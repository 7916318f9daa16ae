import AuditLog
import GRDB
import Policy
import Storage

/// Builds audit entries for service operations and appends them inside the caller's transaction.
///
/// Entries carry pseudonymous ids, field *names*, the decision and purpose — never a field value.
public struct AuditTrail: Sendable {
    let store: SQLiteAuditStore
    /// Whether the policy schema declares a purpose of use (always yes for tools that have no policies).
    let isDeclared: @Sendable (String) -> Bool

    /// What the log records for a purpose the policies do not declare. A caller-chosen header is free text (it may
    /// carry a name or a case story); the append-only log keeps only the names the agency declared.
    public static let undeclaredPurpose = "(undeclared)"
    /// Purposes the service itself declares for what it does on its own (rules deciding, fees falling due).
    static let systemPurposes: Set<String> = ["automatic-decision", "fee-collection"]

    init(store: SQLiteAuditStore, isDeclared: @escaping @Sendable (String) -> Bool = { _ in true }) {
        self.store = store
        self.isDeclared = isDeclared
    }

    /// Appends one entry in `db`'s open transaction: it commits with the write it records, or not at all.
    @discardableResult
    public func record(_ draft: AuditEntryDraft, in db: Database) throws -> AuditEntry {
        if let purpose = draft.purpose, !Self.systemPurposes.contains(purpose), !isDeclared(purpose) {
            var named = draft
            named.purpose = Self.undeclaredPurpose
            return try store.append(named, in: db)
        }
        return try store.append(draft, in: db)
    }

    /// The draft for a gated access.
    static func draft(
        caller: AuthenticatedCaller, action: String, target: AuditTarget, fields: [String] = [], decision: Decision?,
        context: AccessContext, extraFlags: AuditFlags = [], details: [String: String] = [:]
    ) -> AuditEntryDraft {
        var flags = extraFlags
        if decision?.obligations.breakGlass == true { flags.insert(.breakGlass) }
        var details = details
        if let decision, decision.obligations.mandatoryReview { details["review"] = "required" }
        // The office lets a citizen's access report say where an access came from without naming the person.
        if caller.kind == .staff, let office = caller.office { details["office"] = office }
        let effect: AuditDecision = (decision?.isPermitted ?? true) ? .allow(decision?.ruleIDs ?? []) : .deny(decision?.ruleIDs ?? [])
        return AuditEntryDraft(
            actor: AuditActor(id: caller.accountID, role: caller.auditRole), action: action, target: target,
            fieldsTouched: fields.sorted(), decision: effect, purpose: context.purpose.map { bounded($0, 64) },
            requestID: bounded(context.requestID, 128), flags: flags, details: details.mapValues { bounded($0, 512) })
    }
}

/// Caller-chosen strings (purpose, request id) are bounded before they enter the log, so an oversized one cannot
/// turn an audited decision into a failed append.
func bounded(_ text: String, _ limit: Int) -> String {
    text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
}

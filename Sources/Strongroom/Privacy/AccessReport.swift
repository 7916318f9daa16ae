import AuditLog

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One access to a citizen's data by someone else, as the citizen is told about it.
///
/// Derived from the audit log. It names the accessor's role and office — never the staff member — and the field
/// *names* touched, never values.
public struct AccessReportEntry: Sendable, Equatable {
    /// The audit entry it comes from (an auditor can prove it with `strongroom audit prove --entry`).
    public let auditSeq: UInt64
    public let time: Date
    /// What was done, for example `request.read`, `case.decide`, `payment.event`.
    public let action: String
    /// `staff`, `system` or `payment-provider`.
    public let accessorKind: String
    /// The accessor's role, for example `caseworker`.
    public let role: String
    /// The accessor's office, when staff.
    public let office: String?
    /// The record accessed: collection and id.
    public let collection: String?
    public let recordID: String?
    public let fields: [String]
    public let purpose: String?
    public let breakGlass: Bool
    /// Whether the access was allowed; refused attempts are listed too.
    public let allowed: Bool
}

/// The whole report for one data subject.
public struct AccessReport: Sendable, Equatable {
    public let subjectID: String
    public let generatedAt: Date
    public let entries: [AccessReportEntry]
}

extension AccessReportEntry {
    /// Who an entry's actor is, for people: `payment-provider`, `system` (automatic rules, fees, the service itself)
    /// or `staff`. The data subject's own accounts are told apart by the caller (they are a set of account ids).
    static func accessorKind(_ actor: AuditActor) -> String {
        if actor.id.hasPrefix("payment-provider:") { return "payment-provider" }
        if actor.id == "system" || actor.role == "system" || actor.role == "automatic-rules" || actor.role == "fees" { return "system" }
        return "staff"
    }

    /// The report line for an audit entry about the subject, or `nil` when the subject did it themselves.
    init?(_ entry: AuditEntry, ownAccounts: Set<String>) {
        guard !ownAccounts.contains(entry.actor.id) else { return nil }
        let kind = Self.accessorKind(entry.actor)
        self.init(
            auditSeq: entry.seq, time: Date(millis: entry.time.millisecondsSince1970), action: entry.action, accessorKind: kind,
            role: entry.actor.role, office: entry.details["office"], collection: entry.target.collection, recordID: entry.target.recordID,
            fields: entry.fieldsTouched, purpose: entry.purpose, breakGlass: entry.flags.contains(.breakGlass),
            allowed: entry.decision.effect == .allow)
    }
}

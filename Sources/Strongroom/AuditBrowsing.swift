import AuditLog
import Policy
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The audit log for an auditor signed in to the staff pages: browsing it (`read-audit` on `audit-log`) and
/// verifying it against the installation's audit public key (`verify-audit`), both decided by the gate with the
/// caller's purpose and both audited. Entries hold no personal values (ids, roles, actions, field names), so
/// nothing is opened to show them.
extension Installation {
    /// A page of entries matching `query`, oldest first (at most 500; `afterSeq` pages on).
    public func auditEntries(_ query: AuditQuery, caller: AuthenticatedCaller, access: AccessContext) async throws -> [AuditEntry] {
        let decision = records.decideOnAuditLog(caller, .readAudit, access)
        let target = AuditTarget(collection: "audit-log")
        guard decision.isPermitted else {
            throw await records.denied(decision, caller: caller, action: "audit.read", target: target, access: access, hide: false)
        }
        var page = query
        page.limit = min(max(1, query.limit), 500)
        let bounded = page
        let store = auditStore
        let entries = try await database.read { db in try store.entries(matching: bounded, in: db) }
        var details: [String: String] = ["count": String(entries.count)]
        if let action = query.action { details["filter_action"] = String(action.prefix(64)) }
        if let actor = query.actorID { details["filter_actor"] = String(actor.prefix(64)) }
        let draft = AuditTrail.draft(caller: caller, action: "audit.read", target: target, decision: decision, context: access, details: details)
        let audit = self.audit
        try await writer.write { db in _ = try audit.record(draft, in: db) }
        return entries
    }

    /// Verifies the whole log (hash chain, Merkle tree, signed checkpoints) against `Keys/audit-signing.pub`, as
    /// `strongroom audit verify` does. The verification is recorded with its outcome.
    public func verifyAuditLog(caller: AuthenticatedCaller, access: AccessContext) async throws -> VerificationReport {
        let decision = records.decideOnAuditLog(caller, .verifyAudit, access)
        let target = AuditTarget(collection: "audit-log")
        guard decision.isPermitted else {
            throw await records.denied(decision, caller: caller, action: "audit.verify", target: target, access: access, hide: false)
        }
        let keys = try AuditVerifierKey.load(fromFile: keyring.directory.auditPublicKeyPath)
        let origin = configuration.auditOrigin
        let store = auditStore
        let report = await Task.detached { AuditVerifier(trustedKeys: keys, origin: origin).verify(store) }.value
        let draft = AuditTrail.draft(
            caller: caller, action: "audit.verify", target: target, decision: decision, context: access,
            details: ["valid": report.isValid ? "yes" : "no", "entries": String(report.entriesVerified),
                      "checkpoints": String(report.checkpointsVerified)])
        let audit = self.audit
        try await writer.write { db in _ = try audit.record(draft, in: db) }
        return report
    }
}

extension RecordService {
    func decideOnAuditLog(_ caller: AuthenticatedCaller, _ action: Action, _ access: AccessContext) -> Decision {
        decide(caller, action, Resource(type: "audit-log", attributes: [:]), access)
    }
}

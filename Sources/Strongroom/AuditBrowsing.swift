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

/// The log's latest signed checkpoint, the witnesses that cosigned it, and how far the log has grown since.
public struct AuditLogStatus: Sendable {
    /// Entries in the log now.
    public let entries: UInt64
    /// The newest checkpoint the server signed, with the witness cosignatures stored for it.
    public let latest: SignedCheckpoint?
    /// The names of the witnesses whose cosignatures the latest checkpoint carries (signatures by another key than
    /// the log's own).
    public let witnesses: [String]
    /// Entries written after the latest checkpoint (not yet covered by a signature).
    public var unsignedEntries: UInt64 { entries - min(entries, latest?.checkpoint.size ?? 0) }
}

extension Installation {
    /// The latest checkpoint and its witnesses, for the auditor's screen (`read-audit` on `audit-log`). Checkpoints
    /// are published by design (witnesses and auditors hold them) and name no person, so looking at them writes no
    /// entry of its own: the page that shows them records its `audit.read`.
    public func auditLogStatus(caller: AuthenticatedCaller, access: AccessContext) async throws -> AuditLogStatus {
        let decision = records.decideOnAuditLog(caller, .readAudit, access)
        guard decision.isPermitted else {
            throw await records.denied(decision, caller: caller, action: "audit.status", target: AuditTarget(collection: "audit-log"), access: access, hide: false)
        }
        let store = auditStore
        let (entries, latest) = try await database.read { db in (try store.size(in: db), try store.latestCheckpoint(in: db)) }
        let logKeys = Set(((try? AuditVerifierKey.load(fromFile: keyring.directory.auditPublicKeyPath)) ?? []).map(\.name))
        let witnesses = (latest?.signatures ?? []).map(\.keyName).filter { !logKeys.contains($0) }
        return AuditLogStatus(entries: entries, latest: latest, witnesses: witnesses)
    }

    /// Writes the whole log as a portable bundle (entries, checkpoints with their cosignatures, the public key) to
    /// `path`, as `strongroom audit export` does, for an auditor to verify anywhere with `audit verify --bundle`.
    /// Decided as `read-audit`; the export is recorded (`audit.export`, with the count) before it is written.
    ///
    /// - Returns: the number of entries written.
    @discardableResult
    public func exportAuditBundle(to path: String, caller: AuthenticatedCaller, access: AccessContext) async throws -> UInt64 {
        let decision = records.decideOnAuditLog(caller, .readAudit, access)
        let target = AuditTarget(collection: "audit-log")
        guard decision.isPermitted else {
            throw await records.denied(decision, caller: caller, action: "audit.export", target: target, access: access, hide: false)
        }
        let keys = try AuditVerifierKey.load(fromFile: keyring.directory.auditPublicKeyPath)
        let store = auditStore, origin = configuration.auditOrigin
        let entries = try await database.read { db in try store.size(in: db) }
        let draft = AuditTrail.draft(caller: caller, action: "audit.export", target: target, decision: decision, context: access,
                                     details: ["entries_at_start": String(entries)])
        let audit = self.audit
        try await writer.write { db in _ = try audit.record(draft, in: db) }
        return try await Task.detached { try AuditBundle.write(from: store, origin: origin, publicKeys: keys, to: path) }.value
    }
}

extension RecordService {
    func decideOnAuditLog(_ caller: AuthenticatedCaller, _ action: Action, _ access: AccessContext) -> Decision {
        decide(caller, action, Resource(type: "audit-log", attributes: [:]), access)
    }
}

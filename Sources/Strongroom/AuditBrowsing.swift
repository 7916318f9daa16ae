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
        if let subject = query.subjectID { details["filter_subject"] = String(subject.prefix(64)) }
        let draft = AuditTrail.draft(caller: caller, action: "audit.read", target: target, decision: decision, context: access, details: details)
        let audit = self.audit
        try await writer.write { db in _ = try audit.record(draft, in: db) }
        return entries
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

    /// Starts verifying the whole live log (hash chain, Merkle tree, signed checkpoints) against
    /// `Keys/audit-signing.pub` in the background (``verificationJob``), as `strongroom audit verify` does, and returns
    /// at once; watch it with ``auditVerificationProgress(caller:access:)``. The start is recorded
    /// (`audit.verify`, phase `start`) before the run begins, and the outcome when it ends (phase `end`, with whether
    /// the log is valid and how many entries and checkpoints were checked; `stopped` or `failed` otherwise).
    ///
    /// - Throws: `forbidden` (audited) without `verify-audit`; `conflict` `job_running` while one runs.
    @discardableResult
    public func startAuditVerification(caller: AuthenticatedCaller, access: AccessContext) async throws -> AuditVerificationJob.Progress {
        let decision = records.decideOnAuditLog(caller, .verifyAudit, access)
        let target = AuditTarget(collection: "audit-log")
        guard decision.isPermitted else {
            throw await records.denied(decision, caller: caller, action: "audit.verify", target: target, access: access, hide: false)
        }
        if verificationJob.progress?.isRunning == true {
            throw StrongroomError.conflict("job_running", "a verification of the log is already running; wait for it to finish")
        }
        let keys = try AuditVerifierKey.load(fromFile: keyring.directory.auditPublicKeyPath)
        let origin = configuration.auditOrigin, store = auditStore, audit = self.audit, writer = self.writer
        let entries = try await database.read { db in try store.size(in: db) }
        @Sendable func record(_ details: [String: String]) async throws {
            let draft = AuditTrail.draft(caller: caller, action: "audit.verify", target: target, decision: decision, context: access, details: details)
            try await writer.write { db in _ = try audit.record(draft, in: db) }
        }
        try await record(["phase": "start", "entries_at_start": String(entries)])
        return try verificationJob.start(
            role: caller.auditRole, planned: Int(entries),
            onEnd: { ended in
                var details = ["phase": "end", "entries_done": String(ended.done)]
                switch ended.outcome {
                case .finished(let report):
                    details["valid"] = report.isValid ? "yes" : "no"
                    details["entries"] = String(report.entriesVerified)
                    details["checkpoints"] = String(report.checkpointsVerified)
                case .stopped: details["phase"] = "stopped"
                case .failed: details["phase"] = "failed"
                case .running: return
                }
                // Best effort: the writer may be closing at shutdown.
                try? await record(details)
            },
            { advance in
                await Task.detached {
                    var verifier = AuditVerifier(trustedKeys: keys, origin: origin)
                    verifier.progressInterval = 4_096
                    return verifier.verify(store, progress: { done, total in advance(Int(done), Int(total)) })
                }.value
            })
    }

    /// The background verification's progress and, once it ended, its report (for the auditor's screen, which
    /// refreshes it while it runs). Decided as `read-audit`; showing it writes no entry (the run records its own).
    public func auditVerificationProgress(caller: AuthenticatedCaller, access: AccessContext) async throws -> AuditVerificationJob.Progress? {
        let decision = records.decideOnAuditLog(caller, .readAudit, access)
        guard decision.isPermitted else {
            throw await records.denied(decision, caller: caller, action: "audit.verify-progress", target: AuditTarget(collection: "audit-log"), access: access, hide: false)
        }
        return verificationJob.progress
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

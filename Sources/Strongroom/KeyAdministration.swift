import AuditLog
import Dispatch
import Keyring
import Policy
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Key administration for a security officer signed in to the staff pages: the key status, online rotation of a
/// data key, and a background rewrap — the same operations as `strongroom keys …`, but each decided by the gate
/// (`rotate-keys` on `keys`, which the sample policies give security officers with a second factor and the
/// `security-operations` purpose). A refusal is audited like any denial; a rotation and a rewrap are audited by
/// ``KeyOperations`` and ``Rewrap`` as for the CLI, and reading the status is audited here. Root and audit signing
/// key rotations stay with the command line: they need the key directory's passphrase or file handling on the server.
extension Installation {
    /// What the key page shows.
    public struct KeyOverview: Sendable {
        public let inventory: KeyInventory
        /// What a rewrap would do now.
        public let plan: Rewrap.Plan
        /// The `subjects` version new shredding keys are wrapped by (`nil` when the key ring has none yet).
        public let subjectsVersion: UInt32?
        /// Shredding keys still wrapped by an older `subjects` version (a rewrap rewraps them).
        public let shreddingKeysToRewrap: Int
        /// The current or last background rewrap of this process.
        public let rewrap: RewrapJob.Progress?
    }

    /// The data keys a security officer may rotate online.
    public static let onlineRotatableKeys: [KeyID] = [.records, .index, SubjectKeyStore.wrappingKeyID]

    /// Every key with its versions, states, ages, overdue flags (by ``StrongroomConfiguration/maximumKeyAgeDays``) and
    /// what it protects, with the rewrap plan and the background rewrap's progress.
    public func keyOverview(caller: AuthenticatedCaller, access: AccessContext) async throws -> KeyOverview {
        let decision = try await authorizeKeyAdministration(caller: caller, access: access, action: "keys.status")
        // A rotation made by the CLI meanwhile shows at once.
        _ = keyring.refreshIfChanged()
        let store = auditStore
        let (sealed, indexes, installed) = try await database.read { db in
            (try FieldRows.sealedCountsByKeyVersion(in: db), try FieldRows.indexCountsByKeyVersion(in: db), try KeyInstallDates.read(from: store, in: db))
        }
        let shredding = try subjectKeys.countsByWrappingVersion()
        let inventory = KeyInventory(
            statuses: keyring.status(), maximumAgeDays: configuration.maximumKeyAgeDays, sealedFields: sealed, indexRows: indexes,
            shreddingKeys: shredding, installed: installed, now: clock.now)
        let plan = Rewrap.Plan(
            recordsVersion: try keyring.currentKey(.records).version, indexVersion: try keyring.currentKey(.index).version,
            sealedByVersion: sealed, indexesByVersion: indexes)
        let subjectsVersion = keyring.status().filter { $0.id == SubjectKeyStore.wrappingKeyID && $0.state == .active }.map(\.version).max()
        let olderShredding = subjectsVersion.map { current in shredding.filter { $0.key < current }.values.reduce(0, +) } ?? 0
        try await recordKeyAccess("keys.status", caller: caller, decision: decision, access: access)
        return KeyOverview(
            inventory: inventory, plan: plan, subjectsVersion: subjectsVersion, shreddingKeysToRewrap: olderShredding,
            rewrap: rewrapJob.progress)
    }

    /// The background rewrap's progress only (for a page that refreshes it while it runs).
    public func rewrapProgress(caller: AuthenticatedCaller, access: AccessContext) async throws -> RewrapJob.Progress? {
        let decision = try await authorizeKeyAdministration(caller: caller, access: access, action: "keys.rewrap-progress")
        try await recordKeyAccess("keys.rewrap-progress", caller: caller, decision: decision, access: access)
        return rewrapJob.progress
    }

    /// Adds a new version of `records`, `index` or `subjects`: new seals use it at once; existing fields stay
    /// readable under their own version until a rewrap. Audited by ``KeyOperations/rotateDataKey(_:caller:requestID:)``.
    ///
    /// - Returns: the new version.
    /// - Throws: `forbidden` (audited) when the gate refuses; `unknown_key` for any other key.
    @discardableResult
    public func rotateDataKey(_ key: String, caller: AuthenticatedCaller, access: AccessContext) async throws -> UInt32 {
        _ = try await authorizeKeyAdministration(caller: caller, access: access, action: "keys.rotate")
        let id = KeyID(rawValue: key)
        guard Self.onlineRotatableKeys.contains(id) else {
            throw StrongroomError.invalid("unknown_key", "the data keys rotated online are records, index and subjects")
        }
        let operations = KeyOperations(keyring: keyring, database: database, subjectKeys: subjectKeys)
        let requestID = access.requestID
        // A synchronous write (the key file and its audit entry together): off the cooperative pool.
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try operations.rotateDataKey(id, caller: caller, requestID: requestID) })
            }
        }
    }

    /// Starts a rewrap in the background (``rewrapJob``) and returns at once; watch it with ``rewrapProgress(caller:access:)``.
    ///
    /// - Throws: `forbidden` (audited) when the gate refuses; `conflict` `rewrap_running` while one runs.
    @discardableResult
    public func startRewrap(caller: AuthenticatedCaller, access: AccessContext) async throws -> RewrapJob.Progress {
        _ = try await authorizeKeyAdministration(caller: caller, access: access, action: "keys.rewrap")
        if rewrapJob.progress?.isRunning == true {
            throw StrongroomError.conflict("rewrap_running", "a rewrap is already running; wait for it to finish")
        }
        let plan = try await Rewrap(installation: self).plan()
        let requestID = access.requestID
        let audit = self.audit, writer = self.writer
        return try rewrapJob.start(
            role: caller.auditRole, planned: plan.sealedToRewrap + plan.indexesToRecompute,
            onEnd: { ended in
                // A run that finished recorded its end itself; one that stopped or failed says so too (best effort:
                // the writer may be closing), so the log never shows a start without an end.
                let phase: String
                switch ended.outcome {
                case .stopped: phase = "stopped"
                case .failed: phase = "failed"
                case .running, .finished: return
                }
                let draft = KeyOperations.draft("keys.rewrap", caller: caller, requestID: requestID, details: [
                    "phase": phase, "rows_done": String(ended.done), "rows_planned": String(ended.planned),
                ])
                _ = try? await writer.write { db in try audit.record(draft, in: db) }
            },
            { report in
                try await Rewrap(installation: self).run(
                    caller: caller, requestID: requestID, progress: report,
                    afterBatch: { _ in try Task.checkCancellation() })
            })
    }

    /// Decides `rotate-keys` on the `keys` resource with the caller's purpose; a refusal is audited and thrown
    /// (`forbidden`, which the staff pages answer as 404).
    func authorizeKeyAdministration(caller: AuthenticatedCaller, access: AccessContext, action: String) async throws -> Decision {
        let decision = records.decide(caller, .rotateKeys, Resource(type: "keys", attributes: [:]), access)
        guard decision.isPermitted else {
            throw await records.denied(decision, caller: caller, action: action, target: AuditTarget(collection: "keys"), access: access, hide: false)
        }
        return decision
    }

    private func recordKeyAccess(_ action: String, caller: AuthenticatedCaller, decision: Decision, access: AccessContext) async throws {
        let draft = AuditTrail.draft(caller: caller, action: action, target: AuditTarget(collection: "keys"), decision: decision, context: access)
        let audit = self.audit
        try await writer.write { db in _ = try audit.record(draft, in: db) }
    }
}

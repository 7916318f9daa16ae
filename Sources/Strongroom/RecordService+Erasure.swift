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

/// What an erasure or retention sweep did, for receipts and the CLI.
public struct ShreddingReceipt: Sendable, Equatable {
    public let subjectID: String?
    public let keysDestroyed: Int
    public let fieldsRemoved: Int
    /// The audit entry that records it (covered by the checkpoint signed right after).
    public let auditSeq: UInt64
}

extension RecordService {
    /// A citizen asks for erasure of their data; it takes effect after the configured grace period, when the
    /// retention sweep runs. Asking again does not move the date.
    public func requestErasure(caller: AuthenticatedCaller, access: AccessContext) async throws -> Date {
        guard let subjectID = caller.subjectID else { throw StrongroomError.forbidden("only citizens can ask for erasure of their own data") }
        let target = AuditTarget(collection: "subjects", recordID: subjectID, subjectID: subjectID)
        let decision = decide(caller, .erase, Resource(type: "subject", attributes: ["owner": .string(caller.accountID)]), access)
        guard decision.isPermitted else {
            throw await denied(decision, caller: caller, action: "subject.erasure-request", target: target, access: access, hide: false)
        }
        let now = clock.now
        let effective = now.addingTimeInterval(configuration.erasureGraceDays * 86_400)
        let audit = self.audit
        let draft = AuditTrail.draft(
            caller: caller, action: "subject.erasure-request", target: target, decision: decision, context: access,
            details: ["effective": effective.formatted(.iso8601)])
        let request = try integrity.authenticated(
            ErasureRequestRow(subjectID: subjectID, requestedAt: now.millis, effectiveAt: effective.millis, basis: "data subject request"))
        return try await guardedWrite { db in
            _ = try request.insertIfAbsent(db)
            try audit.record(draft, in: db)
            let stored = try self.integrity.checkIfFound(ErasureRequestRow.find(subjectID, in: db))
            return Date(millis: stored?.effectiveAt ?? effective.millis)
        }
    }

    /// Erases everything personal about `subjectID` now: destroys the subject's shredding keys (so every sealed
    /// field about them is unreadable in every copy of the database), removes the dead ciphertext and blind
    /// indexes, disables the account, and records a signed erasure receipt. Non-personal metadata (service,
    /// dates, status) stays for statistics; the audit log stays intact.
    ///
    /// - Parameters:
    ///   - basis: the legal basis, recorded in the receipt. Must not contain personal data.
    ///   - signReceipt: sign a checkpoint right after the receipt, so it is covered by a signature at once.
    public func erase(
        subjectID: String, basis: String, by caller: AuthenticatedCaller, access: AccessContext, signReceipt: Bool = true
    ) async throws -> ShreddingReceipt {
        let known = try await database.read { db in
            try Int.fetchOne(db, sql: "SELECT 1 FROM accounts WHERE subject_id = ?", arguments: [subjectID]) != nil
        }
        guard known else { throw StrongroomError.notFound("data subject") }
        let destroyed = try subjectKeys.destroyAll(subject: subjectID)
        let now = clock.now.millis
        let audit = self.audit
        let receiptDraft = AuditTrail.draft(
            caller: caller, action: "subject.erase", target: AuditTarget(collection: "subjects", recordID: subjectID, subjectID: subjectID),
            decision: nil, context: access, extraFlags: [.erasureReceipt, .keyOperation],
            details: ["basis": bounded(basis, 200), "keys_destroyed": String(destroyed.count)])
        let (removed, entry) = try await guardedWrite { db -> (Int, AuditEntry) in
            let removed = try FieldRows.removeSubject(subjectID, in: db)
            try FieldRows.removeShredded(destroyed, in: db)
            try db.execute(sql: "DELETE FROM open_fields WHERE collection = ? AND record_id IN (SELECT id FROM accounts WHERE subject_id = ?)",
                           arguments: [ProfileSchema.collection, subjectID])
            // The login's blind index would let someone with the index key confirm a guessed address: replace it.
            var accountIDs: [String] = []
            for var account in try AccountRow.fetchAll(db, sql: "SELECT * FROM accounts WHERE subject_id = ?", arguments: [subjectID]) {
                account.status = "disabled"
                account.loginIndex = SecureRandom.bytes(count: 16)
                account.passwordHash = ""
                account.fieldRevisions = FieldRevisions()
                try self.integrity.authenticate(&account)
                try account.update(db)
                accountIDs.append(account.id)
            }
            try SessionRow.revokeAll(of: accountIDs, at: now, integrity: self.integrity, in: db)
            if var request = try ErasureRequestRow.find(subjectID, in: db) {
                request.completedAt = now
                try self.integrity.authenticate(&request)
                try request.update(db)
            }
            let entry = try audit.record(receiptDraft, in: db)
            // Best effort: the receipt entry commits even if no signature can be made right now; the next checkpoint covers it.
            if signReceipt { _ = try? self.checkpoints.checkpoint(in: db) }
            return (removed, entry)
        }
        return ShreddingReceipt(subjectID: subjectID, keysDestroyed: destroyed.count, fieldsRemoved: removed, auditSeq: entry.seq)
    }

    /// The retention sweep: shreds request fields whose retention ended (destroying the month keys that sealed
    /// them), then carries out erasure requests whose grace period has passed. Each sweep is recorded.
    public func runRetention(signReceipt: Bool = true) async throws -> [ShreddingReceipt] {
        let now = clock.now
        let month = String(SubjectKeyStore.retentionScope(until: now).dropFirst("until:".count))
        let expired = try subjectKeys.destroyExpired(before: month)
        let system = AuthenticatedCaller.system("retention")
        let access = AccessContext(purpose: "legal-obligation", requestID: "retention-\(now.millis)")
        let audit = self.audit
        let draft = AuditTrail.draft(
            caller: system, action: "retention.sweep", target: AuditTarget(collection: "sealed_fields"), decision: nil, context: access,
            extraFlags: [.erasureReceipt, .keyOperation], details: ["keys_destroyed": String(expired.count), "before": month])
        let (removed, entry) = try await guardedWrite { db -> (Int, AuditEntry) in
            let removed = try FieldRows.removeShredded(expired.map(\.id), in: db)
            let entry = try audit.record(draft, in: db)
            if signReceipt, !expired.isEmpty { _ = try? self.checkpoints.checkpoint(in: db) }
            return (removed, entry)
        }
        var receipts = [ShreddingReceipt(subjectID: nil, keysDestroyed: expired.count, fieldsRemoved: removed, auditSeq: entry.seq)]
        let pending = try await database.read { db in
            try ErasureRequestRow.fetchAll(
                db, sql: "SELECT * FROM erasure_requests WHERE completed_at IS NULL AND effective_at <= ?", arguments: [now.millis])
        }
        var due: [String] = []
        for request in pending {
            // A forged erasure request (someone's erasure scheduled by SQL) is refused and alarmed, never carried out.
            if (try? integrity.check(request)) == nil {
                await integrity.raiseAlarm(IntegrityViolation(table: ErasureRequestRow.macTable, key: request.subjectID), requestID: access.requestID)
            } else {
                due.append(request.subjectID)
            }
        }
        for subjectID in due {
            receipts.append(try await erase(subjectID: subjectID, basis: "data subject request (GDPR art. 17)", by: system, access: access, signReceipt: signReceipt))
        }
        return receipts
    }
}

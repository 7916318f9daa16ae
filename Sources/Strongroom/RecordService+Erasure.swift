import AuditLog
import GRDB
import Policy
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
        return try await writer.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO erasure_requests (subject_id, requested_at, effective_at, basis) VALUES (?, ?, ?, ?)",
                arguments: [subjectID, now.millis, effective.millis, "data subject request"])
            try audit.record(draft, in: db)
            let stored = try Int64.fetchOne(db, sql: "SELECT effective_at FROM erasure_requests WHERE subject_id = ?", arguments: [subjectID])
            return Date(millis: stored ?? effective.millis)
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
        let (removed, entry) = try await writer.write { db -> (Int, AuditEntry) in
            let removed = try FieldRows.removeSubject(subjectID, in: db)
            try FieldRows.removeShredded(destroyed, in: db)
            try db.execute(sql: "DELETE FROM open_fields WHERE collection = ? AND record_id IN (SELECT id FROM accounts WHERE subject_id = ?)",
                           arguments: [ProfileSchema.collection, subjectID])
            // The login's blind index would let someone with the index key confirm a guessed address: replace it.
            try db.execute(
                sql: "UPDATE accounts SET status = 'disabled', login_index = randomblob(16), password_hash = '' WHERE subject_id = ?",
                arguments: [subjectID])
            try db.execute(
                sql: "UPDATE sessions SET revoked_at = ? WHERE revoked_at IS NULL AND account_id IN (SELECT id FROM accounts WHERE subject_id = ?)",
                arguments: [now, subjectID])
            try db.execute(sql: "UPDATE erasure_requests SET completed_at = ? WHERE subject_id = ?", arguments: [now, subjectID])
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
        let (removed, entry) = try await writer.write { db -> (Int, AuditEntry) in
            let removed = try FieldRows.removeShredded(expired.map(\.id), in: db)
            let entry = try audit.record(draft, in: db)
            if signReceipt, !expired.isEmpty { _ = try? self.checkpoints.checkpoint(in: db) }
            return (removed, entry)
        }
        var receipts = [ShreddingReceipt(subjectID: nil, keysDestroyed: expired.count, fieldsRemoved: removed, auditSeq: entry.seq)]
        let due = try await database.read { db in
            try String.fetchAll(
                db, sql: "SELECT subject_id FROM erasure_requests WHERE completed_at IS NULL AND effective_at <= ?", arguments: [now.millis])
        }
        for subjectID in due {
            receipts.append(try await erase(subjectID: subjectID, basis: "data subject request (GDPR art. 17)", by: system, access: access, signReceipt: signReceipt))
        }
        return receipts
    }
}

import AuditLog
import GRDB
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension RecordService {
    /// The retention sweep: shreds request fields whose retention ended (destroying the month keys that sealed
    /// them), then carries out erasure requests whose grace period has passed — and completes erasures that stopped
    /// after their intent was recorded (an officer's erasure is due at once). Each sweep is recorded.
    ///
    /// - Parameters:
    ///   - caller: who runs it: the system (the server's timer) by default; a signed-in operator (`strongroom retention
    ///     run`) must be allowed to order erasures (`erase` on `subject`: the sweep carries them out), and every entry
    ///     of the sweep names their account. A refusal is audited and nothing is destroyed.
    ///   - access: the operator's purpose and request id (the system's own when `nil`).
    public func runRetention(
        signReceipt: Bool = true, by caller: AuthenticatedCaller = .system("retention"), access operatorAccess: AccessContext? = nil
    ) async throws -> [ShreddingReceipt] {
        let now = clock.now
        let access = operatorAccess ?? AccessContext(purpose: "legal-obligation", requestID: "retention-\(now.millis)")
        let decision = try await authorizeOfficer(.erase, subjectID: nil, caller: caller, action: "retention.sweep", access: access)
        let month = String(SubjectKeyStore.retentionScope(until: now).dropFirst("until:".count))
        let expired = try subjectKeys.destroyExpired(before: month)
        // With the keys an earlier sweep destroyed but could not finish removing the fields of.
        let unswept = try subjectKeys.unsweptKeys()
        let fault = erasureFault.withLock { $0 }
        let audit = self.audit
        let draft = AuditTrail.draft(
            caller: caller, action: "retention.sweep", target: AuditTarget(collection: "sealed_fields"), decision: decision, context: access,
            extraFlags: [.erasureReceipt, .keyOperation],
            details: ["keys_destroyed": String(expired.count), "before": month, "earlier_keys": String(unswept.count - expired.count)])
        let (removed, entry) = try await guardedWrite { db -> (Int, AuditEntry) in
            let removed = try FieldRows.removeShredded(unswept, in: db)
            if fault == .sweepAfterKeysDestroyed { throw InjectedErasureFailure() }
            let entry = try audit.record(draft, in: db)
            return (removed, entry)
        }
        forgetSwept(unswept)
        let coverage: ReceiptCoverage = if signReceipt, !expired.isEmpty || removed > 0 {
            await signCheckpoint(covering: entry.seq)
        } else {
            .unsigned(reason: expired.isEmpty && removed == 0 ? "nothing was destroyed or removed" : "no checkpoint was asked for")
        }
        var receipts = [ShreddingReceipt(
            subjectID: nil, keysDestroyed: expired.count, fieldsRemoved: removed, openFieldsRemoved: 0, auditSeq: entry.seq,
            coverage: coverage)]
        let pending = try await database.read { db in
            try ErasureRequestRow.fetchAll(
                db, sql: "SELECT * FROM erasure_requests WHERE completed_at IS NULL AND effective_at <= ?", arguments: [now.millis])
        }
        var due: [(subjectID: String, basis: String)] = []
        for request in pending {
            // A forged erasure request (someone's erasure scheduled by SQL) is refused and alarmed, never carried out.
            if (try? integrity.check(request)) == nil {
                await integrity.raiseAlarm(IntegrityViolation(table: ErasureRequestRow.macTable, key: request.subjectID), requestID: access.requestID)
            } else {
                // A citizen's own request, or the basis an officer's interrupted erasure recorded.
                due.append((request.subjectID, request.basis == "data subject request" ? "data subject request (GDPR art. 17)" : request.basis))
            }
        }
        // One erasure that fails does not hold up the others; the sweep reports the first failure after trying all.
        var failure: (any Error)?
        for (subjectID, basis) in due {
            do {
                receipts.append(try await erase(subjectID: subjectID, basis: basis, by: caller, access: access, signReceipt: signReceipt))
            } catch {
                logger.error("an erasure in the retention sweep failed; the next sweep tries again", metadata: ["subject": .string(subjectID)])
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
        return receipts
    }
}

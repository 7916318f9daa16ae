import AuditLog
import GRDB
import Policy
import Sealing
import Sodium
import Storage
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What an erasure or retention sweep did, for receipts and the CLI.
public struct ShreddingReceipt: Sendable, Equatable {
    public let subjectID: String?
    public let keysDestroyed: Int
    /// Sealed fields (with their blind indexes) removed from the database.
    public let fieldsRemoved: Int
    /// Public (unsealed) field values removed from the database.
    public let openFieldsRemoved: Int
    /// The audit entry that records it.
    public let auditSeq: UInt64
    /// Which signed checkpoint covers that entry.
    public let coverage: ReceiptCoverage
}

/// Whether a signed checkpoint covers a receipt's audit entry.
public enum ReceiptCoverage: Sendable, Equatable {
    /// A checkpoint signed right after the receipt covers it; it signs the log's first `treeSize` entries.
    case signed(treeSize: UInt64)
    /// No checkpoint was signed for it here (`reason` says why); the next checkpoint the server signs covers it.
    case unsigned(reason: String)
}

/// The steps of an erasure, for a test that makes one fail (``RecordService/erasureFault``).
enum ErasureStep: Sendable, Equatable {
    /// After the intent committed, before any key is destroyed.
    case afterIntent
    /// Inside the transaction that removes the fields, after the keys were destroyed.
    case afterKeysDestroyed
    /// Inside the retention sweep's transaction that removes the fields, after their keys were destroyed.
    case sweepAfterKeysDestroyed
}

/// The failure a test injects into an erasure.
struct InjectedErasureFailure: Error, Equatable {}

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

    /// Erases everything personal about `subjectID` now, in an order that a failure at any point leaves resumable:
    ///
    /// 1. One transaction records the intent (the erasure request, effective now), disables the account (random login
    ///    index, no password) and deletes its sessions, with an audit entry `subject.erase-start`. Nobody can sign
    ///    in as them from here on.
    /// 2. The subject key store destroys every key of theirs and writes their tombstone (no key is made for them
    ///    again), bumping its generation so every process drops cached copies within a second.
    /// 3. One transaction removes the dead ciphertext, the blind indexes and the public field values of their profile
    ///    and requests, clears the field revisions that named them, marks the erasure request done and records the
    ///    receipt (`subject.erase`, flagged `erasureReceipt`).
    /// 4. A checkpoint is signed after the receipt commits; the receipt says whether one covers it.
    ///
    /// If step 3 fails, the erasure request stays due and not done: `strongroom retention run` (hourly in the server)
    /// or running the erasure again completes it. Non-personal metadata (service, dates, status) stays for statistics;
    /// the audit log stays intact.
    ///
    /// - Parameters:
    ///   - basis: the legal basis, recorded in the receipt. Must not contain personal data.
    ///   - signReceipt: sign a checkpoint right after the receipt, so it is covered by a signature at once.
    public func erase(
        subjectID: String, basis: String, by caller: AuthenticatedCaller, access: AccessContext, signReceipt: Bool = true
    ) async throws -> ShreddingReceipt {
        let basis = bounded(basis, 200)
        let target = AuditTarget(collection: "subjects", recordID: subjectID, subjectID: subjectID)
        let decision = try await authorizeOfficer(.erase, subjectID: subjectID, caller: caller, action: "subject.erase", access: access)
        try await beginErasure(subjectID, basis: basis, target: target, caller: caller, decision: decision, access: access)
        let fault = erasureFault.withLock { $0 }
        if fault == .afterIntent { throw InjectedErasureFailure() }
        let erasure = try subjectKeys.destroyAll(subject: subjectID)
        let now = clock.now.millis
        let audit = self.audit
        var details = ["basis": basis, "keys_destroyed": String(erasure.destroyed.count)]
        if erasure.wasErased { details["resumed"] = "true" }
        let receiptDraft = AuditTrail.draft(
            caller: caller, action: "subject.erase", target: target, decision: decision, context: access,
            extraFlags: [.erasureReceipt, .keyOperation], details: details)
        let (removed, entry) = try await guardedWrite { db -> ((sealed: Int, open: Int), AuditEntry) in
            var removed = try FieldRows.removeSubject(subjectID, in: db)
            removed += try FieldRows.removeShredded(erasure.destroyed, in: db)
            if fault == .afterKeysDestroyed { throw InjectedErasureFailure() }
            let open = try self.removeRecords(of: subjectID, in: db)
            if var request = try ErasureRequestRow.find(subjectID, in: db) {
                request.completedAt = now
                try self.integrity.authenticate(&request)
                try request.update(db)
            }
            let entry = try audit.record(receiptDraft, in: db)
            return ((removed, open), entry)
        }
        forgetSwept(erasure.destroyed)
        let coverage = signReceipt ? await signCheckpoint(covering: entry.seq) : .unsigned(reason: "no checkpoint was asked for")
        return ShreddingReceipt(
            subjectID: subjectID, keysDestroyed: erasure.destroyed.count, fieldsRemoved: removed.sealed, openFieldsRemoved: removed.open,
            auditSeq: entry.seq, coverage: coverage)
    }

    /// Step 1 of ``erase(subjectID:basis:by:access:signReceipt:)``: the intent, the disabled account and the deleted
    /// sessions, in one transaction.
    ///
    /// - Throws: `not_found` (nothing written) when no account belongs to the subject.
    private func beginErasure(
        _ subjectID: String, basis: String, target: AuditTarget, caller: AuthenticatedCaller, decision: Decision?, access: AccessContext
    ) async throws {
        let now = clock.now.millis
        let audit = self.audit
        let draft = AuditTrail.draft(
            caller: caller, action: "subject.erase-start", target: target, decision: decision, context: access, details: ["basis": basis])
        let forged = try await guardedWrite { db -> IntegrityViolation? in
            let accounts = try AccountRow.fetchAll(db, sql: "SELECT * FROM accounts WHERE subject_id = ?", arguments: [subjectID])
            guard !accounts.isEmpty else { throw StrongroomError.notFound("data subject") }
            for var account in accounts {
                // Disabling takes rights away, so a row that fails its MAC is disabled (and authenticated) too.
                account.status = "disabled"
                // The login's blind index would let someone with the index key confirm a guessed address: replace it.
                account.loginIndex = SecureRandom.bytes(count: 16)
                account.passwordHash = ""
                try self.integrity.authenticate(&account)
                try account.update(db)
                try db.execute(sql: "DELETE FROM sessions WHERE account_id = ?", arguments: [account.id])
            }
            // The intent: due now and not done, so the retention sweep completes an erasure that stopped half way.
            var forged: IntegrityViolation?
            var request = ErasureRequestRow(subjectID: subjectID, requestedAt: now, effectiveAt: now, basis: basis)
            if let stored = try ErasureRequestRow.find(subjectID, in: db) {
                if (try? self.integrity.check(stored)) != nil {
                    request.requestedAt = stored.requestedAt
                    request.effectiveAt = min(stored.effectiveAt, now)
                } else {
                    // An officer's order replaces a forged row; the forgery is alarmed after the commit.
                    forged = IntegrityViolation(table: ErasureRequestRow.macTable, key: subjectID)
                }
                try self.integrity.authenticate(&request)
                try request.update(db)
            } else {
                try self.integrity.authenticate(&request)
                _ = try request.insertIfAbsent(db)
            }
            try audit.record(draft, in: db)
            return forged
        }
        if let forged { await integrity.raiseAlarm(forged, requestID: access.requestID) }
    }

    /// Asks the gate whether an officer (a signed-in member of staff, for example the operator of `strongroom subjects
    /// erase`) may exercise `action` (`erase`, `export`) on a data subject's data: `nil` for the system itself (the
    /// retention sweep), which the gate is not asked about. A refusal is audited and thrown; nothing else happens.
    ///
    /// - Parameter subjectID: `nil` for the retention sweep run by hand, which acts on every subject whose time is up.
    func authorizeOfficer(
        _ gated: Action, subjectID: String?, caller: AuthenticatedCaller, action: String, access: AccessContext
    ) async throws -> Decision? {
        guard !caller.isSystem else { return nil }
        // The subject's own account is the resource's owner (a citizen's rules name it); none for an unknown subject.
        var owner: String?
        if let subjectID {
            owner = try await database.read { db in
                try String.fetchOne(db, sql: "SELECT id FROM accounts WHERE subject_id = ? ORDER BY created_at LIMIT 1", arguments: [subjectID])
            }
        }
        let decision = decide(caller, gated, Resource(type: "subject", attributes: ["owner": .string(owner ?? "")]), access)
        guard decision.isPermitted else {
            let target = AuditTarget(collection: "subjects", recordID: subjectID, subjectID: subjectID)
            throw await denied(decision, caller: caller, action: action, target: target, access: access, hide: false)
        }
        return decision
    }

    /// Refuses, inside a write transaction, to store a field about a subject whose erasure has begun or is due. The
    /// intent commits before any key is destroyed, so a value sealed with a key that a process still had cached cannot
    /// land after the erasure removed the subject's fields. No MAC check: a forged row can only refuse more.
    ///
    /// - Throws: `subject_erased` (conflict).
    static func refuseIfErasing(_ subjectID: String?, at millis: Int64, in db: Database) throws {
        guard let subjectID else { return }
        let due = try Int.fetchOne(
            db.cachedStatement(sql: "SELECT 1 FROM erasure_requests WHERE subject_id = ? AND effective_at <= ?"), arguments: [subjectID, millis])
        if due != nil { throw StrongroomError.subjectErased }
    }

    /// Step 3's record part: removes the public field values and any remaining blind indexes of the subject's profile,
    /// requests, decision reasons and messages, and clears the field revisions those rows keep (each rewritten with a
    /// new MAC; a row that fails its MAC is left as it is, refused wherever it is read). Returns how many public values
    /// were removed.
    private func removeRecords(of subjectID: String, in db: Database) throws -> Int {
        let accounts = try AccountRow.fetchAll(db, sql: "SELECT * FROM accounts WHERE subject_id = ?", arguments: [subjectID])
        let requests = try RequestRow.fetchAll(db, sql: "SELECT * FROM requests WHERE subject_id = ?", arguments: [subjectID])
        let messages = try MessageRow.fetchAll(
            db, sql: "SELECT m.* FROM messages m JOIN requests r ON r.id = m.request_id WHERE r.subject_id = ?", arguments: [subjectID])
        var places: [(collection: String, recordID: String)] = accounts.map { (ProfileSchema.collection, $0.id) }
        for request in requests { places += [(Self.requestCollection, request.id), (Self.decisionCollection, request.id)] }
        places += messages.map { (Self.messageCollection, $0.id) }
        var removed = 0
        for place in places {
            try db.execute(sql: "DELETE FROM open_fields WHERE collection = ? AND record_id = ?", arguments: [place.collection, place.recordID])
            removed += db.changesCount
            try db.execute(sql: "DELETE FROM blind_indexes WHERE collection = ? AND record_id = ?", arguments: [place.collection, place.recordID])
        }
        for var account in accounts where !account.fieldRevisions.isEmpty {
            guard (try? integrity.check(account)) != nil else { continue }
            account.fieldRevisions = FieldRevisions()
            try integrity.authenticate(&account)
            try account.update(db)
        }
        for var request in requests where !request.fieldRevisions.isEmpty {
            guard (try? integrity.check(request)) != nil else { continue }
            request.fieldRevisions = FieldRevisions()
            try integrity.authenticate(&request)
            try request.update(db)
        }
        for var message in messages where !message.fieldRevisions.isEmpty {
            guard (try? integrity.check(message)) != nil else { continue }
            message.fieldRevisionsText = FieldRevisions().text
            try integrity.authenticate(&message)
            try message.updateRevisions(db)
        }
        return removed
    }

    /// Tells the key store that the fields of these destroyed keys are gone. A failure here is harmless (the next
    /// sweep removes nothing more and forgets them then), so it is logged, not thrown after the commit.
    func forgetSwept(_ ids: [[UInt8]]) {
        do {
            try subjectKeys.markSwept(ids)
        } catch {
            logger.warning("destroyed key ids stay listed as unswept; the next retention sweep settles them", metadata: [
                "error": .string(String(describing: type(of: error)))])
        }
    }

    /// Signs a checkpoint after `seq` committed and says whether it covers that entry. Never throws: the receipt has
    /// committed whatever happens here, and the server's next checkpoint covers it.
    func signCheckpoint(covering seq: UInt64) async -> ReceiptCoverage {
        let checkpoints = self.checkpoints
        do {
            guard let signed = try await writer.write({ db in try checkpoints.checkpoint(in: db) }) else {
                return .unsigned(reason: "the audit signing key in force is not available to this process")
            }
            guard signed.checkpoint.size > seq else {
                return .unsigned(reason: "the checkpoint signed (tree size \(signed.checkpoint.size)) does not reach the receipt")
            }
            return .signed(treeSize: signed.checkpoint.size)
        } catch {
            let what = (error as? StrongroomError)?.message ?? String(describing: type(of: error))
            logger.error("no checkpoint could be signed after a receipt", metadata: ["seq": .stringConvertible(seq), "error": .string(what)])
            return .unsigned(reason: "signing failed (\(what))")
        }
    }
}

extension FieldRevisions {
    var isEmpty: Bool { self == FieldRevisions() }
}

import AuditLog
import GRDB
import Policy
import Sealing
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A break-glass access and its review state, for `strongroom audit review` and `GET /v1/audit/break-glass`.
public struct BreakGlassItem: Sendable, Equatable {
    public let auditSeq: UInt64
    public let time: Date
    public let actorID: String
    public let role: String
    public let office: String?
    public let action: String
    public let collection: String?
    public let recordID: String?
    public let fields: [String]
    /// The review entry, once a second person has reviewed it.
    public let review: Review?
    /// The grant the access opened or used (`nil` for accesses logged before grants existed).
    public var grant: Grant? = nil

    /// A break-glass grant: one person's access to one record for the rule's time limit, opened by a justification.
    public struct Grant: Sendable, Equatable {
        public let id: String
        public let grantedAt: Date
        public let expiresAt: Date
        /// Whether this access opened the grant (otherwise it came later, within it).
        public let openedByThisAccess: Bool
        /// The justification given when the grant was opened, for the reviewer to judge; `nil` when it can no longer
        /// be opened (the record's data subject was erased).
        public let justification: String?
    }

    public struct Review: Sendable, Equatable {
        public let auditSeq: UInt64
        public let reviewerID: String
        public let finding: String
        public let time: Date
    }
}

/// What a reviewer concluded about a break-glass access.
public enum BreakGlassFinding: String, Sendable, CaseIterable {
    /// The justification holds.
    case justified
    /// It does not: follow up under the agency's disciplinary procedure.
    case unjustified
    /// Needs a decision above the reviewer.
    case escalated
}

extension RecordService {
    /// How long a break-glass grant lasts when a rule names no limit.
    static let defaultBreakGlassMilliseconds: Int64 = 4 * 3_600_000

    /// The gate's decision on an access that may be break-glass, and what it does about grants.
    ///
    /// - A substantive justification sent with an access that the gate permits as break-glass opens a new grant for
    ///   the rule's time limit; its justification is sealed (``grantWrite(_:subjectID:)`` stores both with the entry).
    /// - Without a justification, a grant of the caller on this record that is still in force stands in for it; the
    ///   decision is then made as if the grant's justification had been sent, so the same rule must still permit it.
    /// - An expired grant is worth nothing: the access is refused as any access without a justification.
    ///
    /// - Throws: ``IntegrityViolation`` for a grant row that fails its MAC.
    func breakGlassDecision(
        _ caller: AuthenticatedCaller, _ action: Action, _ resource: Resource, collection: String, recordID: String,
        access: AccessContext, in db: Database
    ) throws -> (Decision, BreakGlassGrantUse) {
        let decision = decide(caller, action, resource, access)
        guard caller.kind == .staff else { return (decision, .none) }
        let now = clock.now.millis
        if decision.isPermitted {
            guard decision.obligations.breakGlass, let text = access.substantiveJustification else { return (decision, .none) }
            let limit = decision.obligations.timeLimit.map { duration -> Int64 in
                let (seconds, attoseconds) = duration.components
                return seconds * 1000 + attoseconds / 1_000_000_000_000_000
            } ?? Self.defaultBreakGlassMilliseconds
            let grant = BreakGlassGrantRow(
                id: Self.newID("bgg"), actorID: caller.accountID, collection: collection, recordID: recordID, grantedAt: now,
                expiresAt: now + max(1, limit))
            let sealed = try sealer.seal(Array(text.utf8), for: grant.justificationPlace)
            return (decision, .new(grant, justification: sealed))
        }
        guard access.justification == nil,
            let grant = try BreakGlassGrantRow.active(
                actorID: caller.accountID, collection: collection, recordID: recordID, at: now, integrity: integrity, in: db)
        else { return (decision, .none) }
        var withGrant = access
        withGrant.justification = "within break-glass grant \(grant.id), justified when it was opened"
        let granted = decide(caller, action, resource, withGrant)
        guard granted.isPermitted, granted.obligations.breakGlass else { return (decision, .none) }
        return (granted, .existing(grant))
    }

    /// The write that stores a new grant and its sealed justification beside the access's audit entry (`nil`
    /// otherwise). The justification is tied to the record's data subject, so their erasure removes it.
    func grantWrite(_ use: BreakGlassGrantUse, subjectID: String?) -> (@Sendable (Database) throws -> Void)? {
        guard case .new(let grant, let envelope) = use else { return nil }
        let integrity = self.integrity
        return { db in
            let authenticated = try integrity.authenticated(grant)
            try authenticated.insert(db)
            try FieldRows.putSealed(
                envelope, keyVersion: try FieldSealer.keyVersion(of: envelope).version, collection: BreakGlassGrantRow.justificationCollection,
                recordID: grant.id, field: "justification", subjectID: subjectID, at: grant.grantedAt, in: db)
        }
    }

    /// Break-glass accesses, oldest first: only those still waiting for review unless `includeReviewed`.
    public func breakGlassAccesses(
        includeReviewed: Bool = false, caller: AuthenticatedCaller, access: AccessContext
    ) async throws -> [BreakGlassItem] {
        let target = AuditTarget(collection: "audit-log")
        let decision = decide(caller, .reviewBreakGlass, Resource(type: "audit-log"), access)
        guard decision.isPermitted else {
            throw await denied(decision, caller: caller, action: "break-glass.list", target: target, access: access, hide: false)
        }
        let items = try await breakGlassItems(includeReviewed: includeReviewed)
        let audit = self.audit
        let draft = AuditTrail.draft(
            caller: caller, action: "break-glass.list", target: target, decision: decision, context: access,
            details: ["count": String(items.count), "include_reviewed": String(includeReviewed)])
        try await writer.write { db in try audit.record(draft, in: db) }
        return items
    }

    /// Every break-glass access with its review, read from the audit log (a full pass over flagged entries).
    public func breakGlassItems(includeReviewed: Bool) async throws -> [BreakGlassItem] {
        let store = audit.store
        return try await database.read { db in
            var flagged: [AuditEntry] = []
            var reviews: [UInt64: BreakGlassItem.Review] = [:]
            var after: UInt64?
            while true {
                let page = try store.entries(matching: AuditQuery(flags: .breakGlass, afterSeq: after, limit: 1000), in: db)
                flagged += page.filter { $0.decision.effect == .allow }
                guard page.count == 1000, let last = page.last else { break }
                after = last.seq
            }
            after = nil
            while true {
                let page = try store.entries(matching: AuditQuery(action: "break-glass.review", afterSeq: after, limit: 1000), in: db)
                // Refused reviews (same person, already reviewed, no purpose) are logged under the same action as denies.
                for entry in page where entry.decision.effect == .allow {
                    guard let reviewed = entry.details["entry"].flatMap(UInt64.init) else { continue }
                    reviews[reviewed] = BreakGlassItem.Review(
                        auditSeq: entry.seq, reviewerID: entry.actor.id, finding: entry.details["finding"] ?? "",
                        time: Date(millis: entry.time.millisecondsSince1970))
                }
                guard page.count == 1000, let last = page.last else { break }
                after = last.seq
            }
            var grants: [String: (row: BreakGlassGrantRow, envelope: [UInt8]?)] = [:]
            var items: [BreakGlassItem] = []
            for entry in flagged {
                let review = reviews[entry.seq]
                if review != nil, !includeReviewed { continue }
                var item = BreakGlassItem(
                    auditSeq: entry.seq, time: Date(millis: entry.time.millisecondsSince1970), actorID: entry.actor.id, role: entry.actor.role,
                    office: entry.details["office"], action: entry.action, collection: entry.target.collection, recordID: entry.target.recordID,
                    fields: entry.fieldsTouched, review: review)
                if let id = entry.details["grant"] {
                    if grants[id] == nil, let row = try BreakGlassGrantRow.find(id, in: db), (try? self.integrity.check(row)) != nil {
                        let envelope = try FieldRows.sealed(
                            collection: BreakGlassGrantRow.justificationCollection, recordID: id, fields: ["justification"], in: db).first?.bytes
                        grants[id] = (row, envelope)
                    }
                    if let (row, envelope) = grants[id] {
                        let justification = envelope.flatMap { bytes in
                            (try? self.sealer.open(bytes, at: row.justificationPlace)).map { String(decoding: $0, as: UTF8.self) }
                        }
                        item.grant = .init(
                            id: id, grantedAt: Date(millis: row.grantedAt), expiresAt: Date(millis: row.expiresAt),
                            openedByThisAccess: entry.details["grant_opened"] == "now", justification: justification)
                    }
                }
                items.append(item)
            }
            return items
        }
    }

    /// A second person marks a break-glass access reviewed, with a finding. The review is an audit entry of its own;
    /// the person who broke the glass cannot review their own access, and an access is reviewed once.
    @discardableResult
    public func reviewBreakGlass(
        auditSeq: UInt64, finding: BreakGlassFinding, caller: AuthenticatedCaller, access: AccessContext
    ) async throws -> BreakGlassItem {
        let target = AuditTarget(collection: "audit-log", recordID: String(auditSeq))
        let decision = decide(caller, .reviewBreakGlass, Resource(type: "audit-log"), access)
        guard decision.isPermitted else {
            throw await denied(decision, caller: caller, action: "break-glass.review", target: target, access: access, hide: false)
        }
        let items = try await breakGlassItems(includeReviewed: true)
        guard let item = items.first(where: { $0.auditSeq == auditSeq }) else {
            throw StrongroomError(.notFound, code: "not_break_glass", message: "audit entry \(auditSeq) is not a break-glass access; list them with `strongroom audit review`")
        }
        if item.review != nil {
            throw await refusedTransition(
                caller: caller, action: "break-glass.review", target: target, decision: decision, access: access, status: "reviewed",
                message: "this break-glass access was already reviewed (audit entry \(item.review!.auditSeq))", code: "already_reviewed")
        }
        guard item.actorID != caller.accountID else {
            throw await refusedTransition(
                caller: caller, action: "break-glass.review", target: target, decision: decision, access: access, status: "open",
                message: "a break-glass access must be reviewed by a second person, not by whoever broke the glass", code: "same_person")
        }
        let audit = self.audit
        let draft = AuditTrail.draft(
            caller: caller, action: "break-glass.review", target: AuditTarget(collection: item.collection, recordID: item.recordID),
            decision: decision, context: access, details: ["entry": String(auditSeq), "finding": finding.rawValue])
        let reviewer = caller.accountID, now = clock.now.millis
        let entry: AuditEntry?
        do {
            // Checked and written in one transaction: of two concurrent reviews of one access, one commits and the
            // other finds the row (the list read above may predate both).
            entry = try await writer.write { db -> AuditEntry? in
                let inserted = try SteppedStatement(
                    "INSERT INTO break_glass_reviews (entry_seq, reviewer_id, finding, reviewed_at) VALUES (?, ?, ?, ?) ON CONFLICT (entry_seq) DO NOTHING",
                    in: db)
                inserted.bind(1, Int64(auditSeq))
                inserted.bind(2, reviewer)
                inserted.bind(3, finding.rawValue)
                inserted.bind(4, now)
                try inserted.execute()
                guard db.changesCount == 1 else { return nil }
                return try audit.record(draft, in: db)
            }
        }
        guard let entry else {
            throw await refusedTransition(
                caller: caller, action: "break-glass.review", target: target, decision: decision, access: access, status: "reviewed",
                message: "this break-glass access was already reviewed", code: "already_reviewed")
        }
        var reviewed = BreakGlassItem(
            auditSeq: item.auditSeq, time: item.time, actorID: item.actorID, role: item.role, office: item.office, action: item.action,
            collection: item.collection, recordID: item.recordID, fields: item.fields,
            review: .init(auditSeq: entry.seq, reviewerID: caller.accountID, finding: finding.rawValue, time: Date(millis: entry.time.millisecondsSince1970)))
        reviewed.grant = item.grant
        return reviewed
    }
}

/// A break-glass grant of the caller still in force: which record, until when (no justification, no data).
public struct OpenBreakGlassGrant: Sendable, Equatable {
    public let collection: String
    public let recordID: String
    public let expiresAt: Date
}

extension RecordService {
    /// The caller's own break-glass grants still in force, soonest to end first, for the banner staff pages show
    /// while a grant lasts. Only ids and end times of the caller's own grants are read, so this is not an access to
    /// anyone's data and writes no audit entry; a row that fails its MAC is left out and alarmed.
    public func openBreakGlassGrants(of caller: AuthenticatedCaller) async throws -> [OpenBreakGlassGrant] {
        guard caller.kind == .staff else { return [] }
        let now = clock.now.millis
        let rows = try await guardedRead { db in
            try BreakGlassGrantRow.fetchAll(
                db.cachedStatement(sql: """
                    SELECT * FROM break_glass_grants WHERE actor_id = ? AND expires_at > ? AND granted_at <= ?
                    ORDER BY expires_at LIMIT 20
                    """),
                arguments: [caller.accountID, now, now])
        }
        var result: [OpenBreakGlassGrant] = []
        for row in rows {
            guard (try? integrity.check(row)) != nil else {
                await integrity.raiseAlarm(IntegrityViolation(table: BreakGlassGrantRow.macTable, key: row.id), requestID: "banner")
                continue
            }
            result.append(OpenBreakGlassGrant(collection: row.collection, recordID: row.recordID, expiresAt: Date(millis: row.expiresAt)))
        }
        return result
    }
}

import AuditLog
import Catalog
import GRDB
import Policy
import Sealing
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Casework: the office queue, claiming and assigning, asking the citizen for more information, deciding, closing.
///
/// Every step is gated (action on the request as it is now), checked against the life cycle, and committed with its
/// audit entry; a refusal is audited and changes nothing.
///
///     draft → submitted → decided (automatic rules) | waits in the queue
///     submitted ─claim/assign→ in-review ─request-info→ info-requested ─citizen resubmits→ submitted (same assignee)
///     in-review ─release (by its assignee)→ submitted, unassigned
///     in-review (or submitted, assigned) ─decide→ decided (approved | rejected, with a reason) ─close→ closed
///     submitted | in-review | info-requested ─citizen withdraws→ withdrawn
extension RecordService {
    static let decisionCollection = "decisions"

    /// Lists the queue of an office, oldest submission first. Metadata only; the listing is audited with its filters.
    public func queue(_ filter: CaseQueueFilter, caller: AuthenticatedCaller, access: AccessContext) async throws -> [CaseSummary] {
        let office = filter.office ?? caller.office ?? ""
        let statuses = filter.statuses.isEmpty ? CaseQueueFilter.openStatuses : filter.statuses
        let known = Set(RequestStatus.allCases.map(\.rawValue))
        if let unknown = statuses.first(where: { !known.contains($0) }) {
            throw StrongroomError.invalid(
                "unknown_status", "`\(Self.nameableKey(unknown, otherwise: "(a value)"))` is not a request status; use one of \(RequestStatus.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let service = filter.serviceID, catalog.service(service) == nil {
            throw StrongroomError(.notFound, code: "unknown_service", message: "there is no e-service with this id; list them with GET /v1/services")
        }
        let resource = Resource.request(
            owner: "", service: filter.serviceID ?? "", office: office, status: statuses[0], sensitivity: "normal", sealed: false)
        let decision = decide(caller, .queue, resource, access)
        var details = ["office": bounded(office, 64), "statuses": statuses.joined(separator: ",")]
        if let service = filter.serviceID { details["service"] = service }
        if let days = filter.minimumAgeDays { details["min_age_days"] = String(days) }
        if let days = filter.updatedWithinDays { details["updated_within_days"] = String(days) }
        let target = AuditTarget(collection: Self.requestCollection)
        guard decision.isPermitted else {
            throw await denied(decision, caller: caller, action: "case.queue", target: target, access: access, hide: false)
        }
        var conditions = ["r.office = ?", "r.status IN (\(statuses.map { _ in "?" }.joined(separator: ", ")))"]
        var arguments: [any DatabaseValueConvertible] = [office] + statuses
        if let service = filter.serviceID {
            conditions.append("r.service_id = ?")
            arguments.append(service)
        }
        if let days = filter.minimumAgeDays {
            conditions.append("r.submitted_at <= ?")
            arguments.append(clock.now.millis - Int64(days) * 86_400_000)
        }
        if let days = filter.updatedWithinDays {
            conditions.append("r.updated_at >= ?")
            arguments.append(clock.now.millis - Int64(max(0, days)) * 86_400_000)
        }
        switch filter.assignee {
        case .none: break
        case .unassigned: conditions.append("r.assignee_id IS NULL")
        case .account(let id):
            conditions.append("r.assignee_id = ?")
            arguments.append(id)
        }
        arguments.append(max(1, min(filter.limit, 500)))
        let sql = """
            SELECT r.* FROM requests r
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY \(filter.updatedWithinDays == nil ? "r.submitted_at, r.id" : "r.updated_at DESC, r.id") LIMIT ?
            """
        let sqlArguments = StatementArguments(arguments.map { $0.databaseValue })
        let items = try await guardedRead { db in
            try Row.fetchAll(db, sql: sql, arguments: sqlArguments).map { row in
                let request = try self.integrity.check(RequestRow(row: row))
                return CaseSummary(
                    id: request.id, serviceID: request.serviceID, status: request.status, office: request.office,
                    assigneeID: request.assigneeID, sealed: request.sealed, submittedAt: request.submittedAt.map(Date.init(millis:)),
                    updatedAt: Date(millis: request.updatedAt), paymentStatus: try self.paymentState(of: request.id, in: db)?.status)
            }
        }
        details["count"] = String(items.count)
        let audit = self.audit
        let draft = AuditTrail.draft(caller: caller, action: "case.queue", target: target, decision: decision, context: access, details: details)
        try await guardedWrite { db in try audit.record(draft, in: db) }
        return items
    }

    /// A caseworker takes a waiting request of their office.
    public func claim(_ requestID: String, caller: AuthenticatedCaller, access: AccessContext) async throws -> RequestView {
        try await transition(requestID, .claim, "case.claim", caller: caller, access: access) { row, _ in
            guard row.status == RequestStatus.submitted.rawValue || row.status == RequestStatus.inReview.rawValue else {
                return .invalid("only a submitted request can be claimed; this one is \(row.status)")
            }
            if let assignee = row.assigneeID, assignee != caller.accountID {
                return .conflict("already_assigned", "another caseworker has this request; a supervisor can reassign it")
            }
            row.assigneeID = caller.accountID
            row.status = RequestStatus.inReview.rawValue
            return .proceed([:])
        }
    }

    /// The caseworker a request is assigned to gives it back to the office's queue: unassigned, waiting again (its
    /// place in the queue kept). Gated like taking it (`claim`); someone else's case is refused (a supervisor
    /// reassigns it instead).
    public func release(_ requestID: String, caller: AuthenticatedCaller, access: AccessContext) async throws -> RequestView {
        try await transition(requestID, .claim, "case.release", caller: caller, access: access) { row, _ in
            guard row.status == RequestStatus.inReview.rawValue || row.status == RequestStatus.submitted.rawValue else {
                return .invalid("only a case in review can be given back to the queue; this one is \(row.status)")
            }
            guard row.assigneeID == caller.accountID else {
                return .conflict("not_assigned", "only the caseworker a case is assigned to can give it back; a supervisor reassigns it")
            }
            row.assigneeID = nil
            row.status = RequestStatus.submitted.rawValue
            return .proceed([:])
        }
    }

    /// A supervisor assigns (or reassigns) a request to a caseworker or supervisor of the request's office.
    public func assign(_ requestID: String, to assigneeID: String, caller: AuthenticatedCaller, access: AccessContext) async throws -> RequestView {
        let assignee = try await guardedRead { db in
            try self.integrity.checkIfFound(AccountRow.fetchOne(db, sql: "SELECT * FROM accounts WHERE id = ? AND kind = 'staff' AND status = 'active'", arguments: [assigneeID]))
        }
        return try await transition(requestID, .assign, "case.assign", caller: caller, access: access) { row, _ in
            let open: Set<String> = [RequestStatus.submitted.rawValue, RequestStatus.inReview.rawValue, RequestStatus.infoRequested.rawValue]
            guard open.contains(row.status) else { return .invalid("only an open request can be assigned; this one is \(row.status)") }
            guard let assignee, assignee.office == row.office,
                !Set(assignee.roles.split(separator: ",").map(String.init)).isDisjoint(with: ["caseworker", "supervisor"])
            else {
                return .badInput(StrongroomError.invalid(
                    "unknown_assignee", "assign to an active caseworker or supervisor of the request's office (their account id)"))
            }
            row.assigneeID = assignee.id
            if row.status == RequestStatus.submitted.rawValue { row.status = RequestStatus.inReview.rawValue }
            return .proceed(["assignee": assignee.id])
        }
    }

    /// A member of staff a request can be assigned to.
    public struct Assignee: Sendable, Equatable {
        public let accountID: String
        public let login: String
        public let roles: [String]
    }

    /// The active caseworkers and supervisors of a request's office, for one who may assign it (the gate decides
    /// `assign` on the request, with the caller's purpose). Their logins are opened for the list, and the listing
    /// is an audit entry. A staff row that fails its integrity check is left out and alarmed, never offered.
    public func assignees(for requestID: String, caller: AuthenticatedCaller, access: AccessContext) async throws -> [Assignee] {
        let (request, service) = try await loadRequest(requestID)
        let target = AuditTarget(collection: Self.requestCollection, recordID: requestID, subjectID: request.subjectID)
        let resource = request.resource(sensitivity: Self.sensitivity(of: service))
        let decision = decide(caller, .assign, resource, access)
        guard decision.isPermitted else {
            let mayRead = decide(caller, .read, resource, access).isPermitted
            throw await denied(decision, caller: caller, action: "case.assignees", target: target, access: access, hide: !mayRead)
        }
        let office = request.office
        let rows = try await guardedRead { db in
            try AccountRow.fetchAll(
                db, sql: "SELECT * FROM accounts WHERE kind = 'staff' AND status = 'active' AND office = ? ORDER BY created_at",
                arguments: [office])
        }
        var result: [Assignee] = []
        for row in rows where !row.roleSet.isDisjoint(with: ["caseworker", "supervisor"]) {
            guard (try? integrity.check(row)) != nil else {
                await integrity.raiseAlarm(IntegrityViolation(table: AccountRow.macTable, key: row.id), requestID: access.requestID)
                continue
            }
            let place = FieldPlace(collection: AccountService.collection, recordID: row.id, field: "login")
            let envelopes = try await guardedRead { db in
                try FieldRows.sealed(collection: AccountService.collection, recordID: row.id, fields: ["login"], in: db)
            }
            guard let envelope = envelopes.first, row.fieldRevisions.admits(envelope.bytes, collection: AccountService.collection, field: "login") else {
                await integrity.raiseAlarm(IntegrityViolation(table: AccountRow.macTable, key: row.id), requestID: access.requestID)
                continue
            }
            let login = String(decoding: try sealer.open(envelope.bytes, at: place), as: UTF8.self)
            result.append(Assignee(accountID: row.id, login: login, roles: row.roleSet.sorted()))
        }
        let audit = self.audit
        let draft = AuditTrail.draft(
            caller: caller, action: "case.assignees", target: target, decision: decision, context: access,
            details: ["staff_logins_opened": String(result.count)])
        try await guardedWrite { db in try audit.record(draft, in: db) }
        return result
    }

    /// The assigned caseworker asks the citizen for more information; the question is a sealed message.
    public func requestInformation(
        _ requestID: String, question: String, caller: AuthenticatedCaller, access: AccessContext
    ) async throws -> RequestView {
        let text = try Self.validNote(question, name: "message")
        return try await transition(requestID, .requestInfo, "case.request-info", caller: caller, access: access) { row, service in
            guard row.status == RequestStatus.inReview.rawValue else {
                return .invalid("more information can be asked only while a request is in review; this one is \(row.status)")
            }
            row.status = RequestStatus.infoRequested.rawValue
            let message = try self.sealedMessage(text, kind: .infoRequest, row: row, service: service, caller: caller)
            return .proceed([:], extra: { db in try message.insert(db) })
        }
    }

    /// The outcome of a review.
    public enum ReviewOutcome: String, Sendable {
        case approve, reject
    }

    /// The sealed fields of a caseworker's decision (collection `decisions`, record id = the request's).
    static let decisionFields = ["reason", "reason_code"]

    /// Decides a request in review: approved or rejected, with a reason the citizen sees (sealed). An approval makes
    /// a fee due when the service charges on approval; a rejection refunds a paid fee when the service says so.
    ///
    /// - Parameters:
    ///   - reasonCode: one of the service's `decision_reasons` for this outcome, or `nil`; with one, `reason` may be
    ///     empty (the standard text speaks for the decision). Sealed like the reason, and named in the audit entry (it
    ///     is the catalog's id, never personal data).
    ///   - reason: the caseworker's own words; required when no reason code is given.
    public func decideRequest(
        _ requestID: String, outcome: ReviewOutcome, reasonCode: String? = nil, reason: String, caller: AuthenticatedCaller,
        access: AccessContext
    ) async throws -> RequestView {
        let text: String? = reasonCode != nil && reason.allSatisfy(\.isWhitespace) ? nil : try Self.validNote(reason, name: "reason")
        var decidedService: Service?
        let view = try await transition(requestID, .decide, "case.decide", caller: caller, access: access) { row, service in
            let decidable = row.status == RequestStatus.inReview.rawValue
                || (row.status == RequestStatus.submitted.rawValue && row.assigneeID != nil)
            guard decidable else {
                return .invalid("only a request in review can be decided; this one is \(row.status)")
            }
            let reasonOutcome: DecisionReasonCode.Outcome = outcome == .approve ? .approve : .reject
            if let reasonCode {
                guard service.decisionReason(reasonCode)?.outcome == reasonOutcome else {
                    return .badInput(StrongroomError.invalid(
                        "unknown_reason_code", "name one of this service's decision reasons for this outcome (\(service.decisionReasons(for: reasonOutcome).map(\.id).joined(separator: ", ")))"))
                }
            }
            let now = self.clock.now.millis
            row.status = RequestStatus.decided.rawValue
            row.outcome = outcome == .approve ? "approved" : "rejected"
            row.decidedAt = now
            row.decidedByRule = nil
            decidedService = service
            let key = try self.retentionKey(subjectID: row.subjectID, service: service, createdAt: row.createdAt)(
                FieldDefinition.note(id: "reason"))
            // The reason and the reason code, each sealed at its own place (a request is decided once, so neither
            // has an older value; one left out has no revision, so no envelope could be put in its place).
            var sealedFields: [(field: String, envelope: [UInt8], version: UInt32)] = []
            for (field, value) in [("reason", text), ("reason_code", reasonCode)] {
                guard let value else {
                    row.fieldRevisions.set(nil, collection: Self.decisionCollection, field: field)
                    continue
                }
                let place = FieldPlace(collection: Self.decisionCollection, recordID: row.id, field: field)
                let envelope = try self.sealer.seal(Array(value.utf8), for: place, subjectKeyID: key)
                row.fieldRevisions.set(try SealedEnvelope.revision(of: envelope), collection: Self.decisionCollection, field: field)
                sealedFields.append((field, envelope, try FieldSealer.keyVersion(of: envelope).version))
            }
            let payment = outcome == .approve ? try self.duePayment(for: row, service: service, at: .onApproval, values: [:], now: now) : nil
            let decided = row
            let audit = self.audit
            var details = ["outcome": row.outcome ?? ""]
            if let reasonCode { details["reason_code"] = reasonCode }
            let toStore = sealedFields
            return .proceed(details, extra: { db in
                try Self.refuseIfErasing(decided.subjectID, at: now, in: db)
                for sealed in toStore {
                    try FieldRows.putSealed(
                        sealed.envelope, keyVersion: sealed.version, collection: Self.decisionCollection, recordID: decided.id,
                        field: sealed.field, subjectID: decided.subjectID, shredKey: key, at: now, in: db)
                }
                if let payment { try Self.insertDue(payment, of: service.fee, audit: audit, requestID: access.requestID, in: db) }
            })
        }
        if outcome == .reject, let service = decidedService {
            await refundOnRejection(requestID: requestID, service: service, access: access)
        }
        return view
    }

    /// Closes a decided request (the case is finished; nothing more happens on it).
    public func closeRequest(_ requestID: String, caller: AuthenticatedCaller, access: AccessContext) async throws -> RequestView {
        try await transition(requestID, .decide, "case.close", caller: caller, access: access) { row, _ in
            guard row.status == RequestStatus.decided.rawValue else {
                return .invalid("only a decided request can be closed; this one is \(row.status)")
            }
            row.status = RequestStatus.closed.rawValue
            return .proceed([:])
        }
    }

    // MARK: - Internals

    /// What a transition's body decided.
    enum TransitionStep {
        case proceed([String: String], extra: (@Sendable (Database) throws -> Void)? = nil)
        /// The life cycle does not allow it (409 `invalid_transition`).
        case invalid(String)
        case conflict(String, String)
        case badInput(StrongroomError)
    }

    /// Gate → life-cycle check → one transaction: the row (only if unchanged meanwhile), the step's extra writes and
    /// the audit entry. A refusal at any point is audited as a deny and changes nothing.
    func transition(
        _ requestID: String, _ action: Action, _ auditAction: String, caller: AuthenticatedCaller, access: AccessContext,
        _ body: (inout RequestRow, Service) throws -> TransitionStep
    ) async throws -> RequestView {
        let (original, service) = try await loadRequest(requestID)
        let target = AuditTarget(collection: Self.requestCollection, recordID: requestID, subjectID: original.subjectID)
        let resource = original.resource(sensitivity: Self.sensitivity(of: service))
        let decision = decide(caller, action, resource, access)
        guard decision.isPermitted else {
            // 404 unless the caller could at least read this request: a refusal must not confirm that it exists.
            let mayRead = decide(caller, .read, resource, access).isPermitted
            throw await denied(decision, caller: caller, action: auditAction, target: target, access: access, hide: !mayRead)
        }
        var row = original
        let step: TransitionStep
        do {
            step = try body(&row, service)
        } catch let error as StrongroomError where error == .subjectErased {
            // A message, question or reason for an erased person: refused (and recorded as such), nothing written.
            throw await refusedTransition(
                caller: caller, action: auditAction, target: target, decision: decision, access: access, status: original.status,
                message: error.message, code: error.code)
        }
        switch step {
        case .invalid(let message):
            throw await refusedTransition(
                caller: caller, action: auditAction, target: target, decision: decision, access: access, status: original.status, message: message)
        case .conflict(let code, let message):
            throw await refusedTransition(
                caller: caller, action: auditAction, target: target, decision: decision, access: access, status: original.status,
                message: message, code: code)
        case .badInput(let error):
            throw await refusedInput(
                error, caller: caller, action: auditAction, target: target, decision: decision, access: access, knownFields: [])
        case .proceed(let details, let extra):
            row.updatedAt = clock.now.millis
            var allDetails = details
            allDetails["from"] = original.status
            allDetails["to"] = row.status
            let draft = AuditTrail.draft(
                caller: caller, action: auditAction, target: target, decision: decision, context: access, details: allDetails)
            do {
                try await write(row, original: original, extra: extra, draft: draft, in: requestID)
            } catch let error as StrongroomError where error == .subjectErased {
                // The subject's erasure began between the checks above and this write: refused, recorded, nothing written.
                throw await refusedTransition(
                    caller: caller, action: auditAction, target: target, decision: decision, access: access, status: original.status,
                    message: error.message, code: error.code)
            }
            return try await request(requestID, caller: caller, access: access)
        }
    }

    /// The write of a transition that proceeds: the row (only if unchanged meanwhile), the step's extra writes and the
    /// audit entry, in one transaction.
    private func write(
        _ updated: RequestRow, original: RequestRow, extra: (@Sendable (Database) throws -> Void)?, draft: AuditEntryDraft,
        in requestID: String
    ) async throws {
        let audit = self.audit
        let expected = original.status
        let expectedAssignee = original.assigneeID
        try await guardedWrite { db in
            try self.rewriteRequest(requestID, expecting: expected, assignee: .some(expectedAssignee), in: db) { current in
                current.status = updated.status
                current.assigneeID = updated.assigneeID
                current.outcome = updated.outcome
                current.decidedAt = updated.decidedAt
                current.decidedByRule = updated.decidedByRule
                current.updatedAt = updated.updatedAt
                // Only the revisions this step wrote (the decision's reason and reason code); the fields keep theirs
                // as they are now.
                for field in Self.decisionFields {
                    let revision = updated.fieldRevisions.revision(collection: Self.decisionCollection, field: field)
                    if revision != original.fieldRevisions.revision(collection: Self.decisionCollection, field: field) {
                        current.fieldRevisions.set(revision, collection: Self.decisionCollection, field: field)
                    }
                }
            }
            try extra?(db)
            try audit.record(draft, in: db)
        }
    }

    /// Records a permitted action refused by the life cycle (a deny with the reason) and returns the 409 to throw.
    func refusedTransition(
        caller: AuthenticatedCaller, action: String, target: AuditTarget, decision: Decision, access: AccessContext, status: String,
        message: String, code: String = "invalid_transition"
    ) async -> StrongroomError {
        var draft = AuditTrail.draft(
            caller: caller, action: action, target: target, decision: decision, context: access,
            details: ["reason": code.replacingOccurrences(of: "_", with: "-"), "status": status])
        draft.decision = .deny(decision.ruleIDs)
        return await recordRefusal(draft, then: StrongroomError.conflict(code, message))
    }

    /// A free-text note (message, question, reason): 1–4,000 characters, no control characters but line breaks and tabs.
    static func validNote(_ text: String, name: String) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw StrongroomError.invalid("missing_\(name)", "`\(name)` must not be empty") }
        guard trimmed.count <= 4000 else { throw StrongroomError.invalid("\(name)_too_long", "`\(name)` is limited to 4,000 characters") }
        let allowedControls: Set<Unicode.Scalar> = ["\n", "\t", "\r"]
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && !allowedControls.contains($0) }) else {
            throw StrongroomError.invalid("invalid_\(name)", "`\(name)` contains control characters; send plain text")
        }
        return trimmed
    }
}

/// One event in a case's history, from the audit log: who (by role and office; the caller as "you"), what, when,
/// which field names, for which purpose. Never a value.
public struct CaseEvent: Sendable, Equatable {
    public let auditSeq: UInt64
    public let time: Date
    public let action: String
    /// `citizen`, `staff`, `system` or `payment-provider`.
    public let actorKind: String
    public let role: String
    public let office: String?
    public let byCaller: Bool
    public let fields: [String]
    public let purpose: String?
    public let breakGlass: Bool
    public let allowed: Bool
}

extension RecordService {
    /// The case's own history from the audit log (who opened, claimed, asked, decided), newest last, for one who may
    /// read the case with their purpose. Looking at it is itself an audit entry (`case.timeline`), which the
    /// history leaves out with the assignee listings, so that reading it does not fill it.
    public func caseTimeline(_ requestID: String, caller: AuthenticatedCaller, access: AccessContext, limit: Int = 200) async throws -> [CaseEvent] {
        let (request, service) = try await loadRequest(requestID)
        let target = AuditTarget(collection: Self.requestCollection, recordID: requestID, subjectID: request.subjectID)
        // A case's history is for staff: a citizen has their access report (and a permitted read of their own
        // request must not be recorded as the decision of a refusal).
        guard caller.kind == .staff else {
            throw await recordRefusal(
                AuditTrail.draft(caller: caller, action: "case.timeline", target: target, decision: nil, context: access, details: ["reason": "staff-only"]),
                then: StrongroomError.notFound("record"))
        }
        let decision = decide(caller, .read, request.resource(sensitivity: Self.sensitivity(of: service)), access)
        guard decision.isPermitted else {
            throw await denied(decision, caller: caller, action: "case.timeline", target: target, access: access, hide: true)
        }
        let store = audit.store
        let subjectID = request.subjectID
        let (entries, own) = try await database.read { db -> ([AuditEntry], Set<String>) in
            let all = try Self.auditEntries(aboutSubject: subjectID, store: store, in: db) {
                $0.target.recordID == requestID && $0.action != "case.timeline" && $0.action != "case.assignees"
            }
            return (all, try self.ownAccountIDs(subjectID: subjectID, in: db))
        }
        let events = entries.suffix(limit).map { entry -> CaseEvent in
            let kind = own.contains(entry.actor.id) ? "citizen" : AccessReportEntry.accessorKind(entry.actor)
            return CaseEvent(
                auditSeq: entry.seq, time: Date(millis: entry.time.millisecondsSince1970), action: entry.action, actorKind: kind,
                role: entry.actor.role, office: entry.details["office"], byCaller: entry.actor.id == caller.accountID,
                fields: entry.fieldsTouched, purpose: entry.purpose, breakGlass: entry.flags.contains(.breakGlass),
                allowed: entry.decision.effect == .allow)
        }
        let audit = self.audit
        let draft = AuditTrail.draft(
            caller: caller, action: "case.timeline", target: target, decision: decision, context: access,
            details: ["events": String(events.count)])
        try await guardedWrite { db in try audit.record(draft, in: db) }
        return events
    }
}

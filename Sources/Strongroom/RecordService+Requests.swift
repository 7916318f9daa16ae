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

extension RecordService {
    static let requestCollection = "requests"

    /// Creates a request for a catalog service, as a draft or submitted at once.
    ///
    /// A draft is validated leniently (required fields may be missing); a submission strictly. Automatic decision
    /// rules run at submission; their outcome is audited like any decision.
    public func createRequest(
        serviceID: String, values: [String: FieldInput], submit: Bool, caller: AuthenticatedCaller, access: AccessContext
    ) async throws -> RequestView {
        guard let service = catalog.service(serviceID) else {
            throw StrongroomError(.notFound, code: "unknown_service", message: "there is no e-service with this id; list them with GET /v1/services")
        }
        let requestID = newOrderedID("req")
        let now = clock.now.millis
        var row = RequestRow(
            id: requestID, serviceID: service.id, serviceVersion: service.version, ownerID: caller.accountID,
            subjectID: caller.subjectID ?? caller.accountID, office: configuration.defaultOffice, now: now)
        let sensitivity = Self.sensitivity(of: service)
        let target = AuditTarget(collection: Self.requestCollection, recordID: requestID, subjectID: row.subjectID)
        let decision = decide(caller, .create, row.resource(sensitivity: sensitivity), access)
        guard decision.isPermitted, caller.kind == .citizen else {
            throw await denied(decision, caller: caller, action: "request.create", target: target, access: access, hide: false)
        }
        let validated: [String: FieldValue]
        do {
            validated = try service.validate(values, partial: !submit, today: clock.today)
        } catch {
            throw await refusedInput(
                Self.fieldProblems(error), caller: caller, action: "request.create", target: target, decision: decision, access: access,
                knownFields: service.allFieldIDs)
        }
        let prepared = try prepare(
            validated, definitions: service.fields, collection: Self.requestCollection, recordID: requestID,
            shredKey: retentionKey(subjectID: row.subjectID, service: service, createdAt: now))
        var drafts = [AuditTrail.draft(
            caller: caller, action: "request.create", target: target, fields: Array(validated.keys), decision: decision, context: access,
            details: ["service": service.id])]
        if submit {
            drafts += try await submission(of: &row, service: service, values: validated, caller: caller, access: access, target: target)
        }
        // The answer shows the caller what it just stored, as its read permission allows; that read is audited in
        // the same transaction, so no second round trip opens the fields again.
        let readDecision = decide(caller, .read, row.resource(sensitivity: sensitivity), access)
        let record = readDecision.isPermitted
            ? Self.view(of: validated.mapValues(\.canonical), plan: readDecision.fieldPlan, definitions: service.fields)
            : RecordView(fields: [:], omitted: validated.keys.sorted())
        if readDecision.isPermitted {
            drafts.append(AuditTrail.draft(
                caller: caller, action: "request.read", target: target, fields: Array(record.fields.keys), decision: readDecision,
                context: access))
        }
        let audit = self.audit
        Self.apply(prepared, collection: Self.requestCollection, to: &row.fieldRevisions)
        let finalRow = try integrity.authenticated(row)
        let allDrafts = drafts
        let payment = submit ? try paymentDueAtSubmission(row, service: service, values: validated, now: now) : nil
        try await guardedWrite { db in
            try finalRow.insertNew(in: db)
            try Self.store(
                prepared, collection: Self.requestCollection, recordID: requestID, subjectID: finalRow.subjectID, at: now, fresh: true, in: db)
            for draft in allDrafts { try audit.record(draft, in: db) }
            if let payment { try Self.insertDue(payment, of: service.fee, audit: audit, requestID: access.requestID, in: db) }
        }
        var view = Self.requestView(finalRow, record: record)
        view.paymentID = payment?.id
        view.paymentStatus = payment?.status
        return view
    }

    /// Replaces fields of a draft (or of a request that needs more information). `null` removes a field.
    public func updateRequest(
        _ requestID: String, values: [String: FieldInput], caller: AuthenticatedCaller, access: AccessContext
    ) async throws -> RequestView {
        let (row, service) = try await loadRequest(requestID)
        let target = AuditTarget(collection: Self.requestCollection, recordID: requestID, subjectID: row.subjectID)
        let decision = decide(caller, .update, row.resource(sensitivity: Self.sensitivity(of: service)), access)
        guard decision.isPermitted else {
            let hide = row.ownerID != caller.accountID
            if !hide, ![RequestStatus.draft.rawValue, RequestStatus.infoRequested.rawValue].contains(row.status) {
                _ = await denied(decision, caller: caller, action: "request.update", target: target, access: access, hide: false)
                throw StrongroomError.conflict("invalid_transition", "a request can be changed only while it is a draft or more information was asked for; this one is \(row.status)")
            }
            throw await denied(decision, caller: caller, action: "request.update", target: target, access: access, hide: hide)
        }
        let removals = Set(values.filter { $0.value == .null }.map(\.key))
        let validated: [String: FieldValue]
        do {
            let unknown = removals.subtracting(service.fields(at: row.serviceVersion).map(\.id))
            guard unknown.isEmpty else {
                throw StrongroomError.invalid("invalid_fields", "some fields are not valid; see `fields` for what to fix", fields: unknown.sorted().map {
                    .init(field: RecordService.nameableKey($0), code: "unknown_field", message: "this service has no field with this name")
                })
            }
            do {
                validated = try service.validate(values.filter { $0.value != .null }, partial: true, today: clock.today)
            } catch {
                throw Self.fieldProblems(error)
            }
        } catch let error as StrongroomError {
            throw await refusedInput(
                error, caller: caller, action: "request.update", target: target, decision: decision, access: access,
                knownFields: service.allFieldIDs)
        }
        let prepared = try prepare(
            validated, definitions: service.fields(at: row.serviceVersion), collection: Self.requestCollection, recordID: requestID,
            shredKey: retentionKey(subjectID: row.subjectID, service: service, createdAt: row.createdAt))
        let now = clock.now.millis
        let draft = AuditTrail.draft(
            caller: caller, action: "request.update", target: target, fields: Array(validated.keys) + Array(removals),
            decision: decision, context: access)
        let audit = self.audit
        let expectedStatus = row.status
        try await guardedWrite { db in
            try self.rewriteRequest(requestID, expecting: expectedStatus, in: db) { current in
                current.updatedAt = now
                Self.apply(prepared, removals: removals, collection: Self.requestCollection, to: &current.fieldRevisions)
            }
            try Self.store(prepared, collection: Self.requestCollection, recordID: requestID, subjectID: row.subjectID, at: now, in: db)
            for field in removals { try FieldRows.remove(collection: Self.requestCollection, recordID: requestID, field: field, in: db) }
            try audit.record(draft, in: db)
        }
        return try await request(requestID, caller: caller, access: access)
    }

    /// Submits a draft: strict validation of the stored fields, then the service's automatic rules.
    public func submitRequest(_ requestID: String, caller: AuthenticatedCaller, access: AccessContext) async throws -> RequestView {
        var (row, service) = try await loadRequest(requestID)
        let target = AuditTarget(collection: Self.requestCollection, recordID: requestID, subjectID: row.subjectID)
        let decision = decide(caller, .submit, row.resource(sensitivity: Self.sensitivity(of: service)), access)
        guard decision.isPermitted else {
            let hide = row.ownerID != caller.accountID
            if !hide {
                _ = await denied(decision, caller: caller, action: "request.submit", target: target, access: access, hide: false)
                throw StrongroomError.conflict("invalid_transition", "only a draft or a request that needs more information can be submitted; this one is \(row.status)")
            }
            throw await denied(decision, caller: caller, action: "request.submit", target: target, access: access, hide: true)
        }
        // Submission re-validates everything stored, which means opening the request's own fields for its owner.
        let values = try await storedValues(row: row, service: service)
        var inputs: [String: FieldInput] = [:]
        for (field, canonical) in values {
            guard let definition = service.field(field, at: row.serviceVersion),
                let value = try? FieldValue(canonical: canonical, type: definition.type)
            else { continue }
            inputs[field] = value.asInput
        }
        let validated: [String: FieldValue]
        do {
            validated = try service.validate(inputs, partial: false, today: clock.today)
        } catch {
            throw await refusedInput(
                Self.fieldProblems(error), caller: caller, action: "request.submit", target: target, decision: decision, access: access,
                knownFields: service.allFieldIDs)
        }
        let previousStatus = row.status
        let drafts = try await submission(of: &row, service: service, values: validated, caller: caller, access: access, target: target)
        let audit = self.audit
        let finalRow = row
        let payment = try paymentDueAtSubmission(row, service: service, values: validated, now: clock.now.millis)
        let fee = service.fee
        try await guardedWrite { db in
            try self.rewriteRequest(requestID, expecting: previousStatus, in: db) { current in
                // The submission's life-cycle columns, on the row as it is now (its field revisions stay current).
                current.status = finalRow.status
                current.office = finalRow.office
                current.submittedAt = finalRow.submittedAt
                current.updatedAt = finalRow.updatedAt
                current.outcome = finalRow.outcome
                current.decidedAt = finalRow.decidedAt
                current.decidedByRule = finalRow.decidedByRule
            }
            try audit.record(
                AuditTrail.draft(caller: caller, action: "request.submit", target: target, fields: [], decision: decision, context: access),
                in: db)
            for draft in drafts { try audit.record(draft, in: db) }
            if let payment { try Self.insertDue(payment, of: fee, audit: audit, requestID: access.requestID, in: db) }
        }
        return try await request(requestID, caller: caller, access: access)
    }

    /// Withdraws a request before it is decided.
    public func withdrawRequest(_ requestID: String, caller: AuthenticatedCaller, access: AccessContext) async throws -> RequestView {
        let (row, service) = try await loadRequest(requestID)
        let target = AuditTarget(collection: Self.requestCollection, recordID: requestID, subjectID: row.subjectID)
        let decision = decide(caller, .withdraw, row.resource(sensitivity: Self.sensitivity(of: service)), access)
        guard decision.isPermitted else {
            let hide = row.ownerID != caller.accountID
            _ = await denied(decision, caller: caller, action: "request.withdraw", target: target, access: access, hide: hide)
            if hide { throw StrongroomError.notFound("record") }
            throw StrongroomError.conflict("invalid_transition", "a request can be withdrawn only before it is decided; this one is \(row.status)")
        }
        let now = clock.now.millis
        let audit = self.audit
        let expected = row.status
        try await guardedWrite { db in
            try self.rewriteRequest(requestID, expecting: expected, in: db) { current in
                current.status = RequestStatus.withdrawn.rawValue
                current.updatedAt = now
            }
            try audit.record(AuditTrail.draft(caller: caller, action: "request.withdraw", target: target, decision: decision, context: access), in: db)
        }
        return try await request(requestID, caller: caller, access: access)
    }

    /// One request as the caller may see it; the read is audited before anything is returned.
    ///
    /// The row and its stored fields are loaded from one snapshot, shared with other reads of the moment (the
    /// group reader, beside the writer), and the gate decides there; the audit entry — the fields the decision lets
    /// through, or the refusal — then commits through the group committer (``auditedRead(_:)``). Only after that
    /// commit are the fields the decision allows opened; envelopes of omitted fields are never opened.
    public func request(_ requestID: String, caller: AuthenticatedCaller, access: AccessContext) async throws -> RequestView {
        let loaded = try await auditedRead { [catalog] db -> (value: RequestRead, entry: AuditEntryDraft?, alongside: (@Sendable (Database) throws -> Void)?) in
            guard let row = try self.verifiedRequest(requestID, in: db),
                let service = catalog.service(row.serviceID)
            else { return (.missing, nil, nil) }
            let target = AuditTarget(collection: Self.requestCollection, recordID: requestID, subjectID: row.subjectID)
            let (decision, grant) = try self.breakGlassDecision(
                caller, .read, row.resource(sensitivity: Self.sensitivity(of: service)), collection: Self.requestCollection,
                recordID: requestID, access: access, in: db)
            guard decision.isPermitted else {
                return (.denied(decision), Self.denialDraft(decision, caller: caller, action: "request.read", target: target, access: access), nil)
            }
            let sealed = try FieldRows.sealed(collection: Self.requestCollection, recordID: requestID, fields: nil, in: db)
            // Services whose every field is sealed (in every version) store nothing in open_fields: skip the query.
            let open = service.storesOpenFields ? try FieldRows.open(collection: Self.requestCollection, recordID: requestID, fields: nil, in: db) : [:]
            // A caseworker's decision carries a sealed reason; automatic decisions and open requests have none.
            let reason = row.outcome != nil && row.decidedByRule == nil
                ? try FieldRows.sealed(collection: Self.decisionCollection, recordID: requestID, fields: nil, in: db) : []
            try Self.checkRevisions(sealed, collection: Self.requestCollection, recordID: requestID, against: row.fieldRevisions)
            try Self.checkRevisions(reason, collection: Self.decisionCollection, recordID: requestID, against: row.fieldRevisions)
            let payment = try self.paymentState(of: requestID, in: db)
            let present = Set(sealed.map(\.field)).union(open.keys)
            var touched = Self.allowedFields(decision.fieldPlan, among: present)
            if !reason.isEmpty { touched.formUnion(Self.allowedFields(decision.fieldPlan, among: ["decision_reason"])) }
            let entry = AuditTrail.draft(
                caller: caller, action: "request.read", target: target, fields: Array(touched), decision: decision, context: access,
                details: grant.details)
            return (.loaded(RequestRead.Loaded(
                row: row, decision: decision, present: present, sealed: sealed, open: open, reason: reason,
                paymentID: payment?.id, paymentStatus: payment?.status)), entry, self.grantWrite(grant, subjectID: row.subjectID))
        }
        let read: RequestRead.Loaded
        switch loaded {
        case .missing: throw StrongroomError.notFound("record")
        case .denied(let decision): throw Self.denialError(decision, hide: true, access: access)
        case .loaded(let value): read = value
        }
        let row = read.row
        guard let service = catalog.service(row.serviceID) else { throw StrongroomError.notFound("record") }
        let plan = read.decision.fieldPlan
        let record = try view(
            collection: Self.requestCollection, recordID: requestID, plan: plan, present: read.present,
            sealed: read.sealed, open: read.open, definitions: service.allFieldDefinitions.filter { $0.isActive(at: row.serviceVersion) })
        // The decision's reason and standard reason code, both under `decision_reason` in the plan.
        var decisionTexts: [String: String] = [:]
        if Self.allowedFields(plan, among: ["decision_reason"]).contains("decision_reason") {
            for envelope in read.reason where Self.decisionFields.contains(envelope.field) {
                do {
                    let bytes = try sealer.open(envelope.bytes, at: FieldPlace(collection: Self.decisionCollection, recordID: requestID, field: envelope.field))
                    decisionTexts[envelope.field] = String(decoding: bytes, as: UTF8.self)
                } catch let error as SealingError where error == .keyUnavailableCode {
                    continue
                }
            }
        }
        var result = Self.requestView(row, record: record)
        result.decisionReason = decisionTexts["reason"]
        result.decisionReasonCode = decisionTexts["reason_code"]
        result.assigneeID = caller.kind == .staff ? row.assigneeID : nil
        result.paymentID = read.paymentID
        result.paymentStatus = read.paymentStatus
        if caller.kind == .staff, record.fields.values.contains(where: { $0.masked != nil }) {
            // Which masked fields this caller could ask to see in full: a decision only, nothing opened or recorded
            // (the reveal itself is its own audited access).
            let revealing = decide(caller, .reveal, row.resource(sensitivity: Self.sensitivity(of: service)), access)
            if revealing.isPermitted {
                result.revealable = Set(record.fields.filter { name, field in
                    guard field.masked != nil, case .reveal = revealing.disposition(of: name) else { return false }
                    return true
                }.keys)
            }
        }
        return result
    }

    static func requestView(_ row: RequestRow, record: RecordView) -> RequestView {
        RequestView(
            id: row.id, serviceID: row.serviceID, serviceVersion: row.serviceVersion, status: row.status, outcome: row.outcome,
            office: row.office, createdAt: Date(millis: row.createdAt), updatedAt: Date(millis: row.updatedAt),
            submittedAt: row.submittedAt.map(Date.init(millis:)), decidedAt: row.decidedAt.map(Date.init(millis:)),
            decidedByRule: row.decidedByRule, record: record)
    }

    /// The caller's own requests, newest first, without field values.
    public func ownRequests(caller: AuthenticatedCaller, access: AccessContext) async throws -> [RequestSummary] {
        let ownerID = caller.accountID
        let rows = try await guardedRead { db in
            try RequestRow.fetchAll(db.cachedStatement(sql: "SELECT * FROM requests WHERE owner_id = ? ORDER BY created_at DESC, id LIMIT 500"), arguments: [ownerID])
                .map { try self.integrity.check($0) }
        }
        let audit = self.audit
        let draft = AuditTrail.draft(
            caller: caller, action: "request.list", target: AuditTarget(collection: Self.requestCollection, subjectID: caller.subjectID),
            decision: nil, context: access, details: ["count": String(rows.count)])
        try await guardedWrite { db in try audit.record(draft, in: db) }
        return rows.map(\.summary)
    }

    // MARK: - Internals

    func loadRequest(_ requestID: String) async throws -> (RequestRow, Service) {
        let row = try await guardedRead { db in
            try self.verifiedRequest(requestID, in: db)
        }
        guard let row, let service = catalog.service(row.serviceID) else { throw StrongroomError.notFound("record") }
        return (row, service)
    }

    /// Moves a request to submitted and runs the automatic rules; returns the audit drafts to record.
    func submission(
        of row: inout RequestRow, service: Service, values: [String: FieldValue], caller: AuthenticatedCaller,
        access: AccessContext, target: AuditTarget
    ) async throws -> [AuditEntryDraft] {
        let now = clock.now.millis
        row.status = RequestStatus.submitted.rawValue
        let firstSubmission = row.submittedAt == nil
        // A resubmission (after a request for more information) keeps its place in the queue.
        row.submittedAt = row.submittedAt ?? now
        row.updatedAt = now
        // Facts from the profile are looked up only when the service's rules can use them.
        let needsFacts = (service.decisionOn == .submission && !service.rules.isEmpty) || !service.routing.isEmpty
        var hasAddress = false
        if needsFacts {
            let ownerID = row.ownerID
            hasAddress = try await database.read { db in
                try FieldRows.presentFields(collection: ProfileSchema.collection, recordID: ownerID, in: db).contains("postal_address")
            }
        }
        let facts = DecisionFacts(applicantIsSubject: row.ownerID == caller.accountID, hasProfileAddress: hasAddress)
        let automatic = service.decide(values, facts: facts, today: clock.today)
        var details = ["service": service.id]
        // The office is chosen once, at the first submission, from what was submitted (a draft is nobody's case yet;
        // a resubmission stays with the office that has it).
        if firstSubmission {
            row.office = service.office(for: values, facts: facts, today: clock.today) ?? configuration.defaultOffice
            details["office"] = row.office
        }
        switch automatic.outcome {
        case .approve:
            row.status = RequestStatus.decided.rawValue
            row.outcome = "approved"
            row.decidedAt = now
            details["outcome"] = "approved"
        case .reject(let reason):
            row.status = RequestStatus.decided.rawValue
            row.outcome = "rejected"
            row.decidedAt = now
            details["outcome"] = "rejected"
            details["reason"] = String(reason.prefix(200))
        case .review:
            details["outcome"] = "review"
        }
        row.decidedByRule = automatic.ruleID
        if let rule = automatic.ruleID { details["rule"] = rule }
        return [AuditEntryDraft(
            actor: AuditActor(id: "system", role: "automatic-rules"), action: "request.auto-decide", target: target,
            fieldsTouched: values.keys.sorted(), decision: .allow(automatic.ruleID.map { [$0] } ?? []),
            purpose: "automatic-decision", requestID: access.requestID, details: details)]
    }

    /// The canonical values stored for a request, opened for re-validation at submission.
    func storedValues(row: RequestRow, service: Service) async throws -> [String: String] {
        let (sealed, open) = try await guardedRead { [id = row.id] db in
            guard let current = try self.verifiedRequest(id, in: db) else { throw StrongroomError.notFound("record") }
            let sealed = try FieldRows.sealed(collection: Self.requestCollection, recordID: id, fields: nil, in: db)
            try Self.checkRevisions(sealed, collection: Self.requestCollection, recordID: id, against: current.fieldRevisions)
            return (sealed, try FieldRows.open(collection: Self.requestCollection, recordID: id, fields: nil, in: db))
        }
        var values = open
        for envelope in sealed {
            let bytes = try sealer.open(envelope.bytes, at: FieldPlace(collection: Self.requestCollection, recordID: row.id, field: envelope.field))
            values[envelope.field] = String(decoding: bytes, as: UTF8.self)
        }
        return values
    }

    /// Picks, per field, the subject's shredding key for the month in which the field's retention ends (the
    /// field's own retention, else the service's, counted from the request's creation).
    func retentionKey(subjectID: String, service: Service, createdAt: Int64) -> (FieldDefinition) throws -> [UInt8]? {
        let created = Date(millis: createdAt)
        return { [subjectKeys] definition in
            let retention = definition.retention ?? service.retention
            let until = created.addingTimeInterval(Double(retention.approximateDays) * 86_400)
            return try subjectKeys.keyID(subject: subjectID, scope: SubjectKeyStore.retentionScope(until: until))
        }
    }
}

/// What the snapshot part of a request read found.
enum RequestRead: Sendable {
    struct Loaded: Sendable {
        let row: RequestRow
        let decision: Decision
        /// The names of the fields stored for the request, sealed or not.
        let present: Set<String>
        let sealed: [FieldRows.Envelope]
        let open: [String: String]
        let reason: [FieldRows.Envelope]
        let paymentID: String?
        let paymentStatus: String?
    }

    case missing
    case denied(Decision)
    case loaded(Loaded)
}

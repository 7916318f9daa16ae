import AuditLog
import Catalog
import GRDB
import Policy
import Sealing
import Storage

extension RecordService {
    /// The profile of account `ownerID` as the caller may see it. The account, the decision and the stored fields
    /// come from one snapshot, and the read (or the refusal) is audited before any field is opened or returned
    /// (``auditedRead(_:)``).
    public func profile(of ownerID: String, caller: AuthenticatedCaller, access: AccessContext) async throws -> RecordView {
        let collection = ProfileSchema.collection
        let loaded = try await auditedRead { db -> (value: ProfileRead, entry: AuditEntryDraft?) in
            let account = try self.verifiedAccount(ownerID, in: db)
            let subjectID = account?.kind == "citizen" ? account?.subjectID : nil
            let target = AuditTarget(collection: collection, recordID: ownerID, subjectID: subjectID)
            let decision = self.decide(caller, .read, Resource.profile(owner: ownerID), access)
            guard decision.isPermitted, subjectID != nil else {
                return (.denied(decision), Self.denialDraft(decision, caller: caller, action: "profile.read", target: target, access: access))
            }
            let present = try FieldRows.presentFields(collection: collection, recordID: ownerID, in: db)
            let allowed = Self.allowedFields(decision.fieldPlan, among: present)
            let sealed = try FieldRows.sealed(collection: collection, recordID: ownerID, fields: allowed, in: db)
            try Self.checkRevisions(sealed, collection: collection, recordID: ownerID, against: account?.fieldRevisions ?? FieldRevisions())
            let open = try FieldRows.open(collection: collection, recordID: ownerID, fields: allowed, in: db)
            let entry = AuditTrail.draft(
                caller: caller, action: "profile.read", target: target, fields: Array(allowed), decision: decision, context: access)
            return (.loaded(decision: decision, present: present, sealed: sealed, open: open), entry)
        }
        switch loaded {
        case .denied(let decision):
            throw Self.denialError(decision, hide: true, access: access)
        case let .loaded(decision, present, sealed, open):
            return try view(
                collection: collection, recordID: ownerID, plan: decision.fieldPlan, present: present, sealed: sealed, open: open,
                definitions: ProfileSchema.service.fields)
        }
    }

    /// Creates or updates fields of the caller's own profile. Fields not named are left as they are; a field
    /// given as `null` is removed.
    public func updateProfile(_ values: [String: FieldInput], caller: AuthenticatedCaller, access: AccessContext) async throws -> RecordView {
        let collection = ProfileSchema.collection
        let ownerID = caller.accountID
        let target = AuditTarget(collection: collection, recordID: ownerID, subjectID: caller.subjectID)
        let decision = decide(caller, .update, Resource.profile(owner: ownerID), access)
        guard decision.isPermitted, caller.kind == .citizen else {
            throw await denied(decision, caller: caller, action: "profile.update", target: target, access: access, hide: false)
        }
        let removals = Set(values.filter { $0.value == .null }.map(\.key))
        let validated: [String: FieldValue]
        let known = Set(ProfileSchema.service.fields.map(\.id))
        do {
            let unknown = removals.subtracting(known)
            guard unknown.isEmpty else {
                throw StrongroomError.invalid("invalid_fields", "some fields are not valid; see `fields` for what to fix", fields: unknown.sorted().map {
                    .init(field: RecordService.nameableKey($0), code: "unknown_field", message: "the profile has no field with this name")
                })
            }
            do {
                validated = try ProfileSchema.service.validate(values.filter { $0.value != .null }, partial: true, today: clock.today)
            } catch {
                throw Self.fieldProblems(error)
            }
        } catch let error as StrongroomError {
            throw await refusedInput(
                error, caller: caller, action: "profile.update", target: target, decision: decision, access: access, knownFields: known)
        }
        let subjectKey = try caller.subjectID.map { try subjectKeys.keyID(subject: $0, scope: "subject") }
        let prepared = try prepare(
            validated, definitions: ProfileSchema.service.fields, collection: collection, recordID: ownerID, shredKey: { _ in subjectKey })
        let now = clock.now.millis
        let draft = AuditTrail.draft(
            caller: caller, action: "profile.update", target: target, fields: Array(validated.keys) + Array(removals),
            decision: decision, context: access)
        let audit = self.audit
        let subjectID = caller.subjectID
        try await guardedWrite { db in
            // The profile's field revisions live on the account row, under its MAC.
            guard var account = try self.verifiedAccount(ownerID, in: db) else { throw StrongroomError.notFound("record") }
            Self.apply(prepared, removals: removals, collection: collection, to: &account.fieldRevisions)
            try self.integrity.authenticate(&account)
            try account.update(db)
            try Self.store(prepared, collection: collection, recordID: ownerID, subjectID: subjectID, at: now, in: db)
            for field in removals { try FieldRows.remove(collection: collection, recordID: ownerID, field: field, in: db) }
            try audit.record(draft, in: db)
        }
        return try await profile(of: ownerID, caller: caller, access: access)
    }
}

/// What the snapshot part of a profile read found.
enum ProfileRead: Sendable {
    case denied(Decision)
    case loaded(decision: Decision, present: Set<String>, sealed: [FieldRows.Envelope], open: [String: String])
}

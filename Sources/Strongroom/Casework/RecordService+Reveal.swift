import AuditLog
import Catalog
import GRDB
import Policy
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Revealing one masked field on request: a caseworker reading a case sees identifiers masked (`last4`), and where a
/// rule permits `reveal` on the request for that field, asks to see it in full. The reveal is its own access: the gate
/// decides `reveal` with the caller's purpose, the audit entry (`request.reveal`, naming the one field) commits before
/// the value is opened, and only that field's envelope is opened. A refusal is audited and opens nothing.
extension RecordService {
    enum RevealRead: Sendable {
        case missing
        case denied(Decision, hide: Bool)
        case notRevealable
        case loaded(decision: Decision, sealed: [FieldRows.Envelope], open: [String: String], definition: FieldDefinition)
    }

    /// Shows one field of a request in full to a member of staff whose rules reveal it.
    ///
    /// - Returns: the field as the `reveal` decision shows it (revealed), or `nil` when the request has no value for
    ///   it or its subject key is destroyed (erased).
    /// - Throws: `notFound` when the request does not exist or the caller could not even read it; `forbidden` (or
    ///   `purpose_required`) when they could read it but no rule lets them reveal; `field_not_revealable` (400) when
    ///   the field is not one the rules reveal. Every refusal is in the audit log.
    public func reveal(_ requestID: String, field: String, caller: AuthenticatedCaller, access: AccessContext) async throws -> FieldView? {
        let loaded = try await auditedRead { [catalog] db -> (value: RevealRead, entry: AuditEntryDraft?) in
            guard let row = try self.verifiedRequest(requestID, in: db), let service = catalog.service(row.serviceID) else {
                return (.missing, nil)
            }
            let target = AuditTarget(collection: Self.requestCollection, recordID: requestID, subjectID: row.subjectID)
            let resource = row.resource(sensitivity: Self.sensitivity(of: service))
            let decision = self.decide(caller, .reveal, resource, access)
            guard decision.isPermitted else {
                let mayRead = self.decide(caller, .read, resource, access).isPermitted
                return (.denied(decision, hide: !mayRead), Self.denialDraft(decision, caller: caller, action: "request.reveal", target: target, access: access))
            }
            let definition = service.allFieldDefinitions.first { $0.id == field && $0.isActive(at: row.serviceVersion) }
            guard let definition, case .reveal = decision.disposition(of: field) else {
                // Permitted to reveal something, but not this: the name is recorded only when it is a field of the
                // service (anything else the caller typed stays out of the log).
                var draft = AuditTrail.draft(
                    caller: caller, action: "request.reveal", target: target, fields: definition == nil ? [] : [field],
                    decision: decision, context: access, details: ["reason": "field-not-revealable"])
                draft.decision = .deny(decision.ruleIDs)
                return (.notRevealable, draft)
            }
            let sealed = try FieldRows.sealed(collection: Self.requestCollection, recordID: requestID, fields: [field], in: db)
            let open = service.storesOpenFields
                ? try FieldRows.open(collection: Self.requestCollection, recordID: requestID, fields: [field], in: db) : [:]
            try Self.checkRevisions(sealed, collection: Self.requestCollection, recordID: requestID, against: row.fieldRevisions)
            let entry = AuditTrail.draft(
                caller: caller, action: "request.reveal", target: target, fields: [field], decision: decision, context: access)
            return (.loaded(decision: decision, sealed: sealed, open: open, definition: definition), entry)
        }
        switch loaded {
        case .missing:
            throw StrongroomError.notFound("record")
        case .denied(let decision, let hide):
            throw Self.denialError(decision, hide: hide, access: access)
        case .notRevealable:
            throw StrongroomError.invalid(
                "field_not_revealable", "no rule reveals this field to you in full; only fields shown masked can be revealed, where a policy allows it")
        case .loaded(let decision, let sealed, let open, let definition):
            let present = Set(sealed.map(\.field)).union(open.keys)
            let record = try view(
                collection: Self.requestCollection, recordID: requestID, plan: decision.fieldPlan, present: present,
                sealed: sealed, open: open, definitions: [definition])
            return record.fields[field]
        }
    }
}

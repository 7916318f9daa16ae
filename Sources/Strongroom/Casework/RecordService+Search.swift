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

/// One request found by a staff search, with only what the search decision reveals.
public struct SearchHit: Sendable, Equatable {
    public let id: String
    public let serviceID: String
    public let status: String
    public let office: String
    public let submittedAt: Date?
    public let record: RecordView
}

extension RecordService {
    /// Staff search by a blind-indexed field (for example `national_id`): the value is normalised as the catalog
    /// says and hashed under every live index key version, so nothing is decrypted to search. Requires a declared
    /// purpose; each hit is gated on its own (hits the caller may not see are left out without a trace in the
    /// answer) and opened per that decision's field plan. The search and every hit shown are audited with the purpose.
    public func search(
        field: String, value: String, serviceID: String? = nil, caller: AuthenticatedCaller, access: AccessContext
    ) async throws -> [SearchHit] {
        let services = catalog.serviceIDs.compactMap { catalog.service($0) }.filter { serviceID == nil || $0.id == serviceID }
        if serviceID != nil, services.isEmpty {
            throw StrongroomError(.notFound, code: "unknown_service", message: "there is no e-service with this id; list them with GET /v1/services")
        }
        let searchable = services.filter { $0.fields.contains { $0.id == field && $0.hasBlindIndex } }
        guard !searchable.isEmpty else {
            let names = Set(services.flatMap { $0.fields.filter(\.hasBlindIndex).map(\.id) }).sorted()
            throw StrongroomError.invalid(
                "not_searchable", "`\(Self.nameableKey(field))` is not a searchable field; searchable fields: \(names.joined(separator: ", "))")
        }
        let resource = Resource.request(owner: "", service: serviceID ?? searchable[0].id, office: caller.office, status: "submitted")
        let overall = decide(caller, .search, resource, access)
        let target = AuditTarget(collection: Self.requestCollection)
        guard overall.isPermitted else {
            throw await denied(overall, caller: caller, action: "request.search", target: target, access: access, hide: false)
        }
        // The same value, normalised per the field's type in each service that indexes it.
        var inputs: Set<String> = []
        var problems: [StrongroomError.FieldProblem] = []
        for service in searchable {
            guard let definition = service.fields.first(where: { $0.id == field }), let normalization = definition.blindIndexNormalization else { continue }
            switch Self.searchValue(value, field: field, in: service, today: clock.today) {
            case .success(let parsed): if let parsed { inputs.insert(parsed.blindIndexInput(normalization)) }
            case .failure(let error): problems += error.fields
            }
        }
        guard !inputs.isEmpty else {
            throw await refusedInput(
                StrongroomError.invalid("invalid_fields", "the search value is not valid for this field; see `fields`", fields: problems),
                caller: caller, action: "request.search", target: target, decision: overall, access: access, knownFields: [field])
        }
        var indexes: [(version: UInt32, digest: [UInt8])] = []
        for input in inputs {
            indexes += try indexer.searchIndexes(input, normalization: .exact, collection: Self.requestCollection, field: field).map { ($0.keyVersion, $0.bytes) }
        }
        let digests = indexes
        let found = try await guardedRead { db -> [(RequestRow, [FieldRows.Envelope], [String: String])] in
            let ids = try FieldRows.search(collection: Self.requestCollection, field: field, indexes: digests, in: db).prefix(50)
            return try ids.compactMap { id in
                guard let row = try self.verifiedRequest(id, in: db) else { return nil }
                let sealed = try FieldRows.sealed(collection: Self.requestCollection, recordID: id, fields: nil, in: db)
                try Self.checkRevisions(sealed, collection: Self.requestCollection, recordID: id, against: row.fieldRevisions)
                return (row, sealed, try FieldRows.open(collection: Self.requestCollection, recordID: id, fields: nil, in: db))
            }
        }
        var hits: [SearchHit] = []
        var drafts: [AuditEntryDraft] = []
        var withheld = 0
        for (row, sealed, open) in found {
            guard let service = catalog.service(row.serviceID), serviceID == nil || row.serviceID == serviceID else { continue }
            let decision = decide(caller, .search, row.resource(sensitivity: Self.sensitivity(of: service)), access)
            guard decision.isPermitted else {
                withheld += 1
                continue
            }
            let present = Set(sealed.map(\.field)).union(open.keys)
            let record = try view(
                collection: Self.requestCollection, recordID: row.id, plan: decision.fieldPlan, present: present, sealed: sealed, open: open,
                definitions: service.allFieldDefinitions.filter { $0.isActive(at: row.serviceVersion) })
            hits.append(SearchHit(
                id: row.id, serviceID: row.serviceID, status: row.status, office: row.office,
                submittedAt: row.submittedAt.map(Date.init(millis:)), record: record))
            drafts.append(AuditTrail.draft(
                caller: caller, action: "request.search-hit",
                target: AuditTarget(collection: Self.requestCollection, recordID: row.id, subjectID: row.subjectID),
                fields: Array(record.fields.keys) + [field], decision: decision, context: access, details: ["searched_field": field]))
        }
        drafts.insert(AuditTrail.draft(
            caller: caller, action: "request.search", target: target, fields: [field], decision: overall, context: access,
            details: ["shown": String(hits.count), "withheld": String(withheld)]), at: 0)
        let audit = self.audit
        let entries = drafts
        try await guardedWrite { db in for draft in entries { try audit.record(draft, in: db) } }
        return hits
    }

    /// The search value validated as a value of `field` in `service`.
    static func searchValue(_ value: String, field: String, in service: Service, today: CalendarDate) -> Result<FieldValue?, StrongroomError> {
        do {
            return .success(try service.validate([field: .string(value)], partial: true, today: today)[field])
        } catch {
            return .failure(fieldProblems(error))
        }
    }
}

import HTTPTypes
import Hummingbird
import Strongroom

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Staff casework (`/v1/cases`, `/v1/search`), messages on a request, and break-glass review (`/v1/audit/break-glass`).
/// Staff declare a purpose of use in `Strongroom-Purpose`; break-glass reads carry `Strongroom-Justification`.
extension Routes {
    func registerCasework(on v1: RouterGroup<StrongroomRequestContext>) {
        v1.get("cases", use: queue)
        v1.post("cases/:id/claim", use: claim)
        v1.post("cases/:id/assign", use: assign)
        v1.post("cases/:id/request-info", use: requestInfo)
        v1.post("cases/:id/decision", use: decideCase)
        v1.post("cases/:id/reveal", use: revealField)
        v1.post("cases/:id/release", use: releaseCase)
        v1.post("cases/:id/close", use: closeCase)
        v1.post("cases/:id/sealing", use: sealCase)
        v1.get("requests/:id/messages", use: listMessages)
        v1.post("requests/:id/messages", use: postMessage)
        v1.post("search", use: search)
        v1.get("audit/break-glass", use: breakGlassList)
        v1.post("audit/break-glass/:seq/review", use: breakGlassReview)
    }

    @Sendable func queue(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let query = request.uri.queryParameters
        let allowed: Set<String> = ["office", "service", "status", "min_age_days", "assignee", "limit"]
        if let unknown = query.map({ String($0.key) }).first(where: { !allowed.contains($0) }) {
            // Named back only when it looks like a parameter name: a query string may carry anything.
            let named = unknown.count <= 40 && unknown.allSatisfy { $0.isASCII && ($0.isLetter || $0 == "_") } ? "`\(unknown)`" : "(unnamed)"
            throw StrongroomError.invalid("unknown_parameter", "unknown query parameter \(named); use \(allowed.sorted().joined(separator: ", "))")
        }
        var filter = CaseQueueFilter()
        filter.office = query["office"].map(String.init)
        filter.serviceID = query["service"].map(String.init)
        filter.statuses = query["status"].map { $0.split(separator: ",").map(String.init) } ?? []
        if let days = query["min_age_days"] {
            guard let value = Int(days), value >= 0, value <= 36_500 else {
                throw StrongroomError.invalid("invalid_min_age_days", "`min_age_days` must be a whole number of days (0–36500)")
            }
            filter.minimumAgeDays = value
        }
        if let limit = query["limit"] {
            guard let value = Int(limit), (1...500).contains(value) else { throw StrongroomError.invalid("invalid_limit", "`limit` must be 1–500") }
            filter.limit = value
        }
        switch query["assignee"].map(String.init) {
        case nil: break
        case "me": filter.assignee = .account(caller.accountID)
        case "none": filter.assignee = .unassigned
        case let id?: filter.assignee = .account(id)
        }
        let items = try await installation.records.queue(filter, caller: caller, access: access(request, context))
        return try JSONCoding.response(ListBody(items: items.map(CaseSummaryBody.init)))
    }

    @Sendable func sealCase(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let body = try await JSONCoding.object(request, context: context, allowed: ["sealed", "reason"])
        guard let sealed = body["sealed"]?.bool else {
            throw StrongroomError.invalid("missing_sealed", "send `sealed`: true to seal the request, false to unseal it")
        }
        guard let reason = body["reason"]?.string else {
            throw StrongroomError.invalid("missing_reason", "send `reason`: a short code such as protected-identity")
        }
        let change = try await installation.records.setSealed(
            try requestID(context), sealed: sealed, reason: reason, caller: caller, access: access(request, context))
        return try JSONCoding.response(SealingBody(id: change.requestID, sealed: change.sealed, changed: !change.unchanged))
    }

    @Sendable func claim(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let view = try await installation.records.claim(try requestID(context), caller: caller, access: access(request, context))
        return try JSONCoding.response(RequestBody(view))
    }

    @Sendable func assign(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let body = try await JSONCoding.object(request, context: context, allowed: ["assignee"])
        guard let assignee = body["assignee"]?.string, !assignee.isEmpty, assignee.count <= 64 else {
            throw StrongroomError.invalid("missing_assignee", "send `assignee`: the account id of a caseworker or supervisor of the request's office")
        }
        let view = try await installation.records.assign(try requestID(context), to: assignee, caller: caller, access: access(request, context))
        return try JSONCoding.response(RequestBody(view))
    }

    @Sendable func requestInfo(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let body = try await JSONCoding.object(request, context: context, allowed: ["message"])
        guard let message = body["message"]?.string else {
            throw StrongroomError.invalid("missing_message", "send `message`: what the citizen should add or correct")
        }
        let view = try await installation.records.requestInformation(
            try requestID(context), question: message, caller: caller, access: access(request, context))
        return try JSONCoding.response(RequestBody(view))
    }

    @Sendable func decideCase(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let body = try await JSONCoding.object(request, context: context, allowed: ["outcome", "reason", "reason_code"])
        guard let outcome = body["outcome"]?.string.flatMap(RecordService.ReviewOutcome.init(rawValue:)) else {
            throw StrongroomError.invalid("invalid_outcome", "send `outcome`: \"approve\" or \"reject\"")
        }
        if body["reason_code"] != nil, body["reason_code"]?.string == nil {
            throw StrongroomError.invalid("invalid_reason_code", "`reason_code` is a string: one of the service's decision reasons (GET /v1/services/{id})")
        }
        let reasonCode = body["reason_code"]?.string
        guard let reason = body["reason"]?.string ?? (reasonCode == nil ? nil : "") else {
            throw StrongroomError.invalid("missing_reason", "send `reason`: the explanation the citizen will see (or a `reason_code`)")
        }
        let view = try await installation.records.decideRequest(
            try requestID(context), outcome: outcome, reasonCode: reasonCode, reason: reason, caller: caller, access: access(request, context))
        return try JSONCoding.response(RequestBody(view))
    }

    /// One masked field in full, where a rule reveals it to the caller: an access of its own in the audit log.
    @Sendable func revealField(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let body = try await JSONCoding.object(request, context: context, allowed: ["field"])
        guard let field = body["field"]?.string, !field.isEmpty else {
            throw StrongroomError.invalid("missing_field", "send `field`: the id of a field shown masked")
        }
        let shown = try await installation.records.reveal(try requestID(context), field: field, caller: caller, access: access(request, context))
        return try JSONCoding.response(RevealedFieldBody(field: field, value: shown?.value))
    }

    @Sendable func releaseCase(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let view = try await installation.records.release(try requestID(context), caller: caller, access: access(request, context))
        return try JSONCoding.response(RequestBody(view))
    }

    @Sendable func closeCase(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let view = try await installation.records.closeRequest(try requestID(context), caller: caller, access: access(request, context))
        return try JSONCoding.response(RequestBody(view))
    }

    @Sendable func listMessages(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let items = try await installation.records.messages(try requestID(context), caller: caller, access: access(request, context))
        return try JSONCoding.response(ListBody(items: items.map(MessageBody.init)))
    }

    @Sendable func postMessage(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let body = try await JSONCoding.object(request, context: context, allowed: ["body"])
        guard let text = body["body"]?.string else { throw StrongroomError.invalid("missing_body", "send `body`: the message text") }
        let message = try await installation.records.postMessage(try requestID(context), body: text, caller: caller, access: access(request, context))
        return try JSONCoding.response(MessageBody(message), status: .created)
    }

    @Sendable func search(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let body = try await JSONCoding.object(request, context: context, allowed: ["field", "value", "service"])
        guard let field = body["field"]?.string, let value = body["value"]?.string else {
            throw StrongroomError.invalid("missing_search", "send `field` (a searchable field such as national_id) and `value` as strings")
        }
        if let service = body["service"], service.string == nil {
            throw StrongroomError.invalid("invalid_service", "`service` must be a service id string")
        }
        let hits = try await installation.records.search(
            field: field, value: value, serviceID: body["service"]?.string, caller: caller, access: access(request, context))
        return try JSONCoding.response(ListBody(items: hits.map(SearchHitBody.init)))
    }

    @Sendable func breakGlassList(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let all = request.uri.queryParameters["include_reviewed"].map { $0 == "true" } ?? false
        let items = try await installation.records.breakGlassAccesses(includeReviewed: all, caller: caller, access: access(request, context))
        return try JSONCoding.response(ListBody(items: items.map(BreakGlassBody.init)))
    }

    @Sendable func breakGlassReview(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        guard let seq = context.parameters.get("seq").flatMap(UInt64.init) else { throw StrongroomError.notFound("audit entry") }
        let body = try await JSONCoding.object(request, context: context, allowed: ["finding"])
        guard let finding = body["finding"]?.string.flatMap(BreakGlassFinding.init(rawValue:)) else {
            throw StrongroomError.invalid(
                "invalid_finding", "send `finding`: \(BreakGlassFinding.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))")
        }
        let item = try await installation.records.reviewBreakGlass(auditSeq: seq, finding: finding, caller: caller, access: access(request, context))
        return try JSONCoding.response(BreakGlassBody(item))
    }
}

/// The answer to `POST /v1/cases/{id}/sealing`.
struct SealingBody: Encodable {
    let id: String
    let sealed: Bool
    let changed: Bool
}

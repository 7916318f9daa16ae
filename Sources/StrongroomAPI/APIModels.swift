import Catalog
import Strongroom

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Response bodies. Snake-case keys, ISO 8601 dates.
struct SessionBody: Encodable {
    let token: String
    let expires_at: Date
    let account_id: String
    let kind: String
    let roles: [String]
    let office: String?
}

struct RecordBody: Encodable {
    let fields: [String: FieldView]
    let omitted: [String]
    init(_ view: RecordView) {
        fields = view.fields
        omitted = view.omitted
    }
}

struct RequestBody: Encodable {
    let id: String
    let service: String
    let service_version: Int
    let status: String
    let outcome: String?
    let office: String
    let created_at: Date
    let updated_at: Date
    let submitted_at: Date?
    let decided_at: Date?
    let decided_by_rule: String?
    /// The reason given with a caseworker's decision.
    let decision_reason: String?
    /// The standard reason's id (the service's `decision_reasons`), when one was given.
    let decision_reason_code: String?
    /// The staff account handling it (staff callers only).
    let assignee: String?
    let payment: PaymentRef?
    let fields: [String: FieldView]
    let omitted: [String]

    struct PaymentRef: Encodable {
        let id: String
        let status: String
    }

    init(_ view: RequestView) {
        id = view.id
        service = view.serviceID
        service_version = view.serviceVersion
        status = view.status
        outcome = view.outcome
        office = view.office
        created_at = view.createdAt
        updated_at = view.updatedAt
        submitted_at = view.submittedAt
        decided_at = view.decidedAt
        decided_by_rule = view.decidedByRule
        decision_reason = view.decisionReason
        decision_reason_code = view.decisionReasonCode
        assignee = view.assigneeID
        payment = view.paymentID.map { PaymentRef(id: $0, status: view.paymentStatus ?? "") }
        fields = view.record.fields
        omitted = view.record.omitted
    }
}

struct RequestSummaryBody: Encodable {
    let id: String
    let service: String
    let status: String
    let outcome: String?
    let created_at: Date
    let updated_at: Date
    init(_ summary: RequestSummary) {
        id = summary.id
        service = summary.serviceID
        status = summary.status
        outcome = summary.outcome
        created_at = summary.createdAt
        updated_at = summary.updatedAt
    }
}

struct ListBody<Item: Encodable>: Encodable {
    let items: [Item]
}

struct ServiceSummaryBody: Encodable {
    let id: String
    let title: String
    let description: String
    let category: String
    let version: Int
    let fee: FeeBody?
}

struct FeeBody: Encodable {
    /// The same amount for every request (minor units), or `nil` when the fee is what the citizen enters.
    let amount_minor: Int64?
    /// The money field whose entered amount is charged, or `nil` for a fixed fee.
    let amount_field: String?
    let currency: String
    let due: String
    let refund_on_rejection: Bool
}

struct FieldDefinitionBody: Encodable {
    let id: String
    let label: String
    let help: String?
    let type: String
    let required: Bool
    let sensitivity: String
    let options: [String]?
}

struct ServiceBody: Encodable {
    let id: String
    let title: String
    let description: String
    let category: String
    let version: Int
    let decision_on: String
    let retention: String
    let fee: FeeBody?
    let fields: [FieldDefinitionBody]
}

extension ServiceSummaryBody {
    init(_ service: Service) {
        id = service.id
        title = service.title
        description = service.description
        category = service.category
        version = service.version
        fee = service.fee.map(FeeBody.init)
    }
}

extension FeeBody {
    init(_ fee: Fee) {
        switch fee.amount {
        case .fixed(let money):
            amount_minor = money.minorUnits
            amount_field = nil
        case .entered(let field, _):
            amount_minor = nil
            amount_field = field
        }
        currency = fee.currency.code
        due = "\(fee.due)"
        refund_on_rejection = fee.refundOnRejection
    }
}

extension ServiceBody {
    init(_ service: Service) {
        id = service.id
        title = service.title
        description = service.description
        category = service.category
        version = service.version
        decision_on = service.decisionOn.rawValue
        retention = service.retention.description
        fee = service.fee.map(FeeBody.init)
        fields = service.fields.map { field in
            FieldDefinitionBody(
                id: field.id, label: field.label, help: field.help, type: field.type.rawValue, required: field.required,
                sensitivity: field.sensitivity.rawValue,
                options: field.constraints.options.isEmpty ? nil : field.constraints.options.map(\.value))
        }
    }
}

import Strongroom

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Response bodies for casework, payments and privacy. Snake-case keys, ISO 8601 dates, exact minor units.
struct CaseSummaryBody: Encodable {
    let id: String
    let service: String
    let status: String
    let office: String
    let assignee: String?
    let sealed: Bool
    let submitted_at: Date?
    let updated_at: Date
    let payment_status: String?

    init(_ item: CaseSummary) {
        id = item.id
        service = item.serviceID
        status = item.status
        office = item.office
        assignee = item.assigneeID
        sealed = item.sealed
        submitted_at = item.submittedAt
        updated_at = item.updatedAt
        payment_status = item.paymentStatus
    }
}

struct MessageBody: Encodable {
    let id: String
    let request: String
    let kind: String
    let author_role: String
    let mine: Bool
    let created_at: Date
    /// `null` when the message can no longer be opened (erased or past retention).
    let body: String?

    init(_ message: MessageView) {
        id = message.id
        request = message.requestID
        kind = message.kind
        author_role = message.authorRole
        mine = message.mine
        created_at = message.createdAt
        body = message.body
    }
}

struct SearchHitBody: Encodable {
    let id: String
    let service: String
    let status: String
    let office: String
    let submitted_at: Date?
    let fields: [String: FieldView]
    let omitted: [String]

    init(_ hit: SearchHit) {
        id = hit.id
        service = hit.serviceID
        status = hit.status
        office = hit.office
        submitted_at = hit.submittedAt
        fields = hit.record.fields
        omitted = hit.record.omitted
    }
}

public struct BreakGlassBody: Encodable {
    struct Review: Encodable {
        let audit_seq: UInt64
        let reviewer: String
        let finding: String
        let time: Date
    }

    let audit_seq: UInt64
    let time: Date
    let actor: String
    let role: String
    let office: String?
    let action: String
    let collection: String?
    let record: String?
    struct Grant: Encodable {
        let id: String
        let granted_at: Date
        let expires_at: Date
        let opened_by_this_access: Bool
        let justification: String?
    }

    let fields: [String]
    let review: Review?
    let grant: Grant?

    public init(_ item: BreakGlassItem) {
        audit_seq = item.auditSeq
        time = item.time
        actor = item.actorID
        role = item.role
        office = item.office
        action = item.action
        collection = item.collection
        record = item.recordID
        fields = item.fields
        review = item.review.map { Review(audit_seq: $0.auditSeq, reviewer: $0.reviewerID, finding: $0.finding, time: $0.time) }
        grant = item.grant.map {
            Grant(id: $0.id, granted_at: $0.grantedAt, expires_at: $0.expiresAt, opened_by_this_access: $0.openedByThisAccess, justification: $0.justification)
        }
    }
}

struct PaymentBody: Encodable {
    struct Receipt: Encodable {
        let number: String
        let paid_at: Date
        let amount_minor: Int64
        let currency: String
    }

    let id: String
    let request: String
    let amount_minor: Int64
    let currency: String
    let status: String
    let provider: String
    let receipt: Receipt?
    let created_at: Date
    let updated_at: Date
    let refunded_at: Date?

    init(_ view: PaymentView) {
        id = view.id
        request = view.requestID
        amount_minor = view.amountMinor
        currency = view.currency
        status = view.status
        provider = view.provider
        receipt = view.receipt.map { Receipt(number: $0.number, paid_at: $0.paidAt, amount_minor: $0.amountMinor, currency: $0.currency) }
        created_at = view.createdAt
        updated_at = view.updatedAt
        refunded_at = view.refundedAt
    }
}

struct PaymentEventBody: Encodable {
    let applied: Bool
    let payment: PaymentBody
}

public struct AccessEntryBody: Encodable {
    let audit_seq: UInt64
    let time: Date
    let action: String
    let accessor: String
    let role: String
    let office: String?
    let collection: String?
    let record: String?
    let fields: [String]
    let purpose: String?
    let break_glass: Bool
    let allowed: Bool

    public init(_ entry: AccessReportEntry) {
        audit_seq = entry.auditSeq
        time = entry.time
        action = entry.action
        accessor = entry.accessorKind
        role = entry.role
        office = entry.office
        collection = entry.collection
        record = entry.recordID
        fields = entry.fields
        purpose = entry.purpose
        break_glass = entry.breakGlass
        allowed = entry.allowed
    }
}

public struct AccessReportBody: Encodable {
    let subject: String
    let generated_at: Date
    let items: [AccessEntryBody]

    public init(_ report: AccessReport) {
        subject = report.subjectID
        generated_at = report.generatedAt
        items = report.entries.map(AccessEntryBody.init)
    }
}

struct DataExportBody: Encodable {
    struct ExportedRequest: Encodable {
        let request: RequestBody
        let fields: [String: String]
        let decision_reason: String?
        let decision_reason_code: String?
    }

    let format: String
    let account: String
    let subject: String
    let generated_at: Date
    let account_created_at: Date?
    let profile: [String: String]
    let requests: [ExportedRequest]
    let messages: [MessageBody]
    let payments: [PaymentBody]
    let erasure_effective_at: Date?
    let accesses: [AccessEntryBody]

    init(_ export: DataExport) {
        format = "strongroom-export-v1"
        account = export.accountID
        subject = export.subjectID
        generated_at = export.generatedAt
        account_created_at = export.accountCreatedAt
        profile = export.profile
        requests = export.requests.map { ExportedRequest(
            request: RequestBody($0.summary), fields: $0.fields, decision_reason: $0.decisionReason, decision_reason_code: $0.decisionReasonCode) }
        messages = export.messages.map(MessageBody.init)
        payments = export.payments.map(PaymentBody.init)
        erasure_effective_at = export.erasureEffectiveAt
        accesses = export.accesses.map(AccessEntryBody.init)
    }
}

/// The export document (`GET /v1/me/export`) as bytes, for the portal's download: one format for both.
public enum ExportDocument {
    public static func json(_ export: DataExport) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        encoder.dateEncodingStrategy = .iso8601
        return Array(try encoder.encode(DataExportBody(export)))
    }
}

/// The answer to a reveal: the field and its value in full (`null` when the request holds none, or it was erased).
struct RevealedFieldBody: Encodable {
    let field: String
    let value: String?
}

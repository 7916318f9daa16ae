import GRDB
import Policy
import Sealing

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The states of a fee payment.
/// The states of a fee payment. `processing`: a charge was sent to the provider and its answer is not applied yet.
public enum PaymentStatus: String, Sendable, CaseIterable {
    case pending, processing, paid, refunded, failed
}

/// One row of `payments`: amounts in exact minor units, states and ids; no personal data.
struct PaymentRow: Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "payments"

    var id: String
    var requestID: String
    var ownerID: String
    var subjectID: String
    var office: String
    var amountMinor: Int64
    var currency: String
    var status: String
    var provider: String
    var providerReference: String?
    var receiptNumber: String?
    var createdAt: Int64
    var updatedAt: Int64
    var paidAt: Int64?
    var refundedAt: Int64?
    /// The key the current or last charge attempt was sent with; the provider charges once per key.
    var idempotencyKey: String?
    /// When the payment entered `processing`.
    var processingSince: Int64?
    var rowMAC: [UInt8]?

    init(row: Row) {
        id = row["id"]
        requestID = row["request_id"]
        ownerID = row["owner_id"]
        subjectID = row["subject_id"]
        office = row["office"]
        amountMinor = row["amount_minor"]
        currency = row["currency"]
        status = row["status"]
        provider = row["provider"]
        providerReference = row["provider_reference"]
        receiptNumber = row["receipt_number"]
        createdAt = row["created_at"]
        updatedAt = row["updated_at"]
        paidAt = row["paid_at"]
        refundedAt = row["refunded_at"]
        idempotencyKey = row["idempotency_key"]
        processingSince = row["processing_since"]
        rowMAC = (row["row_mac"] as Data?).map { [UInt8]($0) }
    }

    init(id: String, request: RequestRow, amountMinor: Int64, currency: String, provider: String, now: Int64) {
        self.id = id
        requestID = request.id
        ownerID = request.ownerID
        subjectID = request.subjectID
        office = request.office
        self.amountMinor = amountMinor
        self.currency = currency
        status = PaymentStatus.pending.rawValue
        self.provider = provider
        createdAt = now
        updatedAt = now
    }

    func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["request_id"] = requestID
        container["owner_id"] = ownerID
        container["subject_id"] = subjectID
        container["office"] = office
        container["amount_minor"] = amountMinor
        container["currency"] = currency
        container["status"] = status
        container["provider"] = provider
        container["provider_reference"] = providerReference
        container["receipt_number"] = receiptNumber
        container["created_at"] = createdAt
        container["updated_at"] = updatedAt
        container["paid_at"] = paidAt
        container["refunded_at"] = refundedAt
        container["idempotency_key"] = idempotencyKey
        container["processing_since"] = processingSince
        container["row_mac"] = rowMAC.map { Data($0) }
    }

    /// The gate's view of this payment; `sealed` is the request's (a protected-identity request's fee is as
    /// protected as the request).
    func resource(sealed: Bool) -> Resource {
        Resource(type: "payment", attributes: [
            "owner": .string(ownerID), "office": .string(office), "status": .string(status), "amount": .int(Int(amountMinor)),
            "sealed": .bool(sealed),
        ])
    }

    var view: PaymentView {
        PaymentView(
            id: id, requestID: requestID, amountMinor: amountMinor, currency: currency, status: status, provider: provider,
            receipt: receiptNumber.map { number in
                PaymentView.Receipt(number: number, paidAt: Date(millis: paidAt ?? updatedAt), amountMinor: amountMinor, currency: currency)
            },
            createdAt: Date(millis: createdAt), updatedAt: Date(millis: updatedAt), refundedAt: refundedAt.map(Date.init(millis:)))
    }
}

/// A payment as its payer (or staff allowed to) sees it.
public struct PaymentView: Sendable, Equatable {
    /// Proof of payment.
    public struct Receipt: Sendable, Equatable {
        public let number: String
        public let paidAt: Date
        public let amountMinor: Int64
        public let currency: String
    }

    public let id: String
    public let requestID: String
    /// Exact amount in minor units (cents).
    public let amountMinor: Int64
    public let currency: String
    public let status: String
    public let provider: String
    /// Issued when the payment succeeds; kept after a refund.
    public let receipt: Receipt?
    public let createdAt: Date
    public let updatedAt: Date
    public let refundedAt: Date?
}

extension PaymentRow: AuthenticatedRow {
    static let macTable = "payments"
    var macKey: String { id }
    var macColumns: [RowValue] {
        [
            .text(requestID), .text(ownerID), .text(subjectID), .text(office), .integer(amountMinor), .text(currency), .text(status),
            .text(provider), providerReference.map(RowValue.text) ?? .null, receiptNumber.map(RowValue.text) ?? .null,
            .integer(createdAt), paidAt.map(RowValue.integer) ?? .null, refundedAt.map(RowValue.integer) ?? .null,
        ] + attemptColumns
    }

    /// The charge attempt's columns, in the MAC only once a payment has had one: rows from before they existed keep
    /// their MAC, and adding or removing them changes the encoding, so neither passes.
    private var attemptColumns: [RowValue] {
        guard idempotencyKey != nil || processingSince != nil else { return [] }
        return [idempotencyKey.map(RowValue.text) ?? .null, processingSince.map(RowValue.integer) ?? .null]
    }
}

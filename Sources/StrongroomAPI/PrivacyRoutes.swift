import HTTPTypes
import Hummingbird
import Strongroom

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Payments (`/v1/payments`, `/v1/me/payments`) and citizens' rights (`/v1/me/access-report`, `/v1/me/export`).
extension Routes {
    func registerPaymentsAndPrivacy(on v1: RouterGroup<StrongroomRequestContext>) {
        v1.get("me/payments", use: ownPayments)
        v1.get("payments/:id", use: readPayment)
        v1.post("payments/:id/pay", use: pay)
        v1.post("payments/:id/refund", use: refund)
        v1.post("payments/events", use: paymentEvent)
        v1.get("me/access-report", use: accessReport)
        v1.get("me/export", use: export)
    }

    @Sendable func ownPayments(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let items = try await installation.records.ownPayments(caller: caller, access: access(request, context))
        return try JSONCoding.response(ListBody(items: items.map(PaymentBody.init)))
    }

    @Sendable func readPayment(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let view = try await installation.records.payment(try paymentID(context), caller: caller, access: access(request, context))
        return try JSONCoding.response(PaymentBody(view))
    }

    @Sendable func pay(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let body = try await JSONCoding.object(request, context: context, allowed: ["instrument"])
        guard let instrument = body["instrument"]?.string, !instrument.isEmpty, instrument.count <= 200 else {
            throw StrongroomError.invalid("missing_instrument", "send `instrument`: the payment token from the provider's form")
        }
        let view = try await installation.records.pay(try paymentID(context), instrument: instrument, caller: caller, access: access(request, context))
        return try JSONCoding.response(PaymentBody(view))
    }

    @Sendable func refund(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let view = try await installation.records.refund(try paymentID(context), caller: caller, access: access(request, context))
        return try JSONCoding.response(PaymentBody(view))
    }

    /// The provider's callback. Authenticated by the event's signature, not by a session. A replayed event answers
    /// 200 with `applied: false` (so the provider stops retrying) and changes nothing.
    @Sendable func paymentEvent(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let keys: Set<String> = ["event_id", "payment_id", "kind", "amount_minor", "currency", "provider_reference", "signature"]
        let body = try await JSONCoding.object(request, context: context, allowed: keys)
        guard let eventID = body["event_id"]?.string, let paymentID = body["payment_id"]?.string,
            let kind = body["kind"]?.string.flatMap(PaymentEvent.Kind.init(rawValue:)), case let .integer(amount)? = body["amount_minor"],
            let currency = body["currency"]?.string, let reference = body["provider_reference"]?.string, let signature = body["signature"]?.string,
            eventID.count <= 128, paymentID.count <= 64, reference.count <= 128, signature.count <= 256
        else {
            throw StrongroomError.invalid(
                "invalid_event", "a payment event needs \(keys.sorted().joined(separator: ", ")); `kind` is paid, failed or refunded and `amount_minor` an integer")
        }
        let event = PaymentEvent(
            eventID: eventID, paymentID: paymentID, kind: kind, amountMinor: Int64(amount), currency: currency, providerReference: reference,
            signature: signature)
        switch try await installation.records.applyPaymentEvent(event, requestID: context.requestID) {
        case .applied(let view): return try JSONCoding.response(PaymentEventBody(applied: true, payment: PaymentBody(view)))
        case .duplicate(let view): return try JSONCoding.response(PaymentEventBody(applied: false, payment: PaymentBody(view)))
        }
    }

    @Sendable func accessReport(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let report = try await installation.records.accessReport(caller: caller, access: access(request, context))
        return try JSONCoding.response(AccessReportBody(report))
    }

    @Sendable func export(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let export = try await installation.records.export(caller: caller, access: access(request, context))
        var response = try JSONCoding.response(DataExportBody(export))
        response.headers[.contentDisposition] = "attachment; filename=\"strongroom-export.json\""
        response.headers[.cacheControl] = "no-store"
        return response
    }

    func paymentID(_ context: StrongroomRequestContext) throws -> String {
        guard let id = context.parameters.get("id"), id.count <= 64, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw StrongroomError.notFound("payment")
        }
        return id
    }
}

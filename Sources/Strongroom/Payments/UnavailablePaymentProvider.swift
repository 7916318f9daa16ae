import Catalog

/// What an installation charges with when no payment provider is configured: every charge and refund is refused with
/// `payments_unavailable` (503), so that no fee is ever marked paid by accident. `serve` uses it unless the operator
/// names a provider, and refuses to start when the catalog charges fees and none is named.
public struct UnavailablePaymentProvider: PaymentProvider {
    public let name = "none"

    public init() {}

    static let refusal = StrongroomError(
        .unavailable, code: "payments_unavailable",
        message: "this installation has no payment provider configured; fees cannot be paid here yet")

    public func charge(paymentID: String, amount: Money, instrument: String, idempotencyKey: String) async throws -> PaymentEvent {
        throw Self.refusal
    }

    public func refund(paymentID: String, amount: Money, providerReference: String) async throws -> PaymentEvent {
        throw Self.refusal
    }

    public func isAuthentic(_ event: PaymentEvent) -> Bool { false }
}

import Catalog

/// A payment provider: charges and refunds fees, and signs the events that report what happened.
///
/// Strongroom never sees card numbers: the citizen's browser obtains an opaque `instrument` token from the provider,
/// and Strongroom passes it on. State changes arrive as ``PaymentEvent``s — the answer to a charge or refund, or a
/// callback the provider sends later (and may send more than once). Each event is applied at most once.
public protocol PaymentProvider: Sendable {
    /// The provider's name, stored with each payment.
    var name: String { get }

    /// Charges `amount` for payment `paymentID` with the citizen's instrument token.
    ///
    /// - Parameter idempotencyKey: the same for every retry of one attempt; a provider charges at most once per key
    ///   and answers a repeated key with the first attempt's outcome. Strongroom sends a new key only after an attempt
    ///   has a known outcome (declined), and the same key again after an unknown one (a timeout, a crash).
    /// - Returns: the signed event reporting `paid` or `failed`.
    /// - Throws: ``StrongroomError`` when the provider cannot be reached or refuses the request outright.
    func charge(paymentID: String, amount: Money, instrument: String, idempotencyKey: String) async throws -> PaymentEvent

    /// Refunds a paid payment in full.
    func refund(paymentID: String, amount: Money, providerReference: String) async throws -> PaymentEvent

    /// Whether `event` carries this provider's valid signature.
    func isAuthentic(_ event: PaymentEvent) -> Bool
}

/// A provider's signed report that a payment was paid, failed or was refunded.
public struct PaymentEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case paid, failed, refunded
    }

    /// Unique per state change; a retried callback repeats it.
    public let eventID: String
    public let paymentID: String
    public let kind: Kind
    /// Exact amount in minor units.
    public let amountMinor: Int64
    /// ISO 4217 code.
    public let currency: String
    /// The provider's own id for the charge.
    public let providerReference: String
    /// Hex signature over ``signedBytes``.
    public let signature: String

    public init(
        eventID: String, paymentID: String, kind: Kind, amountMinor: Int64, currency: String, providerReference: String,
        signature: String
    ) {
        self.eventID = eventID
        self.paymentID = paymentID
        self.kind = kind
        self.amountMinor = amountMinor
        self.currency = currency
        self.providerReference = providerReference
        self.signature = signature
    }

    /// The bytes a provider signs: every field but the signature, length-prefixed so no two events share them.
    public var signedBytes: [UInt8] {
        var bytes = Array("strongroom-payment-event-v1".utf8)
        for part in [eventID, paymentID, kind.rawValue, String(amountMinor), currency, providerReference] {
            let utf8 = Array(part.utf8)
            bytes += withUnsafeBytes(of: UInt32(utf8.count).bigEndian, Array.init)
            bytes += utf8
        }
        return bytes
    }
}

import Catalog
import Sodium
import Synchronization

/// The built-in test provider: no network, deterministic outcomes by instrument token, events signed with keyed
/// BLAKE2b under a secret generated when the provider is created (so events from another process never verify).
///
/// Instrument tokens: `test-card-ok` pays, `test-card-declined` fails; anything else is refused as unknown.
/// For demos, tests and the benchmark; a real provider implements ``PaymentProvider`` against its own API.
public final class OfflinePaymentProvider: PaymentProvider {
    public static let approvingInstrument = "test-card-ok"
    public static let decliningInstrument = "test-card-declined"

    public let name = "offline-test"
    private let secret: SecretBytes
    /// Outcomes by idempotency key: a repeated key gets the first answer and is not charged again.
    private let attempts = Mutex<[String: PaymentEvent]>([:])
    /// How many charges were made (distinct keys that paid or failed), for tests.
    public var chargeCount: Int { attempts.withLock { $0.count } }

    public init() throws {
        secret = try SecretBytes(randomCount: 32)
    }

    public func charge(paymentID: String, amount: Money, instrument: String, idempotencyKey: String) async throws -> PaymentEvent {
        if let earlier = attempts.withLock({ $0[idempotencyKey] }) { return earlier }
        let event = try outcome(paymentID: paymentID, amount: amount, instrument: instrument)
        return attempts.withLock { known in
            if let earlier = known[idempotencyKey] { return earlier }
            known[idempotencyKey] = event
            return event
        }
    }

    private func outcome(paymentID: String, amount: Money, instrument: String) throws -> PaymentEvent {
        switch instrument {
        case Self.approvingInstrument:
            return try signed(paymentID: paymentID, kind: .paid, amount: amount, reference: "tp_" + SecureRandom.bytes(count: 8).hexString)
        case Self.decliningInstrument:
            return try signed(paymentID: paymentID, kind: .failed, amount: amount, reference: "tp_" + SecureRandom.bytes(count: 8).hexString)
        default:
            throw StrongroomError.invalid(
                "unknown_instrument",
                "the payment provider does not recognise this instrument; with the offline test provider use `\(Self.approvingInstrument)` or `\(Self.decliningInstrument)`")
        }
    }

    public func refund(paymentID: String, amount: Money, providerReference: String) async throws -> PaymentEvent {
        try signed(paymentID: paymentID, kind: .refunded, amount: amount, reference: providerReference)
    }

    public func isAuthentic(_ event: PaymentEvent) -> Bool {
        guard let given = [UInt8](hexString: event.signature), given.count == 32,
            let expected = try? BLAKE2b.hash(event.signedBytes, key: secret)
        else { return false }
        return constantTimeEquals(given, expected)
    }

    private func signed(paymentID: String, kind: PaymentEvent.Kind, amount: Money, reference: String) throws -> PaymentEvent {
        let unsigned = PaymentEvent(
            eventID: "evt_" + SecureRandom.bytes(count: 12).hexString, paymentID: paymentID, kind: kind,
            amountMinor: amount.minorUnits, currency: amount.currency.code, providerReference: reference, signature: "")
        let signature = try BLAKE2b.hash(unsigned.signedBytes, key: secret).hexString
        return PaymentEvent(
            eventID: unsigned.eventID, paymentID: paymentID, kind: kind, amountMinor: unsigned.amountMinor, currency: unsigned.currency,
            providerReference: reference, signature: signature)
    }
}

import Catalog
import Foundation
import Strongroom
import Synchronization
import TestSupport

/// The offline test provider, keeping every event it signs so a test can replay a callback.
final class RecordingPaymentProvider: PaymentProvider {
    let inner: OfflinePaymentProvider
    private let recorded = Mutex<[PaymentEvent]>([])

    init() throws { inner = try OfflinePaymentProvider() }

    var name: String { inner.name }
    var events: [PaymentEvent] { recorded.withLock { $0 } }

    func charge(paymentID: String, amount: Money, instrument: String, idempotencyKey: String) async throws -> PaymentEvent {
        let event = try await inner.charge(paymentID: paymentID, amount: amount, instrument: instrument, idempotencyKey: idempotencyKey)
        recorded.withLock { $0.append(event) }
        return event
    }

    func refund(paymentID: String, amount: Money, providerReference: String) async throws -> PaymentEvent {
        let event = try await inner.refund(paymentID: paymentID, amount: amount, providerReference: providerReference)
        recorded.withLock { $0.append(event) }
        return event
    }

    func isAuthentic(_ event: PaymentEvent) -> Bool { inner.isAuthentic(event) }
}

/// A copy of the sample catalog in which the benefit application charges a EUR 5.00 fee at submission, refunded
/// on rejection (the shipped sample charges none).
final class FeeCatalog: Sendable {
    let directory: TemporaryDirectory

    init() throws {
        directory = TemporaryDirectory(prefix: "strongroom-catalog")
        let source = InstallationFixture.repositoryRoot + "/Catalog"
        for name in try FileManager.default.contentsOfDirectory(atPath: source) {
            var text = try Data(contentsOf: URL(fileURLWithPath: source + "/" + name))
            if name == "benefit-application.yaml" {
                let yaml = String(decoding: text, as: UTF8.self).replacingOccurrences(
                    of: "fee: none\n",
                    with: "fee:\n  amount: \"5.00\"\n  currency: EUR\n  due: on_submission\n  refund_on_rejection: true\n")
                text = Data(yaml.utf8)
            }
            try text.write(to: URL(fileURLWithPath: directory.path + "/" + name))
        }
    }

    var path: String { directory.path }
}

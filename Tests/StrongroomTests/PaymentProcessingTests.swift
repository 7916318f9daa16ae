import Catalog
import Foundation
import Strongroom
import Synchronization
import TestSupport
import Testing

/// A provider whose charges the test steers: it counts charges per idempotency key, can hold the first charge until
/// released, and can lose the answer of a charge it made (a timeout after the money moved).
final class ScriptedPaymentProvider: PaymentProvider {
    let inner: OfflinePaymentProvider
    private struct State {
        var keys: [String] = []
        var loseNextAnswer = false
        var hold: CheckedContinuation<Void, Never>?
        var holdNext = false
    }
    private let state = Mutex(State())

    init() throws { inner = try OfflinePaymentProvider() }

    var name: String { inner.name }
    /// The idempotency key of every charge call, in order.
    var keys: [String] { state.withLock { $0.keys } }
    var charges: Int { inner.chargeCount }

    func loseNextAnswer() { state.withLock { $0.loseNextAnswer = true } }
    func holdNextCharge() { state.withLock { $0.holdNext = true } }
    func release() { state.withLock { $0.hold?.resume(); $0.hold = nil } }
    var isHolding: Bool { state.withLock { $0.hold != nil } }

    func charge(paymentID: String, amount: Money, instrument: String, idempotencyKey: String) async throws -> PaymentEvent {
        let hold = state.withLock { current -> Bool in
            current.keys.append(idempotencyKey)
            defer { current.holdNext = false }
            return current.holdNext
        }
        if hold { await withCheckedContinuation { continuation in state.withLock { $0.hold = continuation } } }
        let event = try await inner.charge(paymentID: paymentID, amount: amount, instrument: instrument, idempotencyKey: idempotencyKey)
        let lose = state.withLock { current -> Bool in
            defer { current.loseNextAnswer = false }
            return current.loseNextAnswer
        }
        if lose { throw StrongroomError.internalFailure(CancellationError()) }
        return event
    }

    func refund(paymentID: String, amount: Money, providerReference: String) async throws -> PaymentEvent {
        try await inner.refund(paymentID: paymentID, amount: amount, providerReference: providerReference)
    }

    func isAuthentic(_ event: PaymentEvent) -> Bool { inner.isAuthentic(event) }
}

/// No test payments by accident, and no fee charged twice: a payment is claimed (`processing`, with an idempotency
/// key) before the provider is called.
@Suite struct PaymentProcessingTests {
    struct Scene {
        let catalog: FeeCatalog
        let provider: ScriptedPaymentProvider
        let fixture: InstallationFixture
        let citizen: AuthenticatedCaller
        let paymentID: String
    }

    static func scene() async throws -> Scene {
        let catalog = try FeeCatalog()
        let provider = try ScriptedPaymentProvider()
        let fixture = try InstallationFixture(paymentProvider: provider) { $0.catalogDirectory = catalog.path }
        let citizen = try await fixture.citizen("payer@example.org").caller
        _ = try await fixture.records.createRequest(
            serviceID: "benefit-application", values: ServiceSample.benefit, submit: true, caller: citizen, access: fixture.access())
        let due = try #require(try await fixture.records.ownPayments(caller: citizen, access: fixture.access()).first)
        return Scene(catalog: catalog, provider: provider, fixture: fixture, citizen: citizen, paymentID: due.id)
    }

    static func pay(_ scene: Scene, _ instrument: String = OfflinePaymentProvider.approvingInstrument) async throws -> PaymentView {
        try await scene.fixture.records.pay(scene.paymentID, instrument: instrument, caller: scene.citizen, access: scene.fixture.access())
    }

    static func status(_ scene: Scene) async throws -> String {
        try await scene.fixture.records.payment(scene.paymentID, caller: scene.citizen, access: scene.fixture.access()).status
    }

    /// Waits for the provider to hold a charge; if the paying task ends first, its error fails the test.
    static func waitUntilHolding(_ scene: Scene, or task: Task<PaymentView, any Error>) async throws {
        if await eventually(every: .milliseconds(5), { scene.provider.isHolding }) { return }
        Issue.record("the charge was never reached")
        scene.provider.release()
        _ = try await task.value
    }

    @Test func twoConcurrentPaysChargeOnce() async throws {
        let scene = try await Self.scene()
        scene.provider.holdNextCharge()
        let first = Task { try await Self.pay(scene) }
        try await Self.waitUntilHolding(scene, or: first)
        #expect(try await Self.status(scene) == "processing")
        // The second pay arrives while the first charge is in flight.
        let error = await strongroomError { _ = try await Self.pay(scene) }
        #expect(error?.code == "payment_in_progress")
        scene.provider.release()
        #expect(try await first.value.status == "paid")
        #expect(scene.provider.charges == 1)
        #expect(scene.provider.keys.count == 1)
        // Paying a paid fee again is refused, and charges nothing.
        #expect(await strongroomError { _ = try await Self.pay(scene) }?.code == "invalid_transition")
        #expect(scene.provider.charges == 1)
    }

    @Test func aLostAnswerIsRetriedWithTheSameKeyAndChargedOnce() async throws {
        let scene = try await Self.scene()
        scene.provider.loseNextAnswer()
        #expect(await strongroomError { _ = try await Self.pay(scene) } != nil)
        // The money moved but the answer was lost: the payment is payable again, with the same key.
        #expect(try await Self.status(scene) == "pending")
        #expect(try await Self.pay(scene).status == "paid")
        #expect(scene.provider.keys.count == 2 && Set(scene.provider.keys).count == 1)
        #expect(scene.provider.charges == 1)
    }

    @Test func aDeclinedAttemptIsOverAndTheNextGetsANewKey() async throws {
        let scene = try await Self.scene()
        #expect(try await Self.pay(scene, OfflinePaymentProvider.decliningInstrument).status == "failed")
        #expect(try await Self.pay(scene).status == "paid")
        #expect(Set(scene.provider.keys).count == 2)
        // A bad instrument is refused outright; the payment is not left processing.
        let other = try await Self.scene()
        #expect(await strongroomError { _ = try await Self.pay(other, "no-such-card") }?.code == "unknown_instrument")
        #expect(try await Self.status(other) == "pending")
    }

    @Test func aPaymentLeftProcessingByACrashCanBePaidAfterTenMinutesWithTheSameKey() async throws {
        let scene = try await Self.scene()
        scene.provider.holdNextCharge()
        // The first attempt never comes back (as if the server had died after claiming).
        let abandoned = Task { try await Self.pay(scene) }
        try await Self.waitUntilHolding(scene, or: abandoned)
        #expect(await strongroomError { _ = try await Self.pay(scene) }?.code == "payment_in_progress")
        scene.fixture.clock.advance(by: 11 * 60)
        #expect(try await Self.pay(scene).status == "paid")
        #expect(Set(scene.provider.keys).count == 1)
        #expect(scene.provider.charges == 1)
        scene.provider.release()
        // The abandoned attempt's answer is the same event: applied once, the second time a duplicate.
        _ = try? await abandoned.value
        #expect(try await Self.status(scene) == "paid")
    }

    @Test func withoutAProviderNoFeeIsEverMarkedPaid() async throws {
        // What an installation gets when no provider is named (the default of `Installation` and of `serve`).
        let catalog = try FeeCatalog()
        let fixture = try InstallationFixture(paymentProvider: UnavailablePaymentProvider()) { $0.catalogDirectory = catalog.path }
        let citizen = try await fixture.citizen("p@example.org").caller
        _ = try await fixture.records.createRequest(
            serviceID: "benefit-application", values: ServiceSample.benefit, submit: true, caller: citizen, access: fixture.access())
        let due = try #require(try await fixture.records.ownPayments(caller: citizen, access: fixture.access()).first)
        let error = await strongroomError {
            _ = try await fixture.records.pay(due.id, instrument: OfflinePaymentProvider.approvingInstrument, caller: citizen, access: fixture.access())
        }
        #expect(error?.code == "payments_unavailable")
        #expect(error?.kind == .unavailable)
        let after = try await fixture.records.payment(due.id, caller: citizen, access: fixture.access())
        #expect(after.status == "pending" && after.receipt == nil)
    }
}

import AuditLog
import Catalog
import Strongroom
import Testing

/// Provider callbacks: an authentic event that names another amount or currency is refused and changes nothing; the
/// same callback delivered several times at once is applied once.
@Suite struct PaymentEventTests {
    static func money(_ minor: Int64, _ code: String) throws -> Money {
        Money(minorUnits: minor, currency: try #require(Currency(code: code)))
    }

    @Test func anAuthenticEventWithAnotherAmountOrCurrencyIsRefusedAndChangesNothing() async throws {
        let scene = try await CaseworkAccessTests.Scene()
        let fixture = scene.fixture, records = fixture.records
        let due = try #require(try await records.ownPayments(caller: scene.citizen, access: fixture.access()).first)
        #expect(due.amountMinor == 500 && due.currency == "EUR" && due.status == "pending")
        // Signed by the installation's own provider: only the amount or the currency is wrong.
        let wrong = [try Self.money(499, "EUR"), try Self.money(50_000, "EUR"), try Self.money(500, "USD"), try Self.money(500, "GBP")]
        for (index, amount) in wrong.enumerated() {
            let event = try await scene.provider.inner.charge(
                paymentID: due.id, amount: amount, instrument: OfflinePaymentProvider.approvingInstrument, idempotencyKey: "wrong-\(index)")
            #expect(scene.provider.inner.isAuthentic(event), "\(amount)")
            let before = try await WriteAuditAtomicityTests.contents(fixture)
            let entries = try fixture.auditEntries().count
            let error = await strongroomError { try await records.applyPaymentEvent(event, requestID: "callback-wrong-\(index)") }
            #expect(error?.code == "amount_mismatch", "\(amount)")
            #expect(try await WriteAuditAtomicityTests.contents(fixture) == before, "\(amount): a refused event changed a row")
            let added = try fixture.auditEntries(after: entries)
            #expect(added.count == 1, "\(amount): \(added.map(\.action))")
            #expect(added.first?.action == "payment.event" && added.first?.decision.effect == .deny && added.first?.details["reason"] == "amount-mismatch")
        }
        #expect(try await records.payment(due.id, caller: scene.citizen, access: fixture.access()) == due)

        // The right amount and currency do apply, so the refusals above were the amount's and the currency's.
        let right = try await scene.provider.inner.charge(
            paymentID: due.id, amount: try Self.money(500, "EUR"), instrument: OfflinePaymentProvider.approvingInstrument, idempotencyKey: "right")
        guard case .applied(let paid) = try await records.applyPaymentEvent(right, requestID: "callback-right") else {
            Issue.record("the matching event was not applied")
            return
        }
        #expect(paid.status == "paid")

        // A refund event for another amount is refused too, and the fee stays paid.
        let refund = try await scene.provider.inner.refund(paymentID: due.id, amount: try Self.money(5_000, "EUR"), providerReference: "tp_refund")
        let before = try await WriteAuditAtomicityTests.contents(fixture)
        #expect(await strongroomError { try await records.applyPaymentEvent(refund, requestID: "callback-refund") }?.code == "amount_mismatch")
        #expect(try await WriteAuditAtomicityTests.contents(fixture) == before)
        #expect(try await records.payment(due.id, caller: scene.citizen, access: fixture.access()).status == "paid")
    }

    @Test func identicalCallbacksSentAtOnceAreAppliedOnce() async throws {
        let scene = try await CaseworkAccessTests.Scene()
        let fixture = scene.fixture, records = fixture.records
        let due = try #require(try await records.ownPayments(caller: scene.citizen, access: fixture.access()).first)
        let event = try await scene.provider.inner.charge(
            paymentID: due.id, amount: try Self.money(500, "EUR"), instrument: OfflinePaymentProvider.approvingInstrument, idempotencyKey: "once")
        let events = try fixture.count("payment_events")
        let entries = try fixture.auditEntries().count
        let copies = 8
        let outcomes = await withTaskGroup(of: Result<RecordService.PaymentEventOutcome, any Error>.self) { group in
            for index in 0..<copies {
                group.addTask {
                    do { return .success(try await records.applyPaymentEvent(event, requestID: "callback-\(index)")) } catch { return .failure(error) }
                }
            }
            var all: [Result<RecordService.PaymentEventOutcome, any Error>] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.count == copies)
        var applied: [PaymentView] = [], duplicates: [PaymentView] = []
        for outcome in outcomes {
            switch outcome {
            case .success(.applied(let view)): applied.append(view)
            case .success(.duplicate(let view)): duplicates.append(view)
            case .failure(let error): Issue.record("a repeated callback failed instead of being a duplicate: \(error)")
            }
        }
        #expect(applied.count == 1)
        #expect(duplicates.count == copies - 1)
        let paid = try #require(applied.first)
        #expect(paid.status == "paid" && paid.receipt != nil)
        #expect(duplicates.allSatisfy { $0 == paid }, "every duplicate reports the one state change")
        #expect(try fixture.count("payment_events") == events + 1)
        #expect(try await records.payment(due.id, caller: scene.citizen, access: fixture.access()) == paid)

        let added = try fixture.auditEntries(after: entries).filter { $0.action == "payment.event" }
        #expect(added.count == copies)
        let allowed = added.filter { $0.decision.effect == .allow }
        #expect(allowed.count == 1)
        #expect(allowed.first?.details["from"] == "pending" && allowed.first?.details["to"] == "paid")
        #expect(added.filter { $0.decision.effect == .deny && $0.details["reason"] == "duplicate-event" }.count == copies - 1)
    }
}

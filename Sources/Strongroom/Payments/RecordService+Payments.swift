import AuditLog
import Catalog
import GRDB
import Policy
import Sodium
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension RecordService {
    static let paymentCollection = "payments"

    /// The payment a request's fee creates when it falls due at `moment` (submission or approval), if any.
    ///
    /// - Parameter values: the request's validated values, for a fee of the amount the citizen entered (charged on
    ///   submission only, so approval passes none).
    func duePayment(for row: RequestRow, service: Service, at moment: Fee.Due, values: [String: FieldValue], now: Int64) throws -> PaymentRow? {
        guard let fee = service.fee, fee.due == moment, let amount = fee.amountDue(for: values) else { return nil }
        return try integrity.authenticated(PaymentRow(
            id: newOrderedID("pay"), request: row, amountMinor: amount.minorUnits, currency: amount.currency.code,
            provider: paymentProvider.name, now: now))
    }

    /// The payment a submission makes due: the fee charged on submission, or — when the automatic rules approve the
    /// request at once — the fee charged on approval. A request rejected at once owes nothing.
    func paymentDueAtSubmission(_ row: RequestRow, service: Service, values: [String: FieldValue], now: Int64) throws -> PaymentRow? {
        switch row.outcome {
        case "rejected": nil
        case "approved":
            try duePayment(for: row, service: service, at: .onSubmission, values: values, now: now)
                ?? duePayment(for: row, service: service, at: .onApproval, values: [:], now: now)
        default: try duePayment(for: row, service: service, at: .onSubmission, values: values, now: now)
        }
    }

    /// Inserts a due payment with its audit entry, inside the caller's transaction. A request has at most one fee
    /// payment: a resubmission does not create a second.
    ///
    /// - Parameter fee: the service's fee. When it charges what the citizen entered in a field — a personal value —
    ///   the audit entry says only that the amount was entered (the log never holds field values).
    static func insertDue(_ payment: PaymentRow, of fee: Fee?, audit: AuditTrail, requestID: String, in db: Database) throws {
        let amountEntered = fee?.chargesEnteredAmount ?? false
        let exists = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM payments WHERE request_id = ?)", arguments: [payment.requestID]) ?? false
        guard !exists else { return }
        try payment.insert(db)
        try audit.record(AuditEntryDraft(
            actor: AuditActor(id: "system", role: "fees"), action: "payment.due",
            target: AuditTarget(collection: paymentCollection, recordID: payment.id, subjectID: payment.subjectID),
            decision: .allow(), purpose: "fee-collection", requestID: requestID,
            details: [
                "request": payment.requestID, "currency": payment.currency,
                amountEntered ? "amount" : "amount_minor": amountEntered ? "entered" : String(payment.amountMinor),
            ]), in: db)
    }

    /// The id and status of a request's fee payment, if it has one (the row verified: a status set by SQL is refused).
    func paymentState(of requestID: String, in db: Database) throws -> (id: String, status: String)? {
        // Most requests have no fee: probe the unique index first (stepped, no GRDB row), and decode and check the
        // whole row only when there is one. This runs on every audited read of a request.
        let probe = try SteppedStatement("SELECT 1 FROM payments WHERE request_id = ?", in: db)
        probe.bind(1, requestID)
        let exists = try probe.step()
        probe.finish()
        guard exists else { return nil }
        let row = try integrity.checkIfFound(PaymentRow.fetchOne(db.cachedStatement(sql: "SELECT * FROM payments WHERE request_id = ?"), arguments: [requestID]))
        return row.map { ($0.id, $0.status) }
    }

    /// Whether fees go to the built-in offline test provider (the portal then offers its test cards, marked as such).
    public var paysWithTestProvider: Bool { paymentProvider is OfflinePaymentProvider }

    /// The caller's own payments, newest first.
    public func ownPayments(caller: AuthenticatedCaller, access: AccessContext) async throws -> [PaymentView] {
        let ownerID = caller.accountID
        let rows = try await guardedRead { db in
            try PaymentRow.fetchAll(db, sql: "SELECT * FROM payments WHERE owner_id = ? ORDER BY created_at DESC, id LIMIT 500", arguments: [ownerID])
                .map { try self.integrity.check($0) }
        }
        let audit = self.audit
        let draft = AuditTrail.draft(
            caller: caller, action: "payment.list", target: AuditTarget(collection: Self.paymentCollection, subjectID: caller.subjectID),
            decision: nil, context: access, details: ["count": String(rows.count)])
        try await guardedWrite { db in try audit.record(draft, in: db) }
        return rows.map(\.view)
    }

    /// One payment as the caller may see it (its payer, or staff of the office with a purpose).
    public func payment(_ paymentID: String, caller: AuthenticatedCaller, access: AccessContext) async throws -> PaymentView {
        let (row, sealed) = try await loadPayment(paymentID)
        let decision = decide(caller, .read, row.resource(sealed: sealed), access)
        let target = AuditTarget(collection: Self.paymentCollection, recordID: paymentID, subjectID: row.subjectID)
        guard decision.isPermitted else {
            throw await denied(decision, caller: caller, action: "payment.read", target: target, access: access, hide: true)
        }
        let audit = self.audit
        let draft = AuditTrail.draft(caller: caller, action: "payment.read", target: target, decision: decision, context: access)
        try await guardedWrite { db in try audit.record(draft, in: db) }
        return row.view
    }

    /// The citizen pays a pending (or previously declined) fee with an instrument token from the provider.
    ///
    /// The payment is first claimed for this attempt in one transaction (status `processing`, with an idempotency
    /// key), so a second `pay` at the same time is refused (`payment_in_progress`) instead of charging again. The
    /// provider's answer is then applied like any callback: once, audited, with a receipt when paid. When the provider
    /// cannot be reached the outcome is unknown: the payment goes back to its previous state but keeps its key, so a
    /// retry sends the same key and the provider charges at most once. A payment left `processing` by a crash can be
    /// paid again after ``staleProcessingMilliseconds``, with the same key.
    public func pay(_ paymentID: String, instrument: String, caller: AuthenticatedCaller, access: AccessContext) async throws -> PaymentView {
        let (row, sealed) = try await loadPayment(paymentID)
        let decision = decide(caller, .pay, row.resource(sealed: sealed), access)
        let target = AuditTarget(collection: Self.paymentCollection, recordID: paymentID, subjectID: row.subjectID)
        guard decision.isPermitted else {
            throw await denied(decision, caller: caller, action: "payment.pay", target: target, access: access, hide: true)
        }
        guard let money = Self.money(row) else { throw StrongroomError.internalFailure(PaymentAmountError()) }
        let now = clock.now.millis
        let audit = self.audit
        let provider = paymentProvider
        let draft = AuditTrail.draft(
            caller: caller, action: "payment.pay", target: target, decision: decision, context: access, details: ["provider": provider.name])
        enum Claim: Sendable { case claimed(key: String, previous: String), busy(String), missing }
        let claim: Claim = try await guardedWrite { db in
            guard var current = try self.verifiedPayment(paymentID, in: db) else { return .missing }
            let stale = current.status == PaymentStatus.processing.rawValue
                && now - (current.processingSince ?? now) >= Self.staleProcessingMilliseconds
            let payable = current.status == PaymentStatus.pending.rawValue || current.status == PaymentStatus.failed.rawValue
            guard payable || stale else { return .busy(current.status) }
            let previous = stale ? PaymentStatus.pending.rawValue : current.status
            // A declined attempt is over: the next one is a new charge with a new key.
            if current.status == PaymentStatus.failed.rawValue { current.idempotencyKey = nil }
            let key = current.idempotencyKey ?? "idem_" + SecureRandom.bytes(count: 16).hexString
            current.idempotencyKey = key
            current.status = PaymentStatus.processing.rawValue
            current.processingSince = now
            current.updatedAt = now
            try self.integrity.authenticate(&current)
            try current.update(db)
            try audit.record(draft, in: db)
            return .claimed(key: key, previous: previous)
        }
        let key: String, previous: String
        switch claim {
        case .missing: throw StrongroomError.notFound("payment")
        case .busy(let status) where status == PaymentStatus.processing.rawValue:
            throw await refusedTransition(
                caller: caller, action: "payment.pay", target: target, decision: decision, access: access, status: status,
                message: "a charge for this payment is already in progress; wait for its outcome", code: "payment_in_progress")
        case .busy(let status):
            throw await refusedTransition(
                caller: caller, action: "payment.pay", target: target, decision: decision, access: access, status: status,
                message: "only a pending or declined payment can be paid; this one is \(status)")
        case .claimed(let claimedKey, let from):
            key = claimedKey
            previous = from
        }
        let event: PaymentEvent
        do {
            event = try await provider.charge(paymentID: paymentID, amount: money, instrument: instrument, idempotencyKey: key)
        } catch {
            // Refused outright (a bad instrument): nothing was charged, the key is spent. Otherwise the outcome is
            // unknown and the key is kept for the retry.
            let refused = (error as? StrongroomError)?.kind == .invalidInput
            try? await releaseClaim(paymentID, key: key, back: previous, keepKey: !refused)
            throw error
        }
        _ = try await applyPaymentEvent(event, requestID: access.requestID)
        return try await loadPayment(paymentID).row.view
    }

    /// How long a payment may stay `processing` before `pay` may try again (a crash between claim and answer).
    static let staleProcessingMilliseconds: Int64 = 10 * 60 * 1000

    /// Puts a claimed payment back (the charge did not give an answer).
    private func releaseClaim(_ paymentID: String, key: String, back status: String, keepKey: Bool) async throws {
        let now = clock.now.millis
        try await guardedWrite { db in
            guard var current = try self.verifiedPayment(paymentID, in: db),
                current.status == PaymentStatus.processing.rawValue, current.idempotencyKey == key
            else { return }
            current.status = status
            current.processingSince = nil
            if !keepKey { current.idempotencyKey = nil }
            current.updatedAt = now
            try self.integrity.authenticate(&current)
            try current.update(db)
        }
    }

    /// A supervisor refunds a paid fee.
    public func refund(_ paymentID: String, caller: AuthenticatedCaller, access: AccessContext) async throws -> PaymentView {
        let (row, sealed) = try await loadPayment(paymentID)
        let decision = decide(caller, .refund, row.resource(sealed: sealed), access)
        let target = AuditTarget(collection: Self.paymentCollection, recordID: paymentID, subjectID: row.subjectID)
        guard decision.isPermitted else {
            throw await denied(decision, caller: caller, action: "payment.refund", target: target, access: access, hide: true)
        }
        guard row.status == PaymentStatus.paid.rawValue, let reference = row.providerReference, let money = Self.money(row) else {
            throw await refusedTransition(
                caller: caller, action: "payment.refund", target: target, decision: decision, access: access, status: row.status,
                message: "only a paid payment can be refunded; this one is \(row.status)")
        }
        let event = try await paymentProvider.refund(paymentID: paymentID, amount: money, providerReference: reference)
        let audit = self.audit
        let draft = AuditTrail.draft(caller: caller, action: "payment.refund", target: target, decision: decision, context: access)
        try await guardedWrite { db in try audit.record(draft, in: db) }
        _ = try await applyPaymentEvent(event, requestID: access.requestID)
        return try await loadPayment(paymentID).row.view
    }

    /// What applying a provider event did.
    public enum PaymentEventOutcome: Sendable, Equatable {
        /// The payment moved to the event's state.
        case applied(PaymentView)
        /// The event was applied before; nothing changed (a retried callback).
        case duplicate(PaymentView)
    }

    /// Applies a provider event exactly once: checks its signature, that it matches the payment's amount and
    /// currency and that the transition is allowed, then moves the payment and records the event id — all in one
    /// transaction with the audit entry. A replayed event changes nothing and is audited as a refused change.
    ///
    /// - Throws: ``StrongroomError`` (`invalid_signature`, `not_found`, `amount_mismatch`, `invalid_transition`);
    ///   each refusal is audited and changes nothing.
    @discardableResult
    public func applyPaymentEvent(_ event: PaymentEvent, requestID: String) async throws -> PaymentEventOutcome {
        let provider = paymentProvider
        let actor = AuditActor(id: "payment-provider:" + provider.name, role: "payment-provider")
        let audit = self.audit
        // A refused event may come from anyone (the callback route needs no session): its ids enter the log only when
        // they are shaped like ids, never as free text.
        @Sendable func refusal(_ reason: String, subject: String?) -> AuditEntryDraft {
            AuditEntryDraft(
                actor: actor, action: "payment.event",
                target: AuditTarget(collection: Self.paymentCollection, recordID: Self.nameableKey(event.paymentID, otherwise: "(malformed)"), subjectID: subject),
                decision: .deny(), purpose: "fee-collection", requestID: requestID,
                details: ["event": Self.nameableKey(event.eventID, otherwise: "(malformed)"), "kind": event.kind.rawValue, "reason": reason])
        }
        guard provider.isAuthentic(event) else {
            // Anyone can send these: they are counted per window (``RefusalLog``), and the event's ids — the sender's
            // words, unverified — stay out of the log, so that forgeries cannot make every entry different.
            let forged = AuditEntryDraft(
                actor: actor, action: "payment.event", target: AuditTarget(collection: Self.paymentCollection), decision: .deny(),
                purpose: "fee-collection", requestID: requestID, details: ["kind": event.kind.rawValue, "reason": "invalid-signature"])
            do {
                try await refusals.record(forged)
            } catch {
                throw StrongroomError.internalFailure(error)
            }
            throw StrongroomError(.unauthenticated, code: "invalid_signature", message: "the payment event's signature does not verify; it was ignored")
        }
        let now = clock.now.millis
        enum Result: Sendable { case applied(PaymentRow), duplicate(PaymentRow), refused(StrongroomError) }
        let result: Result = try await guardedWrite { db in
            guard var row = try self.verifiedPayment(event.paymentID, in: db) else {
                try audit.record(refusal("unknown-payment", subject: nil), in: db)
                return .refused(StrongroomError.notFound("payment"))
            }
            let seen = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM payment_events WHERE event_id = ?)", arguments: [event.eventID]) ?? false
            if seen {
                try audit.record(refusal("duplicate-event", subject: row.subjectID), in: db)
                return .duplicate(row)
            }
            guard event.amountMinor == row.amountMinor, event.currency == row.currency else {
                try audit.record(refusal("amount-mismatch", subject: row.subjectID), in: db)
                return .refused(StrongroomError.conflict("amount_mismatch", "the event's amount or currency differs from the payment's; it was ignored"))
            }
            let allowed: Set<String> = switch event.kind {
            case .paid: [PaymentStatus.pending.rawValue, PaymentStatus.processing.rawValue, PaymentStatus.failed.rawValue]
            case .failed: [PaymentStatus.pending.rawValue, PaymentStatus.processing.rawValue]
            case .refunded: [PaymentStatus.paid.rawValue]
            }
            guard allowed.contains(row.status) else {
                try audit.record(refusal("invalid-transition", subject: row.subjectID), in: db)
                return .refused(StrongroomError.conflict("invalid_transition", "a \(event.kind.rawValue) event cannot apply to a \(row.status) payment; it was ignored"))
            }
            let previous = row.status
            row.status = switch event.kind {
            case .paid: PaymentStatus.paid.rawValue
            case .failed: PaymentStatus.failed.rawValue
            case .refunded: PaymentStatus.refunded.rawValue
            }
            row.providerReference = event.providerReference
            row.processingSince = nil
            row.updatedAt = now
            if event.kind == .paid {
                row.paidAt = now
                row.receiptNumber = Self.receiptNumber(at: now)
            }
            if event.kind == .refunded { row.refundedAt = now }
            try self.integrity.authenticate(&row)
            try row.update(db)
            try db.execute(
                sql: "INSERT INTO payment_events (event_id, payment_id, kind, received_at) VALUES (?, ?, ?, ?)",
                arguments: [event.eventID, row.id, event.kind.rawValue, now])
            var details = ["event": event.eventID, "kind": event.kind.rawValue, "from": previous, "to": row.status]
            if let receipt = row.receiptNumber, event.kind == .paid { details["receipt"] = receipt }
            try audit.record(AuditEntryDraft(
                actor: actor, action: "payment.event",
                target: AuditTarget(collection: Self.paymentCollection, recordID: row.id, subjectID: row.subjectID),
                decision: .allow(), purpose: "fee-collection", requestID: requestID, details: details), in: db)
            return .applied(row)
        }
        switch result {
        case .applied(let row): return .applied(row.view)
        case .duplicate(let row): return .duplicate(row.view)
        case .refused(let error): throw error
        }
    }

    /// Refunds a paid fee when a request is rejected and its service says so. Runs after the decision commits; a
    /// provider failure leaves the payment paid (a supervisor can refund it) and is logged for the operator.
    func refundOnRejection(requestID: String, service: Service, access: AccessContext) async {
        guard let fee = service.fee, fee.refundOnRejection else { return }
        do {
            let row = try await guardedRead { db in
                try self.integrity.checkIfFound(PaymentRow.fetchOne(db, sql: "SELECT * FROM payments WHERE request_id = ?", arguments: [requestID]))
            }
            guard let row, row.status == PaymentStatus.paid.rawValue, let reference = row.providerReference, let money = Self.money(row) else { return }
            let event = try await paymentProvider.refund(paymentID: row.id, amount: money, providerReference: reference)
            _ = try await applyPaymentEvent(event, requestID: access.requestID)
        } catch {
            logger.error("automatic refund failed; refund it by hand", metadata: ["request": .string(requestID), "error": .string("\(type(of: error))")])
        }
    }

    /// The payment (verified) and whether its request is sealed (the request verified too).
    func loadPayment(_ paymentID: String) async throws -> (row: PaymentRow, sealed: Bool) {
        let found = try await guardedRead { db -> (PaymentRow, Bool)? in
            guard let row = try self.verifiedPayment(paymentID, in: db) else { return nil }
            return (row, try self.verifiedRequest(row.requestID, in: db)?.sealed ?? false)
        }
        guard let found else { throw StrongroomError.notFound("payment") }
        return found
    }

    static func money(_ row: PaymentRow) -> Money? {
        guard let currency = Currency(code: row.currency) else { return nil }
        return Money(minorUnits: row.amountMinor, currency: currency)
    }

    /// `R-20261129-3F9A1C2B`: the date and 32 random bits, unique by the table's constraint.
    static func receiptNumber(at millis: Int64) -> String {
        let parts = UTCDateParts(Date(millis: millis))
        let date = String(format: "%04d%02d%02d", parts.year, parts.month, parts.day)
        return "R-\(date)-" + SecureRandom.bytes(count: 4).hexString.uppercased()
    }
}

/// A stored payment names a currency the catalog no longer knows.
struct PaymentAmountError: Error, CustomStringConvertible {
    var description: String { "a stored payment has an unknown currency" }
}

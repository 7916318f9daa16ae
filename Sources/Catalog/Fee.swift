/// What a service costs and when the citizen pays.
public struct Fee: Sendable, Hashable {
    /// When the fee becomes a payment due.
    public enum Due: String, Sendable, Hashable {
        /// At submission, before the request is considered.
        case onSubmission = "on_submission"
        /// Once the request is approved.
        case onApproval = "on_approval"
    }

    /// How much is charged.
    public enum Amount: Sendable, Hashable {
        /// The same amount for every request.
        case fixed(Money)
        /// What the citizen enters in this `money` field of the request — a tax or a fee printed on a notice. Charged
        /// on submission only (the value is at hand then), in `currency`.
        case entered(field: String, currency: Currency)
    }

    /// How much is charged.
    public let amount: Amount
    /// When it is due.
    public let due: Due
    /// Whether a paid fee is refunded if the request is rejected.
    public let refundOnRejection: Bool

    /// A fixed fee.
    public init(amount: Money, due: Due, refundOnRejection: Bool) {
        self.amount = .fixed(amount)
        self.due = due
        self.refundOnRejection = refundOnRejection
    }

    /// A fee of whatever the citizen enters in the `money` field `field`.
    public init(enteredIn field: String, currency: Currency, due: Due, refundOnRejection: Bool) {
        self.amount = .entered(field: field, currency: currency)
        self.due = due
        self.refundOnRejection = refundOnRejection
    }

    /// The currency of every payment of this fee.
    public var currency: Currency {
        switch amount {
        case .fixed(let money): money.currency
        case .entered(_, let currency): currency
        }
    }

    /// Whether the amount is what the citizen enters (a personal value: kept out of the audit log).
    public var chargesEnteredAmount: Bool {
        if case .entered = amount { return true }
        return false
    }

    /// What a request with these validated `values` owes: the fixed amount, or the entered one. `nil` when nothing
    /// positive in the fee's currency was entered (the catalog check makes the field required and of that currency,
    /// so a validated submission always has it).
    public func amountDue(for values: [String: FieldValue]) -> Money? {
        switch amount {
        case .fixed(let money):
            return money.minorUnits > 0 ? money : nil
        case .entered(let field, let currency):
            guard case .money(let money)? = values[field], money.currency == currency, money.minorUnits > 0 else { return nil }
            return money
        }
    }
}

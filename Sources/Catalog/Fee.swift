/// What a service costs and when the citizen pays.
public struct Fee: Sendable, Hashable {
    /// When the fee becomes a payment due.
    public enum Due: String, Sendable, Hashable {
        /// At submission, before the request is considered.
        case onSubmission = "on_submission"
        /// Once the request is approved.
        case onApproval = "on_approval"
    }

    /// The exact amount.
    public let amount: Money
    /// When it is due.
    public let due: Due
    /// Whether a paid fee is refunded if the request is rejected.
    public let refundOnRejection: Bool

    /// A fee.
    public init(amount: Money, due: Due, refundOnRejection: Bool) {
        self.amount = amount
        self.due = due
        self.refundOnRejection = refundOnRejection
    }
}

/// Duties that come with a permit: the audit and review layers must honour them.
public struct Obligations: Sendable, Hashable, Codable {
    /// The access used break-glass: flag it in the audit entry.
    public var breakGlass: Bool
    /// A supervisor or officer must review this access afterwards.
    public var mandatoryReview: Bool
    /// How long the break-glass access lasts; `nil` when unlimited (no break-glass).
    public var timeLimit: Duration?

    /// No obligations.
    public static let none = Obligations(breakGlass: false, mandatoryReview: false, timeLimit: nil)

    public init(breakGlass: Bool, mandatoryReview: Bool, timeLimit: Duration?) {
        self.breakGlass = breakGlass
        self.mandatoryReview = mandatoryReview
        self.timeLimit = timeLimit
    }
}

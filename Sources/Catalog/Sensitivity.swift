/// How sensitive a field's content is. Everything but ``public`` is sealed at rest.
public enum Sensitivity: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Not personal data (for example the chosen plan or report type); stored in clear.
    case `public`
    /// Ordinary personal data (name, address, email).
    case personal
    /// Personal data whose disclosure harms (national id, bank account, income).
    case sensitive
    /// GDPR article 9 data (health, religion, ethnicity...).
    case specialCategory = "special_category"

    private var rank: Int {
        switch self {
        case .public: 0
        case .personal: 1
        case .sensitive: 2
        case .specialCategory: 3
        }
    }

    public static func < (lhs: Sensitivity, rhs: Sensitivity) -> Bool { lhs.rank < rhs.rank }

    /// Whether values with this sensitivity are sealed (encrypted) at rest.
    public var isSealed: Bool { self != .public }
}

/// How a masked field is shown. Pure functions: the service layer decrypts a masked field, applies
/// ``apply(to:)`` and returns only the result.
public enum MaskStyle: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// `•••• 1234`: the last four letters or digits; values shorter than six show nothing.
    case last4
    /// `J•••`: the first letter only.
    case firstInitial = "first-initial"
    /// `j•••@example.org`: first letter of the local part and the domain.
    case emailDomain = "email-domain"
    /// `1984`: the year of a date (the first four-digit run); otherwise fully redacted.
    case yearOnly = "year-only"
    /// `•••••`: nothing at all, not even the length.
    case redacted

    public var description: String { rawValue }

    /// How much a style hides; when two permits mask one field differently the stronger mask wins.
    var strength: Int {
        switch self {
        case .redacted: return 4
        case .firstInitial: return 3
        case .yearOnly: return 2
        case .emailDomain: return 1
        case .last4: return 0
        }
    }

    static let hidden = "•••••"

    /// Applies the mask to a plaintext value.
    ///
    /// ```swift
    /// MaskStyle.last4.apply(to: "850101-1234")  // "•••• 1234"
    /// ```
    public func apply(to value: String) -> String {
        switch self {
        case .redacted:
            return Self.hidden
        case .last4:
            let characters = value.filter { $0.isLetter || $0.isNumber }
            guard characters.count >= 6 else { return "••••" }
            return "•••• " + String(characters.suffix(4))
        case .firstInitial:
            guard let first = value.first(where: { $0.isLetter || $0.isNumber }) else { return Self.hidden }
            return String(first) + "•••"
        case .emailDomain:
            guard let at = value.lastIndex(of: "@"), at != value.startIndex else { return Self.hidden }
            let domain = value[value.index(after: at)...]
            guard !domain.isEmpty, let first = value.first else { return Self.hidden }
            return String(first) + "•••@" + domain
        case .yearOnly:
            var run = ""
            for character in value {
                if character.isASCII && character.isNumber {
                    run.append(character)
                    if run.count == 4 { return run }
                } else {
                    run = ""
                }
            }
            return Self.hidden
        }
    }
}

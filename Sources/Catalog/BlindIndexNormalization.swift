/// How a value is normalised before it is hashed into a blind index, so that equal values
/// typed differently (case, spaces, dashes) find each other.
public enum BlindIndexNormalization: String, Sendable, Hashable, CaseIterable {
    /// Trimmed and lower-cased as a whole.
    case email
    /// Upper-cased with spaces, dots and dashes removed.
    case nationalID
    /// `+` followed by digits only.
    case phone
    /// Trimmed, inner whitespace collapsed to one space, lower-cased.
    case text
    /// The canonical value as is.
    case exact

    /// Applies this normalisation to a canonical value.
    /// - Parameter canonical: the value as produced by ``FieldValue/canonical``.
    /// - Returns: the string to feed to the blind-index hash.
    public func normalize(_ canonical: String) -> String {
        switch self {
        case .email:
            return canonical.trimmingWhitespace().lowercased()
        case .nationalID:
            return String(canonical.uppercased().filter { !" .-\t".contains($0) })
        case .phone:
            let digits = canonical.filter(\.isASCIIDigit)
            return "+" + digits
        case .text:
            return canonical.split(whereSeparator: \.isWhitespace).joined(separator: " ").lowercased()
        case .exact:
            return canonical
        }
    }
}

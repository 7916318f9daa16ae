import Foundation

/// How a value is normalised before blind indexing, so that equal values written differently index equally.
///
/// | kind | rule |
/// |---|---|
/// | `exact` | Unicode NFC only |
/// | `text` | NFC, trimmed, inner whitespace runs folded to one space, lower-cased |
/// | `email` | NFC, trimmed, lower-cased (whole address) |
/// | `nationalID` | NFC, every character that is not a letter or digit removed, upper-cased |
/// | `phone` | a leading `+` kept, every non-digit removed |
/// | `postcode` | NFC, spaces and hyphens removed, upper-cased |
public enum Normalization: String, Sendable, CaseIterable, Codable {
    case exact, text, email, nationalID = "national-id", phone, postcode

    /// The normalised form of `value`.
    public func apply(_ value: String) -> String {
        let nfc = value.precomposedStringWithCanonicalMapping
        switch self {
        case .exact:
            return nfc
        case .text:
            return nfc.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ").lowercased()
        case .email:
            return nfc.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        case .nationalID:
            return String(nfc.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.map(Character.init)).uppercased()
        case .phone:
            let trimmed = nfc.trimmingCharacters(in: .whitespaces)
            let digits = trimmed.unicodeScalars.filter { ("0"..."9").contains($0) }.map(Character.init)
            return (trimmed.hasPrefix("+") ? "+" : "") + String(digits)
        case .postcode:
            return String(nfc.filter { !$0.isWhitespace && $0 != "-" }).uppercased()
        }
    }
}

import Foundation

/// The normalisation the indexer applies to a value before hashing it.
///
/// Field values are normalised by their catalog type first (`BlindIndexNormalization` in the Catalog module, which
/// owns those rules) and then indexed with ``exact``; only sign-in logins, which have no catalog field, use ``email``.
///
/// | kind | rule |
/// |---|---|
/// | `exact` | Unicode NFC only |
/// | `email` | NFC, trimmed, lower-cased (whole address) |
public enum Normalization: String, Sendable, CaseIterable, Codable {
    case exact, email

    /// The normalised form of `value`.
    public func apply(_ value: String) -> String {
        let nfc = value.precomposedStringWithCanonicalMapping
        switch self {
        case .exact:
            return nfc
        case .email:
            return nfc.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        }
    }
}

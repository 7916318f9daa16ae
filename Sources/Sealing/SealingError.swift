/// An error from sealing or opening a field.
///
/// Opening fails with one error, ``authenticationFailed``, whatever was wrong (tampered bytes, wrong place,
/// wrong key), so a caller learns nothing about which part did not match.
public struct SealingError: Error, CustomStringConvertible, Equatable, Sendable {
    private enum Code: Equatable, Sendable { case authenticationFailed, malformed, keyUnavailable, invalidPlace }

    private let code: Code
    /// What failed and what to do about it. Never contains a field value.
    public let message: String
    /// The underlying key-ring error when a key is unavailable (unknown, retired, shredded).
    public let cause: (any Error)?

    private init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { message }
    public static func == (lhs: SealingError, rhs: SealingError) -> Bool { lhs.code == rhs.code }

    /// The sealed value did not authenticate at this place under this key.
    public static let authenticationFailed = SealingError(
        .authenticationFailed, "the sealed field did not authenticate: it was altered, moved from another place, or the key is wrong")
    /// The bytes are not a sealed-field envelope of a known format.
    public static let malformed = SealingError(.malformed, "the sealed field is not a valid envelope (unknown format version or truncated)")
    /// The key the envelope names cannot be used.
    public static func keyUnavailable(_ cause: any Error) -> SealingError {
        SealingError(.keyUnavailable, "the key this field was sealed under is not available: \(cause)", cause: cause)
    }
    /// A place component is empty or too long.
    public static func invalidPlace(_ what: String) -> SealingError { SealingError(.invalidPlace, what) }

    public static let keyUnavailableCode = SealingError(.keyUnavailable, "")
    public static let invalidPlaceCode = SealingError(.invalidPlace, "")
}

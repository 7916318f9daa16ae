/// An error from the Catalog module: what failed and what to do about it.
///
/// Equality compares the kind only. Messages never contain submitted values.
public struct CatalogError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: Sendable, Equatable {
        case invalidCatalog
        case unreadableDirectory
        case invalidCanonicalValue
        case invalidSubmission
    }

    private let code: Code
    /// What failed and how to fix it.
    public let message: String
    /// For an invalid catalog: every problem found, with file, line and column.
    public let diagnostics: [CatalogDiagnostic]
    /// For an invalid submission: one entry per field problem.
    public let fieldIssues: [FieldIssue]

    private init(_ code: Code, _ message: String, diagnostics: [CatalogDiagnostic] = [], fieldIssues: [FieldIssue] = []) {
        self.code = code
        self.message = message
        self.diagnostics = diagnostics
        self.fieldIssues = fieldIssues
    }

    /// The catalog has errors; see ``diagnostics``.
    public static func invalidCatalog(_ diagnostics: [CatalogDiagnostic]) -> CatalogError {
        let errors = diagnostics.filter { $0.severity == .error }
        return CatalogError(
            .invalidCatalog,
            "The catalog has \(errors.count) error(s); run `strongroom catalog check` and fix each listed line.",
            diagnostics: diagnostics)
    }

    /// The catalog directory could not be read.
    public static func unreadableDirectory(_ path: String) -> CatalogError {
        CatalogError(.unreadableDirectory,
                     "Cannot read the catalog directory \(path); check that it exists and is readable.")
    }

    /// A stored canonical value does not parse as its field type.
    public static func invalidCanonicalValue(type: FieldType) -> CatalogError {
        CatalogError(.invalidCanonicalValue,
                     "A stored value is not a canonical \(type.rawValue) value; read it with the field definition of the version it was stored under.")
    }

    /// Submitted values failed validation; see ``fieldIssues``.
    public static func invalidSubmission(_ issues: [FieldIssue]) -> CatalogError {
        CatalogError(.invalidSubmission,
                     "\(issues.count) field(s) need attention: " + issues.map(\.description).joined(separator: "; "),
                     fieldIssues: issues)
    }

    public static func == (lhs: CatalogError, rhs: CatalogError) -> Bool { lhs.code == rhs.code }

    public var description: String { message }
}

/// One problem with one submitted field. The message says what to fix and never repeats the value.
public struct FieldIssue: Error, Sendable, Hashable, CustomStringConvertible {
    /// Kinds of field problems, stable for API clients.
    public enum Code: String, Sendable, Hashable {
        case missing = "missing_required"
        case unknownField = "unknown_field"
        case wrongType = "wrong_type"
        case patternMismatch = "pattern_mismatch"
        case outOfRange = "out_of_range"
        case tooShort = "too_short"
        case tooLong = "too_long"
        case notAllowedChoice = "not_an_allowed_choice"
        case invalidDate = "invalid_date"
        case invalidEmail = "invalid_email"
        case invalidPhone = "invalid_phone"
        case invalidMoney = "invalid_money"
        case invalidNationalID = "invalid_national_id"
        case invalidNumber = "invalid_number"
        case invalidAddress = "invalid_address"
        case invalidText = "invalid_text"
    }

    /// The field (for a part of an address, `field.part`).
    public let field: String
    /// The kind of problem.
    public let code: Code
    /// What to fix, in words a citizen understands.
    public let message: String

    /// An issue.
    public init(field: String, code: Code, message: String) {
        self.field = field
        self.code = code
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

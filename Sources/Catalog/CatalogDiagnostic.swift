/// One problem found while loading a catalog, with its place and a hint.
public struct CatalogDiagnostic: Sendable, Hashable, CustomStringConvertible {
    /// How bad it is.
    public enum Severity: String, Sendable, Hashable {
        /// The catalog does not load.
        case error
        /// Loads, but probably not what was meant.
        case warning
    }

    /// Stable kind of problem, for tests and tools.
    public enum Kind: String, Sendable, Hashable {
        case yamlSyntax = "yaml_syntax"
        case unknownKey = "unknown_key"
        case missingKey = "missing_key"
        case invalidValue = "invalid_value"
        case duplicateServiceID = "duplicate_service_id"
        case duplicateFieldID = "duplicate_field_id"
        case invalidPattern = "invalid_pattern"
        /// A pattern that could backtrack catastrophically (ReDoS), or that the check cannot analyse.
        case unsafePattern = "unsafe_pattern"
        case searchableNotAllowed = "searchable_not_allowed"
        case unknownRuleField = "unknown_rule_field"
        case ruleTypeMismatch = "rule_type_mismatch"
        case invalidCurrency = "invalid_currency"
        case missingLogo = "missing_logo"
        case loosePermissions = "loose_permissions"
        case invalidColor = "invalid_color"
        case versioning = "versioning"
        case missingBranding = "missing_branding"
        case unreadableFile = "unreadable_file"
        case noServices = "no_services"
        /// A text mapping lacks one of the catalog's languages.
        case missingTranslation = "missing_translation"
        /// A text mapping has a language the catalog does not list.
        case unknownLanguage = "unknown_language"
        /// A plain string where the catalog has several languages (a warning).
        case untranslatedText = "untranslated_text"
        /// A pair of branding colours is below the WCAG AA contrast ratio.
        case lowContrast = "low_contrast"
        /// A form page is split by other pages.
        case splitPage = "split_page"
    }

    /// Error or warning.
    public let severity: Severity
    /// The kind of problem.
    public let kind: Kind
    /// File, line and column.
    public let location: SourceLocation
    /// What is wrong.
    public let message: String
    /// How to fix it.
    public let hint: String?

    /// An error diagnostic.
    public init(_ kind: Kind, at location: SourceLocation, _ message: String, hint: String? = nil) {
        self.init(.error, kind, at: location, message, hint: hint)
    }

    /// A diagnostic of any severity.
    public init(_ severity: Severity, _ kind: Kind, at location: SourceLocation, _ message: String, hint: String? = nil) {
        self.severity = severity
        self.kind = kind
        self.location = location
        self.message = message
        self.hint = hint
    }

    /// `file:line:column: error: message (hint)`.
    public var description: String {
        "\(location): \(severity.rawValue): \(message)" + (hint.map { "\n    hint: \($0)" } ?? "")
    }
}

/// Validation rules of a field beyond its type. Only the ones that suit the type are ever set.
public struct FieldConstraints: Sendable, Hashable {
    /// A regular expression the whole (normalised) value must match; for text-like types.
    public var pattern: FieldPattern?
    /// Fewest characters; for text-like types.
    public var minLength: Int?
    /// Most characters; for text-like types (a default cap applies when unset).
    public var maxLength: Int?
    /// Smallest number allowed; for `number`.
    public var minimumNumber: ExactDecimal?
    /// Largest number allowed; for `number`.
    public var maximumNumber: ExactDecimal?
    /// Most digits after the decimal point; for `number` (0: whole numbers only).
    public var decimalPlaces: Int?
    /// Earliest date allowed; for `date`.
    public var earliestDate: DateBound?
    /// Latest date allowed; for `date`.
    public var latestDate: DateBound?
    /// Smallest amount in minor units; for `money` (0 when unset).
    public var minimumMinorUnits: Int64?
    /// Largest amount in minor units; for `money`.
    public var maximumMinorUnits: Int64?
    /// The currency amounts are in; for `money`.
    public var currency: Currency?
    /// The allowed answers; for `choice`.
    public var options: [ChoiceOption]

    /// No constraints.
    public init() { options = [] }

    /// Whether `value` is one of ``options``.
    public func allows(choice value: String) -> Bool { options.contains { $0.value == value } }
}

/// One allowed answer of a `choice` field.
public struct ChoiceOption: Sendable, Hashable {
    /// Stored value (stable; what rules compare against).
    public let value: String
    /// Text shown to the citizen, in the default language; ``label(in:)`` for another.
    public let label: String
    let labelText: LocalizedText

    /// An option labelled in one language.
    public init(value: String, label: String) {
        self.init(value: value, label: LocalizedText(label))
    }

    /// An option with a translated label.
    public init(value: String, label: LocalizedText) {
        self.value = value
        self.label = label.defaultText
        labelText = label
    }

    /// The label in `language` (BCP 47, e.g. `hu` or `en-IE`); the default language's when there is none in it.
    public func label(in language: String) -> String { labelText.text(in: language) }
}

/// A compiled regular expression with its source and a plain-language description for messages.
public struct FieldPattern: Sendable, Hashable {
    /// The expression as written in the catalog.
    public let source: String
    /// What the pattern means ("a 5-digit postcode"), in the default language; used in error messages instead of
    /// the value.
    public let description: String?
    let descriptionText: LocalizedText?
    private let compiled: CompiledRegex

    /// The longest value (in characters) a pattern is matched against; a longer one does not match. With the load-time
    /// check (``FieldPatternError/Code/catastrophicBacktracking``) this bounds the time one match can take: what the
    /// check lets through backtracks at most polynomially in the value's length.
    public static let maximumSubjectLength = 1_000

    /// Compiles `source`.
    ///
    /// - Throws: ``FieldPatternError`` when it is not a valid regular expression, or when it could backtrack
    ///   catastrophically (nested or overlapping repetitions; see the catalog documentation).
    public init(source: String, description: String?) throws(FieldPatternError) {
        try self.init(source: source, translatedDescription: description.map { LocalizedText($0) })
    }

    /// Compiles `source` with a translated description.
    ///
    /// - Throws: ``FieldPatternError`` when it is not a valid regular expression or could backtrack catastrophically.
    public init(source: String, translatedDescription description: LocalizedText?) throws(FieldPatternError) {
        self.source = source
        self.description = description?.defaultText
        descriptionText = description
        let regex: Regex<AnyRegexOutput>
        do {
            regex = try Regex(source)
        } catch {
            throw FieldPatternError(
                .invalidSyntax, "is not a valid regular expression",
                hint: "check brackets and escapes; in YAML, single-quote patterns so backslashes stay as written")
        }
        do {
            try PatternSafety.check(source)
        } catch {
            throw FieldPatternError(.catastrophicBacktracking, error.message, hint: error.hint)
        }
        self.compiled = CompiledRegex(regex)
    }

    /// What the pattern means in `language` (BCP 47); `nil` when the catalog gives no description.
    public func description(in language: String) -> String? { descriptionText.text(in: language) }

    /// Whether the whole of `value` matches. A value longer than ``maximumSubjectLength`` does not.
    public func matchesWhole(_ value: String) -> Bool {
        guard Self.isShortEnough(value) else { return false }
        return (try? compiled.regex.wholeMatch(in: value)) != nil
    }

    /// Whether some part of `value` matches (used by rule conditions). A value longer than ``maximumSubjectLength``
    /// does not.
    public func matchesPart(_ value: String) -> Bool {
        guard Self.isShortEnough(value) else { return false }
        return (try? compiled.regex.firstMatch(in: value)) != nil
    }

    private static func isShortEnough(_ value: String) -> Bool {
        // The byte count first: counting characters walks the whole string.
        value.utf8.count <= maximumSubjectLength || value.count <= maximumSubjectLength
    }

    public static func == (lhs: FieldPattern, rhs: FieldPattern) -> Bool {
        lhs.source == rhs.source && lhs.descriptionText == rhs.descriptionText
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(source)
        hasher.combine(descriptionText)
    }
}

/// Why a catalog pattern does not load.
public struct FieldPatternError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong.
    public enum Code: Sendable, Equatable {
        /// The standard library does not compile it.
        case invalidSyntax
        /// It could make one validation take exponential time (ReDoS), or the check cannot tell.
        case catastrophicBacktracking
    }

    public let code: Code
    /// What is wrong with the pattern, to follow "the pattern of FIELD" (it quotes the pattern, never a value).
    public let message: String
    /// How to fix it.
    public let hint: String

    init(_ code: Code, _ message: String, hint: String) {
        self.code = code
        self.message = message
        self.hint = hint
    }

    public var description: String { "the pattern \(message) (\(hint))" }

    public static func == (lhs: FieldPatternError, rhs: FieldPatternError) -> Bool { lhs.code == rhs.code }
}

/// Holds a compiled regex so patterns compile once, at load.
///
/// `@unchecked Sendable` because `Regex<AnyRegexOutput>` is not `Sendable` only for its `Any`-typed output:
/// the regex is never mutated after init, and the standard library initialises its lazily lowered program
/// with an atomic compare-and-exchange, so concurrent matching is safe.
private final class CompiledRegex: @unchecked Sendable {
    let regex: Regex<AnyRegexOutput>
    init(_ regex: Regex<AnyRegexOutput>) { self.regex = regex }
}

/// A date limit, fixed or relative to the day of validation.
public enum DateBound: Sendable, Hashable, CustomStringConvertible {
    /// A fixed date.
    case absolute(CalendarDate)
    /// Today plus an offset (negative for the past): `today`, `today-18y`, `today+90d`.
    case relative(years: Int, months: Int, days: Int)

    /// The concrete date on `today`.
    public func resolve(today: CalendarDate) -> CalendarDate {
        switch self {
        case let .absolute(date): date
        case let .relative(years, months, days): today.adding(years: years, months: months, days: days)
        }
    }

    /// Parses `2000-01-01`, `today`, `today-120y`, `today+6m`, `today+90d`, `today-2w`.
    public init?(_ text: String) {
        if let date = CalendarDate(text) {
            self = .absolute(date)
            return
        }
        guard text.hasPrefix("today") else { return nil }
        let offset = text.dropFirst(5)
        if offset.isEmpty {
            self = .relative(years: 0, months: 0, days: 0)
            return
        }
        let amount = offset.dropFirst().dropLast()
        guard let sign = offset.first, sign == "+" || sign == "-", let last = offset.last,
              let unit = RetentionPeriod.Unit(rawValue: String(last)),
              (1...4).contains(amount.count), amount.allSatisfy(\.isASCIIDigit), let count = Int(amount) else { return nil }
        let n = sign == "-" ? -count : count
        switch unit {
        case .days: self = .relative(years: 0, months: 0, days: n)
        case .weeks: self = .relative(years: 0, months: 0, days: n * 7)
        case .months: self = .relative(years: 0, months: n, days: 0)
        case .years: self = .relative(years: n, months: 0, days: 0)
        }
    }

    public var description: String {
        switch self {
        case let .absolute(date): return date.description
        case let .relative(years, months, days):
            if years != 0 { return "today\(years > 0 ? "+" : "")\(years)y" }
            if months != 0 { return "today\(months > 0 ? "+" : "")\(months)m" }
            if days != 0 { return "today\(days > 0 ? "+" : "")\(days)d" }
            return "today"
        }
    }
}

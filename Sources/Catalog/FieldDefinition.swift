/// One field of a service as defined for a range of service versions.
///
/// A field that was retyped or redefined has one `FieldDefinition` per range; see
/// ``Service/fields(at:)`` for the definitions as they were at a version.
public struct FieldDefinition: Sendable, Hashable, Identifiable {
    /// Stable identifier (snake_case), unique within its service.
    public let id: String
    /// Label shown to the citizen, in the default language; ``label(in:)`` for another.
    public let label: String
    /// Help text shown under the field, if any, in the default language; ``help(in:)`` for another.
    public let help: String?
    /// The form page the field is shown on (`page:`, snake_case): consecutive fields with the same page share one
    /// step; `nil` gives the field a step of its own. See ``Service/pages(at:)``.
    public let page: String?
    let labelText: LocalizedText
    let helpText: LocalizedText?
    /// The kind of value.
    public let type: FieldType
    /// Whether a submitted request must carry a value (drafts may leave it out).
    public let required: Bool
    /// How sensitive the content is; decides sealing.
    public let sensitivity: Sensitivity
    /// Whether the field asked for a blind index (`searchable: true`). Only valid on sealed exact-match fields.
    public let searchable: Bool
    /// Keep this field's value for a shorter period than the service, if set.
    public let retention: RetentionPeriod?
    /// Validation rules beyond the type.
    public let constraints: FieldConstraints
    /// First service version with this definition.
    public let since: Int
    /// First service version without this definition (`nil`: still current).
    public let until: Int?
    /// Where the definition sits in the catalog, for diagnostics.
    public let location: SourceLocation

    /// Whether values are sealed at rest: every sensitivity except `public`.
    public var isSealed: Bool { sensitivity.isSealed }

    /// Whether values get a blind index for exact-match search.
    public var hasBlindIndex: Bool { searchable && isSealed && type.blindIndexNormalization != nil }

    /// The normalisation to apply before hashing into the blind index; `nil` when the field has none.
    public var blindIndexNormalization: BlindIndexNormalization? {
        hasBlindIndex ? type.blindIndexNormalization : nil
    }

    /// Whether this definition applies to requests stored under service version `version`.
    public func isActive(at version: Int) -> Bool {
        version >= since && (until.map { version < $0 } ?? true)
    }

    /// Creates a definition with its texts in one language; the loader is the usual source.
    public init(
        id: String, label: String, help: String? = nil, type: FieldType, required: Bool = false,
        sensitivity: Sensitivity, searchable: Bool = false, retention: RetentionPeriod? = nil,
        constraints: FieldConstraints = FieldConstraints(), since: Int = 1, until: Int? = nil,
        location: SourceLocation = SourceLocation(file: "", line: 0, column: 0)
    ) {
        self.init(id: id, label: LocalizedText(label), help: help.map { LocalizedText($0) }, page: nil, type: type,
                  required: required, sensitivity: sensitivity, searchable: searchable, retention: retention,
                  constraints: constraints, since: since, until: until, location: location)
    }

    /// Creates a definition with translated texts; the loader is the usual source.
    public init(
        id: String, label: LocalizedText, help: LocalizedText?, page: String?, type: FieldType, required: Bool = false,
        sensitivity: Sensitivity, searchable: Bool = false, retention: RetentionPeriod? = nil,
        constraints: FieldConstraints = FieldConstraints(), since: Int = 1, until: Int? = nil,
        location: SourceLocation = SourceLocation(file: "", line: 0, column: 0)
    ) {
        self.id = id
        self.label = label.defaultText
        self.help = help?.defaultText
        self.page = page
        labelText = label
        helpText = help
        self.type = type
        self.required = required
        self.sensitivity = sensitivity
        self.searchable = searchable
        self.retention = retention
        self.constraints = constraints
        self.since = since
        self.until = until
        self.location = location
    }
}

extension FieldDefinition {
    /// The label in `language` (BCP 47, e.g. `hu` or `en-IE`); the default language's when there is none in it.
    public func label(in language: String) -> String { labelText.text(in: language) }

    /// The help text in `language` (BCP 47); `nil` when the field has none.
    public func help(in language: String) -> String? { helpText.text(in: language) }

    /// What the field's pattern means, in `language` (BCP 47); `nil` without a pattern or a description.
    public func patternDescription(in language: String) -> String? { constraints.pattern?.description(in: language) }

    /// The label for the module's own messages, which are English: the `en` text when there is one.
    var messageLabel: String { labelText.text(in: "en") }
}

/// A position in a catalog file: file name (relative to the catalog directory), 1-based line and column.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// File name relative to the catalog directory.
    public let file: String
    /// Line, from 1 (0 when unknown).
    public let line: Int
    /// Column, from 1 (0 when unknown).
    public let column: Int

    /// A location.
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column`.
    public var description: String { "\(file):\(line):\(column)" }
}

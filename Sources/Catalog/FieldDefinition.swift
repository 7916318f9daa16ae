/// One field of a service as defined for a range of service versions.
///
/// A field that was retyped or redefined has one `FieldDefinition` per range; see
/// ``Service/fields(at:)`` for the definitions as they were at a version.
public struct FieldDefinition: Sendable, Hashable, Identifiable {
    /// Stable identifier (snake_case), unique within its service.
    public let id: String
    /// Label shown to the citizen.
    public let label: String
    /// Help text shown under the field, if any.
    public let help: String?
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

    /// Creates a definition; the loader is the usual source.
    public init(
        id: String, label: String, help: String? = nil, type: FieldType, required: Bool = false,
        sensitivity: Sensitivity, searchable: Bool = false, retention: RetentionPeriod? = nil,
        constraints: FieldConstraints = FieldConstraints(), since: Int = 1, until: Int? = nil,
        location: SourceLocation = SourceLocation(file: "", line: 0, column: 0)
    ) {
        self.id = id
        self.label = label
        self.help = help
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

/// A place in a policy, schema or decision-table file. Lines and columns start at 1.
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible, Comparable {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }
}

/// One problem found while loading policies: where, what kind, what, and how to fix it.
public struct PolicyDiagnostic: Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem. Compare with the static members (`.unknownAttribute`, …).
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Code: String {
            case syntax, inputTooLarge, unknownAttribute, typeMismatch, unknownField, unreachableRule,
                duplicateRuleID, unknownRole, unknownAction, unknownResourceType, unknownPurpose,
                unknownService, unknownMaskStyle, misplacedClause, schema, io, loosePermissions
        }

        private let code: Code
        private init(_ code: Code) { self.code = code }
        public var description: String { code.rawValue }

        public static let syntax = Kind(.syntax)
        public static let inputTooLarge = Kind(.inputTooLarge)
        public static let unknownAttribute = Kind(.unknownAttribute)
        public static let typeMismatch = Kind(.typeMismatch)
        public static let unknownField = Kind(.unknownField)
        public static let unreachableRule = Kind(.unreachableRule)
        public static let duplicateRuleID = Kind(.duplicateRuleID)
        public static let unknownRole = Kind(.unknownRole)
        public static let unknownAction = Kind(.unknownAction)
        public static let unknownResourceType = Kind(.unknownResourceType)
        public static let unknownPurpose = Kind(.unknownPurpose)
        public static let unknownService = Kind(.unknownService)
        public static let unknownMaskStyle = Kind(.unknownMaskStyle)
        /// A clause where it has no meaning, e.g. `reveal` on a forbid.
        public static let misplacedClause = Kind(.misplacedClause)
        /// The schema file itself is wrong.
        public static let schema = Kind(.schema)
        /// A file could not be read.
        public static let io = Kind(.io)
        /// A file or the directory can be written by the group or others: whoever can write it grants access.
        public static let loosePermissions = Kind(.loosePermissions)
    }

    public let location: SourceLocation
    public let kind: Kind
    public let message: String
    /// How to fix it, e.g. "did you mean `resource.office`?".
    public let hint: String?

    public init(_ kind: Kind, at location: SourceLocation, _ message: String, hint: String? = nil) {
        self.kind = kind
        self.location = location
        self.message = message
        self.hint = hint
    }

    /// `file:line:column: error: message (hint)`, the format compilers use, so editors can jump to it.
    public var description: String {
        var text = "\(location): error: \(message)"
        if let hint { text += " (\(hint))" }
        return text
    }
}

/// Loading failed: the policy set was not replaced. Lists every problem found.
public struct PolicyLoadError: Error, Sendable, CustomStringConvertible {
    public let diagnostics: [PolicyDiagnostic]

    init(_ diagnostics: [PolicyDiagnostic]) { self.diagnostics = diagnostics }

    /// The set loaded but its audit entry could not be written, so it was not put in force.
    public static let unrecorded = PolicyLoadError([
        PolicyDiagnostic(.io, at: SourceLocation(file: "audit log", line: 1, column: 1),
                         "the reload could not be recorded in the audit log, so the previous policies stay in force",
                         hint: "see the operator log; the audit log may be locked after an integrity alarm"),
    ])

    public var description: String {
        let count = diagnostics.count
        let header = "policy set not loaded: \(count) error\(count == 1 ? "" : "s"); fix them and load again"
        return ([header] + diagnostics.map(\.description)).joined(separator: "\n")
    }
}

/// A name with its position, as written in a policy file.
struct Located<Value: Sendable>: Sendable {
    let value: Value
    let line: Int
    let column: Int
}

/// A field named in `reveal` or `mask`: `income`, `benefit-application.income`, or `*`.
struct FieldReference: Sendable, Hashable, CustomStringConvertible {
    let service: String?
    let field: String
    var isWildcard: Bool { field == "*" }
    var description: String { service.map { "\($0).\(field)" } ?? field }
}

/// One rule as parsed, before checking.
struct RuleSyntax: Sendable {
    var explicitID: Located<String>?
    var effect: Effect
    var line: Int
    var column: Int
    /// `nil` means `anyone`.
    var roles: [Located<String>]?
    var actions: [Located<String>] = []
    var resourceTypes: [Located<String>] = []
    var condition: Expression?
    var purposes: [Located<String>]?
    var purposeClause: Located<String>?
    var reveals: [Located<FieldReference>] = []
    var masks: [(field: Located<FieldReference>, style: Located<String>)] = []
    /// Present when the rule is marked `break-glass`; the time limit in seconds.
    var breakGlass: Located<Int>?
    /// The source text of the rule, one line, for explanations.
    var text: String = ""
}

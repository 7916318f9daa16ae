/// Type-checks one condition against the schema and compiles it.
struct ConditionChecker {
    let schema: PolicySchema
    let fields: FieldCatalog
    let resourceTypes: [ResourceDeclaration]
    let file: String
    private(set) var diagnostics: [PolicyDiagnostic] = []

    init(schema: PolicySchema, fields: FieldCatalog, resourceTypes: [ResourceDeclaration], file: String) {
        self.schema = schema
        self.fields = fields
        self.resourceTypes = resourceTypes
        self.file = file
    }

    /// Compiles a boolean condition, or returns `nil` after reporting why not.
    mutating func compile(_ expression: Expression, expecting: ValueType) -> Condition? {
        switch expression.node {
        case .literal(.bool(let value)):
            return .constant(value)
        case .literal, .list:
            fail(.typeMismatch, expression, "`\(expression)` is not a condition", hint: "compare it, e.g. `resource.status == \(expression)`")
            return nil
        case .path(let path):
            guard let type = type(of: path, at: expression) else { return nil }
            guard type == .bool else {
                fail(.typeMismatch, expression, "`\(path)` is a \(type), not a condition",
                     hint: "compare it, e.g. `\(path) == …`, or test presence with `has \(path)`")
                return nil
            }
            return .compare(.equal, Operand(path), .literal(.bool(true)))
        case .not(let inner):
            return compile(inner, expecting: .bool).map(Condition.not)
        case .and(let items), .or(let items):
            var compiled: [Condition] = []
            for item in items {
                if let condition = compile(item, expecting: .bool) { compiled.append(condition) }
            }
            guard compiled.count == items.count else { return nil }
            if case .and = expression.node { return .and(compiled) }
            return .or(compiled)
        case .has(let path):
            guard type(of: path, at: expression) != nil else { return nil }
            return .has(Operand(path))
        case .compare(let op, let lhs, let rhs):
            return compileComparison(op, lhs, rhs, at: expression)
        case .member(let lhs, let rhs):
            return compileMembership(lhs, rhs, at: expression)
        }
    }

    private mutating func compileComparison(_ op: Comparison, _ lhs: Expression, _ rhs: Expression, at expression: Expression) -> Condition? {
        guard let left = operand(lhs), let right = operand(rhs) else { return nil }
        if case .list = left.type { return mismatch(expression, "a list cannot be compared with `\(op.rawValue)`; use `in`") }
        if case .list = right.type { return mismatch(expression, "a list cannot be compared with `\(op.rawValue)`; use `in`") }
        switch op {
        case .equal, .notEqual:
            guard left.type.isComparable(with: right.type), left.type != .set else {
                return mismatch(expression, "cannot compare \(describe(lhs, left.type)) with \(describe(rhs, right.type))",
                                hint: suggestionForMismatch(left.type, right.type, rhs))
            }
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            guard left.type == .int, right.type == .int else {
                return mismatch(expression, "`\(op.rawValue)` compares numbers; \(describe(lhs, left.type)) and \(describe(rhs, right.type)) are not both numbers")
            }
        }
        guard checkLiteral(rhs, against: left.type, path: lhs), checkLiteral(lhs, against: right.type, path: rhs) else { return nil }
        return .compare(op, left.operand, right.operand)
    }

    private mutating func compileMembership(_ lhs: Expression, _ rhs: Expression, at expression: Expression) -> Condition? {
        guard let left = operand(lhs) else { return nil }
        switch rhs.node {
        case .list(let items):
            var strings: Set<String> = []
            var values: [AttributeValue] = []
            for item in items {
                guard case .literal(let value) = item.node, let itemType = literalType(value) else { continue }
                guard left.type.isComparable(with: itemType) else {
                    return mismatch(item, "\(describe(lhs, left.type)) is never \(value)")
                }
                guard checkLiteral(item, against: left.type, path: lhs) else { return nil }
                if case .string(let text) = value { strings.insert(text) }
                values.append(value)
            }
            return left.type.isStringLike ? .memberOfStrings(left.operand, strings) : .memberOfValues(left.operand, values)
        case .path:
            guard let right = operand(rhs) else { return nil }
            guard right.type == .set, left.type.isStringLike else {
                return mismatch(expression, "`in` needs a list or a set on the right and a string on the left; found \(describe(lhs, left.type)) in \(describe(rhs, right.type))")
            }
            return .memberOfAttribute(left.operand, right.operand)
        default:
            return mismatch(rhs, "`in` needs a list like [\"a\", \"b\"] or a set attribute like `principal.roles`")
        }
    }

    // MARK: Operands and types

    private mutating func operand(_ expression: Expression) -> (operand: Operand, type: ValueType)? {
        switch expression.node {
        case .literal(let value):
            guard let type = literalType(value) else { return nil }
            return (.literal(value), type)
        case .path(let path):
            guard let type = type(of: path, at: expression) else { return nil }
            return (Operand(path), type)
        case .list:
            return (.literal(.bool(false)), .list(.string))
        default:
            fail(.typeMismatch, expression, "expected a value, found the condition `\(expression)`", hint: "put a condition in parentheses only at the top")
            return nil
        }
    }

    private func literalType(_ value: AttributeValue) -> ValueType? {
        switch value {
        case .string: return .string
        case .int: return .int
        case .bool: return .bool
        case .strings: return .set
        }
    }

    /// The declared type of an attribute; reports unknown attributes with a hint.
    mutating func type(of path: AttributePath, at expression: Expression) -> ValueType? {
        switch path.root {
        case .principal, .context:
            if let declaration = schema.declaration(of: path) { return declaration.type }
            let known = (path.root == .principal ? schema.principal : schema.context).keys
            fail(.unknownAttribute, expression, "unknown attribute `\(path)`",
                 hint: Spelling.hint(for: path.name, among: known, prefix: "\(path.root.rawValue).")
                    ?? "known: " + known.sorted().map { "\(path.root.rawValue).\($0)" }.joined(separator: ", "))
            return nil
        case .resource:
            if path.name == "type" { return .enumeration(resourceTypes.map(\.name)) }
            var found: ValueType?
            for resourceType in resourceTypes {
                guard let declaration = resourceType.attributes[path.name] else {
                    fail(.unknownAttribute, expression, "resource type `\(resourceType.name)` has no attribute `\(path.name)`",
                         hint: Spelling.hint(for: path.name, among: resourceType.attributes.keys, prefix: "resource.")
                            ?? "its attributes: " + resourceType.attributes.keys.sorted().joined(separator: ", "))
                    return nil
                }
                if let found, !found.isComparable(with: declaration.type) {
                    fail(.typeMismatch, expression, "`\(path)` has different types on the resource types of this rule")
                    return nil
                }
                found = declaration.type
            }
            return found
        }
    }

    /// Checks a literal compared with an enumeration or service attribute names one of its values.
    private mutating func checkLiteral(_ expression: Expression, against type: ValueType, path: Expression) -> Bool {
        guard case .literal(.string(let value)) = expression.node else { return true }
        switch type {
        case .enumeration(let values) where !values.contains(value):
            fail(.typeMismatch, expression, "\"\(value)\" is not a value of `\(path)` (\(values.joined(separator: ", ")))",
                 hint: Spelling.hint(for: value, among: values))
            return false
        case .service where fields.serviceFields[value] == nil:
            fail(.unknownService, expression, "unknown service \"\(value)\"",
                 hint: Spelling.hint(for: value, among: fields.serviceFields.keys) ?? "known services: " + fields.serviceFields.keys.sorted().joined(separator: ", "))
            return false
        default:
            return true
        }
    }

    private func describe(_ expression: Expression, _ type: ValueType) -> String {
        if case .literal = expression.node { return "\(expression) (\(type))" }
        return "`\(expression)` (\(type))"
    }

    private func suggestionForMismatch(_ left: ValueType, _ right: ValueType, _ rhs: Expression) -> String? {
        if left == .bool, case .literal(.string(let text)) = rhs.node {
            return "write `true` or `false` without quotes" + (text == "yes" || text == "no" ? " instead of \"\(text)\"" : "")
        }
        if left == .int, case .literal(.string) = rhs.node { return "write numbers without quotes" }
        if left == .set { return "use `\"value\" in` the set" }
        return nil
    }

    private mutating func mismatch(_ expression: Expression, _ message: String, hint: String? = nil) -> Condition? {
        fail(.typeMismatch, expression, message, hint: hint)
        return nil
    }

    private mutating func fail(_ kind: PolicyDiagnostic.Kind, _ expression: Expression, _ message: String, hint: String? = nil) {
        diagnostics.append(PolicyDiagnostic(kind, at: SourceLocation(file: file, line: expression.line, column: expression.column), message, hint: hint))
    }
}

/// A value in a compiled condition: a literal or an attribute to look up.
enum Operand: Sendable {
    case literal(AttributeValue)
    case principal(String)
    case resource(String)
    case context(String)

    init(_ path: AttributePath) {
        switch path.root {
        case .principal: self = .principal(path.name)
        case .resource: self = .resource(path.name)
        case .context: self = .context(path.name)
        }
    }

    @inline(__always)
    func value(_ principal: Principal, _ resource: Resource, _ context: Context) -> AttributeValue? {
        switch self {
        case .literal(let value): return value
        case .principal(let name): return principal.value(of: name)
        case .resource(let name): return resource.value(of: name)
        case .context(let name): return context.value(of: name)
        }
    }
}

/// A type-checked condition ready to evaluate. Total: a missing attribute or a value of the wrong type
/// makes a comparison false, never a crash.
indirect enum Condition: Sendable {
    case constant(Bool)
    case not(Condition)
    case and([Condition])
    case or([Condition])
    case compare(Comparison, Operand, Operand)
    /// Membership in a literal list of strings (the common case, a hash lookup).
    case memberOfStrings(Operand, Set<String>)
    /// Membership in a literal list of other values.
    case memberOfValues(Operand, [AttributeValue])
    /// Membership in a set-valued attribute (`"x" in principal.roles`).
    case memberOfAttribute(Operand, Operand)
    case has(Operand)

    func evaluate(_ principal: Principal, _ resource: Resource, _ context: Context) -> Bool {
        switch self {
        case .constant(let value):
            return value
        case .not(let inner):
            return !inner.evaluate(principal, resource, context)
        case .and(let items):
            for item in items where !item.evaluate(principal, resource, context) { return false }
            return true
        case .or(let items):
            for item in items where item.evaluate(principal, resource, context) { return true }
            return false
        case .compare(let op, let lhs, let rhs):
            guard let left = lhs.value(principal, resource, context), let right = rhs.value(principal, resource, context)
            else { return false }
            return Self.compare(op, left, right)
        case .memberOfStrings(let operand, let set):
            guard case .string(let value)? = operand.value(principal, resource, context) else { return false }
            return set.contains(value)
        case .memberOfValues(let operand, let values):
            guard let value = operand.value(principal, resource, context) else { return false }
            return values.contains(value)
        case .memberOfAttribute(let operand, let container):
            guard case .string(let value)? = operand.value(principal, resource, context),
                case .strings(let set)? = container.value(principal, resource, context)
            else { return false }
            return set.contains(value)
        case .has(let operand):
            return operand.value(principal, resource, context) != nil
        }
    }

    private static func compare(_ op: Comparison, _ left: AttributeValue, _ right: AttributeValue) -> Bool {
        switch (left, right) {
        case (.string(let a), .string(let b)):
            switch op {
            case .equal: return a == b
            case .notEqual: return a != b
            default: return false
            }
        case (.bool(let a), .bool(let b)):
            switch op {
            case .equal: return a == b
            case .notEqual: return a != b
            default: return false
            }
        case (.int(let a), .int(let b)):
            switch op {
            case .equal: return a == b
            case .notEqual: return a != b
            case .less: return a < b
            case .lessOrEqual: return a <= b
            case .greater: return a > b
            case .greaterOrEqual: return a >= b
            }
        default:
            return false
        }
    }
}

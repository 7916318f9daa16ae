/// Where an attribute comes from.
enum AttributeRoot: String, Sendable, CaseIterable {
    case principal, resource, context
}

/// `principal.office`, `resource.sealed`, `context.purpose`.
struct AttributePath: Sendable, Hashable, CustomStringConvertible {
    let root: AttributeRoot
    let name: String
    var description: String { "\(root.rawValue).\(name)" }
}

/// Comparison operators.
enum Comparison: String, Sendable {
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
}

/// A parsed condition, with the position of every node for error messages.
struct Expression: Sendable, CustomStringConvertible {
    indirect enum Node: Sendable {
        case literal(AttributeValue)
        /// A bracketed list; elements are literals.
        case list([Expression])
        case path(AttributePath)
        case not(Expression)
        case and([Expression])
        case or([Expression])
        case compare(Comparison, Expression, Expression)
        /// `x in [..]` or `"a" in principal.roles`.
        case member(Expression, Expression)
        /// `has resource.assignee`.
        case has(AttributePath)
    }

    let node: Node
    let line: Int
    let column: Int

    var description: String {
        switch node {
        case .literal(let value): return value.description
        case .list(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .path(let path): return path.description
        case .not(let inner): return "not " + inner.parenthesised
        case .and(let items): return items.map(\.parenthesised).joined(separator: " and ")
        case .or(let items): return items.map(\.parenthesised).joined(separator: " or ")
        case .compare(let op, let lhs, let rhs): return "\(lhs) \(op.rawValue) \(rhs)"
        case .member(let lhs, let rhs): return "\(lhs) in \(rhs)"
        case .has(let path): return "has \(path)"
        }
    }

    private var parenthesised: String {
        switch node {
        case .and, .or: return "(\(description))"
        default: return description
        }
    }

    /// The top-level conjuncts: `a and b and c` → `[a, b, c]`.
    var conjuncts: [Expression] {
        if case .and(let items) = node { return items.flatMap(\.conjuncts) }
        return [self]
    }
}

/// The type of an attribute or expression.
indirect enum ValueType: Sendable, Hashable, CustomStringConvertible {
    case string
    case int
    case bool
    /// A set of strings, e.g. `principal.roles`; used on the right of `in`.
    case set
    /// A string restricted to the listed values.
    case enumeration([String])
    /// A string naming a catalog service.
    case service
    /// A literal list.
    case list(ValueType)

    var description: String {
        switch self {
        case .string: return "string"
        case .int: return "int"
        case .bool: return "bool"
        case .set: return "set"
        case .enumeration(let values): return "enum(" + values.joined(separator: ", ") + ")"
        case .service: return "service"
        case .list(let element): return "list of \(element)"
        }
    }

    /// Strings, enumerations and service ids compare with one another.
    var isStringLike: Bool {
        switch self {
        case .string, .enumeration, .service: return true
        default: return false
        }
    }

    func isComparable(with other: ValueType) -> Bool {
        if isStringLike && other.isStringLike { return true }
        return self == other
    }
}

/// An attribute declared in the schema.
struct AttributeDeclaration: Sendable, Hashable {
    let type: ValueType
    let optional: Bool
}

/// Where a resource type's fields come from.
enum FieldSource: Sendable, Hashable {
    /// The resource has no personal fields (`keys`, `audit-log`, …): only `reveal *` is meaningful.
    case none
    /// The fields of the catalog service the record belongs to.
    case services
    /// A fixed list from the schema (e.g. `profile`), plus any the caller supplies.
    case list(Set<String>)
}

/// A resource type: its attributes and its fields.
struct ResourceDeclaration: Sendable {
    let name: String
    let attributes: [String: AttributeDeclaration]
    let fields: FieldSource
}

/// Entity types, attributes and their types, roles, actions, purposes and resource types: what a policy
/// may name. Read from the `*.schema` file in the policy directory (see `Policies/README.md`).
public struct PolicySchema: Sendable {
    /// The roles policies may name.
    public let roles: [String]
    /// The actions policies may name; an unknown action is a load error.
    public let actions: [String]
    /// The declared purposes of use.
    public let purposes: [String]
    let principal: [String: AttributeDeclaration]
    let context: [String: AttributeDeclaration]
    let resources: [String: ResourceDeclaration]

    /// The resource type names.
    public var resourceTypes: [String] { resources.keys.sorted() }

    init(
        roles: [String], actions: [String], purposes: [String], principal: [String: AttributeDeclaration],
        context: [String: AttributeDeclaration], resources: [String: ResourceDeclaration]
    ) {
        self.roles = roles
        self.actions = actions
        self.purposes = purposes
        self.principal = principal
        self.context = context
        self.resources = resources
    }

    /// The declared type of a principal or context attribute.
    func declaration(of path: AttributePath) -> AttributeDeclaration? {
        switch path.root {
        case .principal: return principal[path.name]
        case .context: return context[path.name]
        case .resource: return nil
        }
    }

    /// The declared type of an attribute, for coercing `key=value` input.
    func type(of root: AttributeRoot, _ name: String, resourceType: String?) -> ValueType? {
        switch root {
        case .principal: return principal[name]?.type
        case .context: return context[name]?.type
        case .resource: return resourceType.flatMap { resources[$0]?.attributes[name]?.type }
        }
    }
}

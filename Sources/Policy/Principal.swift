/// Who asks: an authenticated staff member or citizen.
///
/// `id` and `roles` are first-class; everything else (`office`, `clearance`, `kind`) is an attribute
/// the schema declares. In a policy they read as `principal.id`, `principal.roles`, `principal.office`.
public struct Principal: Sendable, Hashable, Codable {
    /// Whether the principal is agency staff or a citizen.
    public enum Kind: String, Sendable, Codable { case staff, citizen }

    public var id: String
    public var roles: Set<String>
    public var attributes: [String: AttributeValue]

    /// Creates a principal from raw attributes.
    public init(id: String, roles: Set<String>, attributes: [String: AttributeValue] = [:]) {
        self.id = id
        self.roles = roles
        self.attributes = attributes
    }

    /// Creates a principal with the usual attributes filled in.
    /// - Parameters:
    ///   - kind: staff or citizen (`principal.kind`).
    ///   - office: the staff member's office (`principal.office`), if any.
    ///   - clearance: a numeric clearance level (`principal.clearance`), if any.
    public init(
        id: String, roles: Set<String>, kind: Kind, office: String? = nil, clearance: Int? = nil,
        attributes: [String: AttributeValue] = [:]
    ) {
        var all = attributes
        all["kind"] = .string(kind.rawValue)
        if let office { all["office"] = .string(office) }
        if let clearance { all["clearance"] = .int(clearance) }
        self.init(id: id, roles: roles, attributes: all)
    }

    /// The value of `principal.<name>`, or `nil` when absent.
    public func value(of name: String) -> AttributeValue? {
        switch name {
        case "id": return .string(id)
        case "roles": return .strings(roles)
        default: return attributes[name]
        }
    }
}

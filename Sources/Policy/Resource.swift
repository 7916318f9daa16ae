/// What is acted on: a resource type from the schema (`request`, `profile`, `audit-log`, …) and its
/// attributes (`owner`, `office`, `service`, `sealed`, …). Attributes are never personal field values.
public struct Resource: Sendable, Hashable, Codable {
    public var type: String
    public var attributes: [String: AttributeValue]

    /// Creates a resource of a schema resource type.
    public init(type: String, attributes: [String: AttributeValue] = [:]) {
        self.type = type
        self.attributes = attributes
    }

    /// A citizen's service request.
    public static func request(
        owner: String, service: String, office: String? = nil, status: String = "submitted",
        sensitivity: String = "normal", sealed: Bool = false, assignee: String? = nil, subject: String? = nil
    ) -> Resource {
        var attributes: [String: AttributeValue] = [
            "owner": .string(owner), "service": .string(service), "status": .string(status),
            "sensitivity": .string(sensitivity), "sealed": .bool(sealed),
            "subject": .string(subject ?? owner),
        ]
        if let office { attributes["office"] = .string(office) }
        if let assignee { attributes["assignee"] = .string(assignee) }
        return Resource(type: "request", attributes: attributes)
    }

    /// A citizen's profile.
    public static func profile(owner: String) -> Resource {
        Resource(type: "profile", attributes: ["owner": .string(owner), "subject": .string(owner)])
    }

    /// The value of `resource.<name>`, or `nil` when absent. `resource.type` is the resource type.
    public func value(of name: String) -> AttributeValue? {
        name == "type" ? .string(type) : attributes[name]
    }
}

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A request to decide, described in text: for `policy explain` and decision tables.
///
/// Arguments: `principal.id=c-1 principal.roles=citizen principal.kind=citizen action=read
/// resource.type=request resource.owner=c-1 resource.service=fee-payment context.purpose=case-handling`.
/// Values are typed by the schema (`resource.sealed=true` is a boolean, `principal.roles=a,b` a set).
/// JSON: `{"principal": {"id": …, "roles": […], "attributes": {…}}, "action": "read",
/// "resource": {"type": "request", "attributes": {…}}, "context": {"purpose": …}}`.
public struct RequestDescription: Sendable, Hashable, Codable {
    public var principal: Principal
    public var action: Action
    public var resource: Resource
    public var context: Context

    public init(principal: Principal, action: Action, resource: Resource, context: Context) {
        self.principal = principal
        self.action = action
        self.resource = resource
        self.context = context
    }

    /// A request description failed to parse.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Parses `key=value` arguments, typing values by the schema.
    /// - Throws: ``ParseError`` for an argument that is not `root.name=value` or `action=…`.
    public init(arguments: [String], schema: PolicySchema) throws(ParseError) {
        var principal: [(String, String)] = [], resource: [(String, String)] = [], context: [(String, String)] = []
        var action: String?
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "=") else {
                throw ParseError(message: "`\(argument)` is not key=value; write e.g. `resource.owner=c-1`")
            }
            let key = String(argument[..<equals]), value = String(argument[argument.index(after: equals)...])
            if key == "action" {
                action = value
                continue
            }
            let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2 else {
                throw ParseError(message: "`\(key)` needs a prefix: principal., resource., context. or `action`")
            }
            switch parts[0] {
            case "principal": principal.append((parts[1], value))
            case "resource": resource.append((parts[1], value))
            case "context": context.append((parts[1], value))
            default: throw ParseError(message: "unknown prefix `\(parts[0])`; use principal., resource., context.")
            }
        }
        guard let action else { throw ParseError(message: "missing `action=…`") }
        let type = resource.last { $0.0 == "type" }?.1
        guard let type else { throw ParseError(message: "missing `resource.type=…`") }
        self.init(
            principal: Self.principal(from: principal, schema: schema), action: Action(action),
            resource: Self.resource(type: type, from: resource.filter { $0.0 != "type" }, schema: schema),
            context: Self.context(from: context, schema: schema))
    }

    /// Parses the JSON form.
    /// - Throws: ``ParseError`` when the JSON does not have that shape.
    public init(json: String) throws(ParseError) {
        do {
            self = try JSONDecoder().decode(RequestDescription.self, from: Data(json.utf8))
        } catch {
            throw ParseError(message: "the JSON is not a request description: \(error)")
        }
    }

    static func principal(from pairs: [(String, String)], schema: PolicySchema, base: Principal? = nil) -> Principal {
        var principal = base ?? Principal(id: "", roles: [])
        for (key, value) in pairs {
            switch key {
            case "id": principal.id = value
            case "roles": principal.roles = Set(value.split(separator: ",").map(String.init))
            default: principal.attributes[key] = AttributeValue(parsing: value, as: schema.principal[key]?.type)
            }
        }
        return principal
    }

    static func resource(type: String, from pairs: [(String, String)], schema: PolicySchema, base: Resource? = nil) -> Resource {
        var resource = base ?? Resource(type: type)
        resource.type = type
        for (key, value) in pairs {
            resource.attributes[key] = AttributeValue(parsing: value, as: schema.resources[type]?.attributes[key]?.type)
        }
        return resource
    }

    static func context(from pairs: [(String, String)], schema: PolicySchema, base: Context? = nil) -> Context {
        var context = base ?? Context()
        for (key, value) in pairs {
            switch key {
            case "purpose": context.purpose = value
            case "hour": context.hour = Int(value)
            case "weekday": context.weekday = value
            case "justification": context.justification = value
            case "auth_strength": context.authStrength = value
            default: context.attributes[key] = AttributeValue(parsing: value, as: schema.context[key]?.type)
            }
        }
        return context
    }
}

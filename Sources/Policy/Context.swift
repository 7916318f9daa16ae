/// The circumstances of a request: declared purpose, time, break-glass justification, authentication.
///
/// In a policy: `context.purpose`, `context.hour` (0–23), `context.weekday` (`mon`…`sun`),
/// `context.justification`, `context.break_glass` (true when a non-empty justification is present),
/// `context.auth_strength`, plus any extra attributes the schema declares.
public struct Context: Sendable, Hashable, Codable {
    public var purpose: String?
    public var hour: Int?
    public var weekday: String?
    /// A written break-glass justification. Kept out of decisions: it may name people.
    public var justification: String?
    public var authStrength: String?
    public var attributes: [String: AttributeValue]

    /// Creates a context.
    public init(
        purpose: String? = nil, hour: Int? = nil, weekday: String? = nil, justification: String? = nil,
        authStrength: String? = nil, attributes: [String: AttributeValue] = [:]
    ) {
        self.purpose = purpose
        self.hour = hour
        self.weekday = weekday
        self.justification = justification
        self.authStrength = authStrength
        self.attributes = attributes
    }

    /// True when the context carries a written (non-blank) break-glass justification.
    public var hasJustification: Bool {
        guard let justification else { return false }
        return justification.contains { !$0.isWhitespace }
    }

    /// The value of `context.<name>`, or `nil` when absent.
    public func value(of name: String) -> AttributeValue? {
        switch name {
        case "purpose": return purpose.map(AttributeValue.string)
        case "hour": return hour.map(AttributeValue.int)
        case "weekday": return weekday.map(AttributeValue.string)
        case "justification": return justification.map(AttributeValue.string)
        case "auth_strength": return authStrength.map(AttributeValue.string)
        case "break_glass": return .bool(hasJustification)
        default: return attributes[name]
        }
    }
}

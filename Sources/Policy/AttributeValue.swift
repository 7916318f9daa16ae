/// A value of a principal, resource or context attribute.
///
/// Values are deliberately few: strings, integers, booleans and sets of strings (for roles
/// and similar). Encodes as plain JSON (`"x"`, `3`, `true`, `["a", "b"]`).
public enum AttributeValue: Sendable, Hashable, CustomStringConvertible {
    case string(String)
    case int(Int)
    case bool(Bool)
    case strings(Set<String>)

    public var description: String {
        switch self {
        case .string(let value): return "\"\(value)\""
        case .int(let value): return String(value)
        case .bool(let value): return String(value)
        case .strings(let values): return "[" + values.sorted().map { "\"\($0)\"" }.joined(separator: ", ") + "]"
        }
    }

    /// Parses a command-line style value: `true`/`false`, an integer, a comma list (`a,b`), else a string.
    /// - Parameter text: the raw text after `=`.
    /// - Parameter type: the declared type when known; it wins over guessing.
    init(parsing text: String, as type: ValueType?) {
        switch type {
        case .bool?: self = .bool(text == "true")
        case .int?: self = Int(text).map(AttributeValue.int) ?? .string(text)
        case .set?: self = .strings(Set(text.split(separator: ",").map(String.init)))
        case .string?, .enumeration?, .service?: self = .string(text)
        case .list?, nil:
            if text == "true" || text == "false" { self = .bool(text == "true") } else if let number = Int(text) {
                self = .int(number)
            } else {
                self = .string(text)
            }
        }
    }
}

extension AttributeValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: String...) { self = .strings(Set(elements)) }
}

extension AttributeValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else {
            self = .strings(Set(try container.decode([String].self)))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .strings(let values): try container.encode(values.sorted())
        }
    }
}

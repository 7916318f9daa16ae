/// A submitted value as it arrives from JSON, before validation.
///
/// Numbers are never floating point: an integer, or a decimal kept as its exact text.
public enum FieldInput: Sendable, Hashable {
    case string(String)
    case integer(Int)
    /// A decimal number as exact text (`"12.50"`).
    case decimal(String)
    case bool(Bool)
    case null
    /// A JSON object, for `postal_address` and `money`.
    case object([String: FieldInput])

    var kindName: String {
        switch self {
        case .string: "text"
        case .integer, .decimal: "a number"
        case .bool: "true or false"
        case .null: "null"
        case .object: "an object"
        }
    }
}

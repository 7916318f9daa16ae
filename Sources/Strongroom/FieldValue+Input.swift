import Catalog

extension FieldValue {
    /// The value as submitted input, for re-validating stored values at submission.
    var asInput: FieldInput {
        switch self {
        case let .text(s), let .email(s), let .phone(s), let .nationalID(s), let .choice(s), let .fileReference(s):
            return .string(s)
        case let .number(n): return .decimal(n.description)
        case let .date(d): return .string(d.description)
        case let .money(m): return .integer(Int(m.minorUnits))
        case let .boolean(b): return .bool(b)
        case let .postalAddress(address):
            var parts: [String: FieldInput] = [
                "line1": .string(address.line1), "city": .string(address.city),
                "postcode": .string(address.postcode), "country": .string(address.country),
            ]
            if let line2 = address.line2 { parts["line2"] = .string(line2) }
            return .object(parts)
        }
    }
}

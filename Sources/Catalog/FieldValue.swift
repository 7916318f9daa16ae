#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A validated, normalised field value.
public enum FieldValue: Sendable, Hashable {
    /// Trimmed text.
    case text(String)
    case number(ExactDecimal)
    case date(CalendarDate)
    /// Trimmed, domain lower-cased.
    case email(String)
    /// `+` and digits (E.164).
    case phone(String)
    case postalAddress(PostalAddress)
    /// Upper-cased, spaces and dashes removed.
    case nationalID(String)
    case money(Money)
    /// The option's stored value.
    case choice(String)
    case boolean(Bool)
    /// An opaque reference to an uploaded file.
    case fileReference(String)

    /// The field type this value belongs to.
    public var type: FieldType {
        switch self {
        case .text: .text
        case .number: .number
        case .date: .date
        case .email: .email
        case .phone: .phone
        case .postalAddress: .postalAddress
        case .nationalID: .nationalID
        case .money: .money
        case .choice: .choice
        case .boolean: .boolean
        case .fileReference: .fileReference
        }
    }

    /// The canonical text of the value, the plaintext that `Sealing` seals.
    ///
    /// Parse it back with ``init(canonical:type:)``. Formats: text as is; number `-12.5`; date `YYYY-MM-DD`;
    /// money `EUR 1250` (minor units); boolean `true`/`false`; postal address a JSON object with sorted keys.
    public var canonical: String {
        switch self {
        case let .text(s), let .email(s), let .phone(s), let .nationalID(s), let .choice(s), let .fileReference(s):
            return s
        case let .number(n): return n.description
        case let .date(d): return d.description
        case let .money(m): return "\(m.currency.code) \(m.minorUnits)"
        case let .boolean(b): return b ? "true" : "false"
        case let .postalAddress(address):
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            // Encoding a struct of strings cannot fail.
            let data = (try? encoder.encode(address)) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// Parses a canonical text back into a value of `type` (used when opening a sealed field).
    /// - Throws: ``CatalogError`` when the text is not a canonical value of that type.
    public init(canonical: String, type: FieldType) throws(CatalogError) {
        func fail() -> CatalogError {
            CatalogError.invalidCanonicalValue(type: type)
        }
        switch type {
        case .text: self = .text(canonical)
        case .email: self = .email(canonical)
        case .phone: self = .phone(canonical)
        case .nationalID: self = .nationalID(canonical)
        case .choice: self = .choice(canonical)
        case .fileReference: self = .fileReference(canonical)
        case .number:
            guard let n = ExactDecimal(canonical) else { throw fail() }
            self = .number(n)
        case .date:
            guard let d = CalendarDate(canonical) else { throw fail() }
            self = .date(d)
        case .boolean:
            switch canonical {
            case "true": self = .boolean(true)
            case "false": self = .boolean(false)
            default: throw fail()
            }
        case .money:
            let parts = canonical.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, let currency = Currency(code: String(parts[0])),
                  let minor = Int64(parts[1]) else { throw fail() }
            self = .money(Money(minorUnits: minor, currency: currency))
        case .postalAddress:
            guard let address = try? JSONDecoder().decode(PostalAddress.self, from: Data(canonical.utf8)) else {
                throw fail()
            }
            self = .postalAddress(address)
        }
    }

    /// The string a blind index hashes for this value under `normalization`.
    public func blindIndexInput(_ normalization: BlindIndexNormalization) -> String {
        normalization.normalize(canonical)
    }
}

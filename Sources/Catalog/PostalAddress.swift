/// A postal address, normalised (trimmed, country upper-cased).
public struct PostalAddress: Sendable, Hashable, Codable {
    /// Street and number.
    public var line1: String
    /// Flat, building, care-of (optional).
    public var line2: String?
    /// Town or city.
    public var city: String
    /// Postal code as written by the citizen, trimmed and upper-cased.
    public var postcode: String
    /// ISO 3166-1 alpha-2 country code.
    public var country: String

    /// An address.
    public init(line1: String, line2: String? = nil, city: String, postcode: String, country: String) {
        self.line1 = line1
        self.line2 = line2
        self.city = city
        self.postcode = postcode
        self.country = country
    }

    /// The names of the parts, as used in submitted objects and in rules (`new_address.postcode`).
    public static let partNames: Set<String> = ["line1", "line2", "city", "postcode", "country"]

    /// The value of a part by name.
    public func part(_ name: String) -> String? {
        switch name {
        case "line1": line1
        case "line2": line2
        case "city": city
        case "postcode": postcode
        case "country": country
        default: nil
        }
    }
}

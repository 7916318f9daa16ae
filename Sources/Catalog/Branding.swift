/// How the agency presents itself: names, logo, colours, contact, defaults. Read from `branding.yaml`.
public struct Branding: Sendable, Hashable {
    /// Full agency name.
    public let name: String
    /// Short name for narrow places (tabs, mobile headers).
    public let shortName: String
    /// Logo path relative to the catalog directory (checked to exist at load).
    public let logoFile: String
    /// Named colours (`primary`, `secondary`, `accent`, `text`, `background`) as `#RRGGBB`.
    public let colors: [String: HexColor]
    /// How citizens reach the agency.
    public let contact: Contact
    /// Default locale (BCP 47, e.g. `en-IE`).
    public let locale: String
    /// Default currency for fees and money fields.
    public let currency: Currency

    /// Agency contact details.
    public struct Contact: Sendable, Hashable {
        /// Public help-desk email.
        public let email: String?
        /// Public phone number as it should be displayed.
        public let phone: String?
        /// Postal or visiting address, one line.
        public let address: String?
        /// Website (https).
        public let web: String?

        /// Contact details.
        public init(email: String?, phone: String?, address: String?, web: String?) {
            self.email = email
            self.phone = phone
            self.address = address
            self.web = web
        }
    }

    /// Creates branding; the loader is the usual source.
    public init(name: String, shortName: String, logoFile: String, colors: [String: HexColor], contact: Contact,
                locale: String, currency: Currency) {
        self.name = name
        self.shortName = shortName
        self.logoFile = logoFile
        self.colors = colors
        self.contact = contact
        self.locale = locale
        self.currency = currency
    }
}

/// An sRGB colour written `#RGB` or `#RRGGBB`, normalised to upper-case `#RRGGBB`.
public struct HexColor: Sendable, Hashable, CustomStringConvertible {
    /// `#RRGGBB`.
    public let hex: String

    /// Parses `#1f4e79` or `#fa0`; `nil` for anything else.
    public init?(_ text: String) {
        guard text.first == "#" else { return nil }
        let digits = text.dropFirst().uppercased()
        guard digits.count == 3 || digits.count == 6, digits.allSatisfy({ $0.isHexDigit }) else { return nil }
        hex = "#" + (digits.count == 3 ? digits.map { "\($0)\($0)" }.joined() : digits)
    }

    public var description: String { hex }
}

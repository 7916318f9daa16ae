/// How the agency presents itself: names, logo, colours, contact, defaults. Read from `branding.yaml`.
public struct Branding: Sendable, Hashable {
    /// Full agency name.
    public let name: String
    /// Short name for narrow places (tabs, mobile headers).
    public let shortName: String
    /// Logo path relative to the catalog directory (checked to exist at load).
    public let logoFile: String
    /// Named colours (`primary`, `secondary`, `accent`, `text`, `background`) as `#RRGGBB`; `text` and `background`
    /// are always present (defaults #1A1A1A and #FFFFFF when the file leaves them out).
    public let colors: [String: HexColor]
    /// How citizens reach the agency.
    public let contact: Contact
    /// Default locale (BCP 47, e.g. `en-IE`).
    public let locale: String
    /// Default currency for fees and money fields.
    public let currency: Currency
    /// The languages every catalog text is written in (lower-case codes such as `hu`, `en`); the first is the
    /// default language, whose texts ``name``, ``Service/title`` and the other `String` properties return.
    public let languages: [String]
    /// The IANA time zone the agency works in (`time_zone:`, default ``defaultTimeZone``): pages, receipts and
    /// e-mails show dates and times in it.
    public let timeZone: String
    /// UTC, when `branding.yaml` names no time zone.
    public static let defaultTimeZone = "UTC"
    /// ``name`` in every language.
    let nameText: LocalizedText
    /// ``shortName`` in every language.
    let shortNameText: LocalizedText

    /// The first of ``languages``.
    public var defaultLanguage: String { languages.first ?? "en" }

    /// The agency name in `language` (BCP 47; falls back to the default language).
    public func name(in language: String) -> String { nameText.text(in: language) }

    /// The short name in `language` (BCP 47; falls back to the default language).
    public func shortName(in language: String) -> String { shortNameText.text(in: language) }

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

    /// Creates branding in one language, the primary subtag of `locale`; the loader is the usual source.
    public init(name: String, shortName: String, logoFile: String, colors: [String: HexColor], contact: Contact,
                locale: String, currency: Currency) {
        self.init(name: LocalizedText(name), shortName: LocalizedText(shortName), logoFile: logoFile, colors: colors,
                  contact: contact, locale: locale, currency: currency, languages: [Self.primaryLanguage(of: locale)])
    }

    /// Creates branding with translated names; `languages` must not be empty (its first entry is the default).
    public init(name: LocalizedText, shortName: LocalizedText, logoFile: String, colors: [String: HexColor],
                contact: Contact, locale: String, currency: Currency, languages: [String], timeZone: String = Branding.defaultTimeZone) {
        self.timeZone = timeZone
        self.name = name.defaultText
        self.shortName = shortName.defaultText
        nameText = name
        shortNameText = shortName
        self.logoFile = logoFile
        self.colors = colors
        self.contact = contact
        self.locale = locale
        self.currency = currency
        self.languages = languages.isEmpty ? [Self.primaryLanguage(of: locale)] : languages
    }

    /// The lower-case primary language subtag of a BCP 47 tag (`en-IE` → `en`); `en` when it has none.
    static func primaryLanguage(of locale: String) -> String {
        let primary = locale.split(whereSeparator: { $0 == "-" || $0 == "_" }).first.map { $0.lowercased() } ?? ""
        return isLanguageCode(primary) ? primary : "en"
    }

    /// Two or three lower-case ASCII letters.
    static func isLanguageCode(_ code: String) -> Bool {
        (2...3).contains(code.unicodeScalars.count) && code.unicodeScalars.allSatisfy { ("a"..."z").contains($0) }
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

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Yams

/// Reads `branding.yaml`.
struct BrandingParser {
    let sink: DiagnosticSink
    let directory: String

    static let keys = ["name", "short_name", "logo", "colors", "contact", "locale", "currency", "languages", "time_zone"]
    static let colorKeys = ["primary", "secondary", "accent", "text", "background"]
    static let contactKeys = ["email", "phone", "address", "web"]

    func parse(_ root: Node) -> Branding? {
        guard let reader = MappingReader(root, what: "the branding", sink: sink) else { return nil }
        reader.rejectUnknownKeys(allowed: Self.keys)
        let locale = reader.string("locale") ?? "en"
        let languages = parseLanguages(reader, locale: locale)
        let name = reader.text("name", required: true, languages: languages)
        let shortName = reader.text("short_name", languages: languages) ?? name
        let logo = reader.string("logo", required: true)
        if let logo {
            let safe = !logo.hasPrefix("/") && !logo.split(separator: "/").contains("..")
            var isDirectory = false
            let exists = FileManager.default.fileExists(atPath: directory + "/" + logo, isDirectory: &isDirectory)
            if !safe || !exists || isDirectory {
                sink.error(.missingLogo, at: reader.value("logo"), "logo file `\(logo.prefix(128))` was not found in the catalog directory",
                           hint: "put the logo (SVG or PNG) next to branding.yaml and give its name relative to the catalog directory")
            }
        }
        var colors: [String: HexColor] = [:]
        if let node = reader.value("colors", required: true), let colorReader = MappingReader(node, what: "colors", sink: sink) {
            colorReader.rejectUnknownKeys(allowed: Self.colorKeys)
            for key in Self.colorKeys {
                guard let text = colorReader.string(key, required: key == "primary") else { continue }
                if let color = HexColor(text) { colors[key] = color } else {
                    sink.error(.invalidColor, at: colorReader.value(key), "colour `\(key)` must be a hex colour like \"#1F4E79\"",
                               hint: "write # then 3 or 6 hex digits, in quotes")
                }
            }
        }
        var contact = Branding.Contact(email: nil, phone: nil, address: nil, web: nil)
        if let node = reader.value("contact", required: true), let c = MappingReader(node, what: "contact", sink: sink) {
            c.rejectUnknownKeys(allowed: Self.contactKeys)
            contact = Branding.Contact(email: c.string("email"), phone: c.string("phone"), address: c.string("address"), web: c.string("web"))
            if let email = contact.email, !email.contains("@") {
                sink.error(.invalidValue, at: c.value("email"), "contact email must be an email address")
            }
            if let web = contact.web, !web.hasPrefix("https://") {
                sink.error(.invalidValue, at: c.value("web"), "contact web address must start with https://")
            }
            if [contact.email, contact.phone, contact.address, contact.web].allSatisfy({ $0 == nil }) {
                sink.error(.missingKey, at: node, "contact needs at least one of email, phone, address, web")
            }
        }
        var currency = Currency(code: "EUR")
        if let code = reader.string("currency", required: true) {
            currency = Currency(code: code)
            if currency == nil {
                sink.error(.invalidCurrency, at: reader.value("currency"), "`\(code.prefix(16))` is not an ISO 4217 currency code",
                           hint: "use a three-letter code such as EUR, GBP or USD")
            }
        }
        var timeZone = Branding.defaultTimeZone
        if let zone = reader.string("time_zone") {
            if TimeZone(identifier: zone) != nil, zone.contains("/") || zone == "UTC" {
                timeZone = zone
            } else {
                sink.error(.invalidValue, at: reader.value("time_zone"), "`\(zone.prefix(64))` is not a time zone name",
                           hint: "write an IANA time zone such as Europe/Dublin or Europe/Budapest: dates and times are shown in it")
            }
        }
        colors["text"] = colors["text"] ?? Self.defaultText
        colors["background"] = colors["background"] ?? Self.defaultBackground
        if reader.has("colors") { checkContrast(colors, reader: reader) }
        guard let name, let logo, let currency else { return nil }
        return Branding(name: name, shortName: shortName ?? name, logoFile: logo, colors: colors, contact: contact,
                        locale: locale, currency: currency, languages: languages, timeZone: timeZone)
    }

    /// `languages: [hu, en]`, or the primary subtag of `locale` when absent (or unusable, after an error).
    private func parseLanguages(_ reader: MappingReader, locale: String) -> [String] {
        let fallback = [Branding.primaryLanguage(of: locale)]
        guard let nodes = reader.list("languages") else { return fallback }
        if nodes.isEmpty {
            sink.error(.invalidValue, at: reader.value("languages"), "`languages` lists no language",
                       hint: "list the languages every text is written in, the default first, e.g. `languages: [hu, en]`")
            return fallback
        }
        var languages: [String] = []
        for node in nodes {
            guard case let .scalar(scalar) = node, Branding.isLanguageCode(scalar.string) else {
                sink.error(.invalidValue, at: node, "each entry of `languages` must be a lower-case 2 or 3 letter language code",
                           hint: "write codes such as hu, en or de (ISO 639), without region: `languages: [hu, en]`")
                continue
            }
            if languages.contains(scalar.string) {
                sink.error(.invalidValue, at: node, "language `\(scalar.string)` is listed twice in `languages`", hint: "remove the second one")
                continue
            }
            languages.append(scalar.string)
        }
        return languages.isEmpty ? fallback : languages
    }

    /// The catalog's languages, read early so services can check their texts; silent (the full parse reports problems).
    static func languages(in root: Node?) -> [String] {
        guard case let .mapping(mapping)? = root else { return ["en"] }
        let fallback = [Branding.primaryLanguage(of: mapping["locale"]?.string ?? "en")]
        guard case let .sequence(sequence)? = mapping["languages"] else { return fallback }
        var languages: [String] = []
        for node in sequence {
            guard let code = node.string, Branding.isLanguageCode(code) else { continue }
            if !languages.contains(code) { languages.append(code) }
        }
        return languages.isEmpty ? fallback : languages
    }

    /// The default currency, read early so services can use it; silent (the full parse reports problems).
    static func currency(in root: Node?) -> Currency? {
        guard case let .mapping(mapping)? = root, let code = mapping["currency"]?.string else { return nil }
        return Currency(code: code)
    }
}

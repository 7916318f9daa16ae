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

    static let keys = ["name", "short_name", "logo", "colors", "contact", "locale", "currency"]
    static let colorKeys = ["primary", "secondary", "accent", "text", "background"]
    static let contactKeys = ["email", "phone", "address", "web"]

    func parse(_ root: Node) -> Branding? {
        guard let reader = MappingReader(root, what: "the branding", sink: sink) else { return nil }
        reader.rejectUnknownKeys(allowed: Self.keys)
        let name = reader.string("name", required: true)
        let shortName = reader.string("short_name") ?? name
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
        let locale = reader.string("locale") ?? "en"
        var currency = Currency(code: "EUR")
        if let code = reader.string("currency", required: true) {
            currency = Currency(code: code)
            if currency == nil {
                sink.error(.invalidCurrency, at: reader.value("currency"), "`\(code.prefix(16))` is not an ISO 4217 currency code",
                           hint: "use a three-letter code such as EUR, GBP or USD")
            }
        }
        guard let name, let logo, let currency else { return nil }
        return Branding(name: name, shortName: shortName ?? name, logoFile: logo, colors: colors, contact: contact,
                        locale: locale, currency: currency)
    }

    /// The default currency, read early so services can use it; silent (the full parse reports problems).
    static func currency(in root: Node?) -> Currency? {
        guard case let .mapping(mapping)? = root, let code = mapping["currency"]?.string else { return nil }
        return Currency(code: code)
    }
}

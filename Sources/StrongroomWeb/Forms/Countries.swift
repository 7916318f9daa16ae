import Foundation

/// The countries an address may be in, with their names in the portal's languages (ISO 3166-1 alpha-2 codes, as
/// the catalog stores them).
enum Countries {
    static let defaultCode = "IE"

    /// Code, English name, Hungarian name.
    static let all: [(code: String, en: String, hu: String)] = [
        ("AT", "Austria", "Ausztria"), ("BE", "Belgium", "Belgium"), ("BG", "Bulgaria", "Bulgária"), ("HR", "Croatia", "Horvátország"),
        ("CY", "Cyprus", "Ciprus"), ("CZ", "Czechia", "Csehország"), ("DK", "Denmark", "Dánia"), ("EE", "Estonia", "Észtország"),
        ("FI", "Finland", "Finnország"), ("FR", "France", "Franciaország"), ("DE", "Germany", "Németország"),
        ("GR", "Greece", "Görögország"), ("HU", "Hungary", "Magyarország"), ("IS", "Iceland", "Izland"), ("IE", "Ireland", "Írország"),
        ("IT", "Italy", "Olaszország"), ("LV", "Latvia", "Lettország"), ("LI", "Liechtenstein", "Liechtenstein"),
        ("LT", "Lithuania", "Litvánia"), ("LU", "Luxembourg", "Luxemburg"), ("MT", "Malta", "Málta"), ("NL", "Netherlands", "Hollandia"),
        ("NO", "Norway", "Norvégia"), ("PL", "Poland", "Lengyelország"), ("PT", "Portugal", "Portugália"), ("RO", "Romania", "Románia"),
        ("RS", "Serbia", "Szerbia"), ("SK", "Slovakia", "Szlovákia"), ("SI", "Slovenia", "Szlovénia"), ("ES", "Spain", "Spanyolország"),
        ("SE", "Sweden", "Svédország"), ("CH", "Switzerland", "Svájc"), ("UA", "Ukraine", "Ukrajna"),
        ("GB", "United Kingdom", "Egyesült Királyság"), ("US", "United States", "Amerikai Egyesült Államok"), ("CA", "Canada", "Kanada"),
    ]

    static func name(_ code: String, language: String) -> String {
        guard let entry = all.first(where: { $0.code == code }) else { return code }
        return language == "hu" ? entry.hu : entry.en
    }

    /// The entries sorted by name in each language, once (accents folded, so Írország sorts with the I's).
    static let sorted: [String: [(code: String, name: String)]] = {
        func key(_ name: String) -> String { name.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil) }
        return [
            "hu": all.map { ($0.code, $0.hu) }.sorted { key($0.1) < key($1.1) },
            "en": all.map { ($0.code, $0.en) }.sorted { key($0.1) < key($1.1) },
        ]
    }()

    /// The `<option>` elements of the country select, built here (every value escaped) rather than by the template:
    /// three dozen template sections per address field were most of a form page's rendering time.
    static func optionsHTML(language: String, chosen: String) -> String {
        let options = optionElements[language] ?? optionElements["en"]!
        var html = ""
        html.reserveCapacity(options.reduce(0) { $0 + $1.html.utf8.count } + 64)
        var found = false
        for option in options {
            if option.code == chosen {
                html += option.selected
                found = true
            } else {
                html += option.html
            }
        }
        // A stored code outside the list (an older catalog) is kept, so saving the form does not change it.
        if !found, chosen.count == 2 {
            let code = PlainText.escape(chosen)
            html += "<option value=\"\(code)\" selected>\(code)</option>"
        }
        return html
    }

    /// Per language, each country's `<option>` element, plain and selected, built once.
    private static let optionElements: [String: [(code: String, html: String, selected: String)]] = sorted.mapValues { entries in
        entries.map { entry in
            let value = PlainText.escape(entry.code), label = PlainText.escape(entry.name)
            return (entry.code, "<option value=\"\(value)\">\(label)</option>", "<option value=\"\(value)\" selected>\(label)</option>")
        }
    }
}

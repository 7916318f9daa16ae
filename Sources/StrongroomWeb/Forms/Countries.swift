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
        var html = ""
        for option in list(language: language, chosen: chosen) {
            let value = PlainText.escape(option["value"] as? String ?? "")
            let label = PlainText.escape(option["label"] as? String ?? "")
            html += "<option value=\"\(value)\"" + ((option["selected"] as? Bool) == true ? " selected" : "") + ">\(label)</option>"
        }
        return html
    }

    /// Options for a select, sorted by name in `language`, with `chosen` selected (kept even when not in the list).
    static func list(language: String, chosen: String) -> [[String: Any]] {
        var entries = sorted[language] ?? sorted["en"]!
        if !entries.contains(where: { $0.code == chosen }), chosen.count == 2 { entries.append((chosen, chosen)) }
        return entries.map { ["value": $0.code, "label": $0.name, "selected": $0.code == chosen] }
    }
}

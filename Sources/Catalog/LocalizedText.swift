/// A human-readable catalog text in the catalog's languages.
///
/// Written in YAML either as a plain string (the same text in every language) or as a mapping of language code to
/// text. ``defaultText`` is the text in the catalog's default language (the first of `languages` in branding.yaml).
///
/// ```swift
/// let title = LocalizedText("Lakcímváltozás bejelentése", translations: ["hu": "Lakcímváltozás bejelentése", "en": "Change of address"])
/// title.text(in: "en-IE") // "Change of address"
/// title.text(in: "de")    // "Lakcímváltozás bejelentése"
/// ```
public struct LocalizedText: Sendable, Hashable {
    /// The text in the catalog's default language.
    public let defaultText: String
    /// Text by lower-case BCP 47 primary language subtag (`hu`, `en`); empty for a plain, untranslated string.
    public let translations: [String: String]

    /// A text; `translations` are keyed by lower-case language code.
    public init(_ text: String, translations: [String: String] = [:]) {
        defaultText = text
        self.translations = translations
    }

    /// The text in `language` (a BCP 47 tag such as `hu` or `en-IE`): the exact tag, else its primary subtag,
    /// else ``defaultText``.
    public func text(in language: String) -> String {
        let tag = language.lowercased()
        if let exact = translations[tag] { return exact }
        if let primary = tag.split(whereSeparator: { $0 == "-" || $0 == "_" }).first, let text = translations[String(primary)] {
            return text
        }
        return defaultText
    }

    /// Whether the text was written per language (a mapping) rather than once for all.
    public var isTranslated: Bool { !translations.isEmpty }
}

extension Optional where Wrapped == LocalizedText {
    /// The text in `language`, or `nil` when there is no text.
    func text(in language: String) -> String? { self.map { $0.text(in: language) } }
}

import Yams

extension MappingReader {
    /// A human-readable text: a plain string (the same in every language, reported as not translated when the
    /// catalog has more than one language) or a mapping of language code to text with exactly one entry for each of
    /// `languages`. The first of `languages` is the default language.
    func text(_ key: String, required: Bool = false, languages: [String]) -> LocalizedText? {
        guard let node = value(key, required: required) else { return nil }
        guard case let .mapping(mapping) = node else {
            guard let plain = string(key) else { return nil }
            if languages.count > 1 {
                sink.warning(.untranslatedText, at: node, "`\(key)` in \(what) is not translated: same text shown in every language",
                             hint: "write it as a mapping with one line per language (\(languages.map { "\($0): …" }.joined(separator: ", ")))")
            }
            return LocalizedText(plain)
        }
        let listed = languages.joined(separator: ", ")
        var translations: [String: String] = [:]
        var seen: Set<String> = []
        var first: String?
        // Any text at all, so a mapping with only unknown languages reports that and not also a missing key.
        var fallback: String?
        for (keyNode, valueNode) in mapping {
            let code = keyNode.string ?? ""
            if case let .scalar(scalar) = valueNode, fallback == nil { fallback = scalar.string }
            guard languages.contains(code) else {
                sink.error(.unknownLanguage, at: keyNode, "`\(key)` in \(what) has a text in `\(code.prefix(16))`, which is not one of the catalog's languages (\(listed))",
                           hint: Branding.isLanguageCode(code) ? "add `\(code)` to `languages` in branding.yaml, or remove this line" : "language keys are lower-case codes from `languages` in branding.yaml: \(listed)")
                continue
            }
            seen.insert(code)
            guard case let .scalar(scalar) = valueNode,
                  !(scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)) else {
                sink.error(.invalidValue, at: valueNode, "the `\(code)` text of `\(key)` in \(what) must be a single text value",
                           hint: "write `\(code): text` on one line, or quote it")
                continue
            }
            translations[code] = scalar.string
            if first == nil { first = scalar.string }
        }
        for language in languages where !seen.contains(language) {
            sink.error(.missingTranslation, at: node, "`\(key)` in \(what) has no `\(language)` text",
                       hint: "add a line `\(language): …` under `\(key)`; every language in branding.yaml needs one")
        }
        guard let defaultText = languages.first.flatMap({ translations[$0] }) ?? first ?? fallback else { return nil }
        return LocalizedText(defaultText, translations: translations)
    }
}

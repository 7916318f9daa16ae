import Foundation
import StrongroomWeb
import Testing
import Yams

/// The message files and templates as shipped: complete in every language, and templates that cannot inject.
@Suite struct ResourceFileTests {
    static func bundles() throws -> [MessageBundle] {
        let directory = WebFixture.webSources + "/Messages"
        return try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") }.sorted().map {
            try MessageBundle(yaml: String(contentsOfFile: directory + "/" + $0, encoding: .utf8), file: $0)
        }
    }

    static func templates() throws -> [(name: String, text: String)] {
        let directory = WebFixture.webSources + "/Templates"
        return try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".mustache") }.sorted().map {
            ($0, try String(contentsOfFile: directory + "/" + $0, encoding: .utf8))
        }
    }

    @Test func hungarianAndEnglishShip() throws {
        let languages = try Self.bundles().map(\.language)
        #expect(languages.contains("hu"))
        #expect(languages.contains("en"))
    }

    @Test func everyKeyAndEveryPluralCategoryExistsInEveryLanguage() throws {
        let bundles = try Self.bundles()
        let allTexts = Set(bundles.flatMap { $0.texts.keys })
        let allPlurals = Set(bundles.flatMap { $0.plurals.keys })
        for bundle in bundles {
            let missing = allTexts.subtracting(bundle.texts.keys).sorted()
            #expect(missing.isEmpty, "\(bundle.language) lacks \(missing)")
            let missingPlurals = allPlurals.subtracting(bundle.plurals.keys).sorted()
            #expect(missingPlurals.isEmpty, "\(bundle.language) lacks plural messages \(missingPlurals)")
            for (key, forms) in bundle.plurals {
                let lacking = Set(bundle.pluralCategories).subtracting(forms.keys)
                #expect(lacking.isEmpty, "\(bundle.language) \(key) lacks plural categories \(lacking.sorted())")
            }
        }
    }

    @Test func placeholdersAgreeAcrossLanguages() throws {
        let bundles = try Self.bundles()
        func placeholders(_ text: String) -> Set<String> {
            var names: Set<String> = []
            var rest = Substring(text)
            while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
                names.insert(String(rest[rest.index(after: open)..<close]))
                rest = rest[rest.index(after: close)...]
            }
            return names
        }
        guard let english = bundles.first(where: { $0.language == "en" }) else { Issue.record("no English"); return }
        for bundle in bundles where bundle.language != "en" {
            for (key, text) in english.texts {
                guard let other = bundle.texts[key] else { continue }
                #expect(placeholders(other) == placeholders(text), "\(bundle.language) \(key)")
            }
        }
    }

    @Test func templatesOnlyUseTripleMustachesForServerBuiltHTML() throws {
        for (name, text) in try Self.templates() {
            var rest = Substring(text)
            while let range = rest.range(of: "{{{") {
                let key = rest[range.upperBound...].prefix { $0 != "}" }
                #expect(key.hasSuffix("_html"), "\(name): {{{\(key)}}} is unescaped; only server-built *_html values may be")
                rest = rest[range.upperBound...]
            }
            #expect(!text.contains("{{&"), "\(name) uses {{& (unescaped)")
            #expect(!text.contains("<script>"), "\(name) has an inline script")
            #expect(!text.contains(" style=\""), "\(name) has an inline style")
            #expect(!text.contains(" on") || !text.contains("=\"javascript"), "\(name)")
        }
    }

    @Test func everyMessageATemplateNamesExists() throws {
        let english = try #require(try Self.bundles().first { $0.language == "en" })
        for (name, text) in try Self.templates() {
            var rest = Substring(text)
            while let range = rest.range(of: "{{t.") {
                let key = String(rest[range.upperBound...].prefix { $0 != "}" })
                #expect(english.texts[key] != nil, "\(name) names t.\(key), which en.yaml lacks")
                rest = rest[range.upperBound...]
            }
        }
    }

    @Test func pluralRulesFollowCLDR() {
        #expect(PluralRules.category(of: 1, language: "hu") == "one")
        #expect(PluralRules.category(of: 0, language: "hu") == "other")
        #expect(PluralRules.category(of: 2, language: "en") == "other")
        #expect(PluralRules.category(of: 1, language: "en") == "one")
        #expect(PluralRules.category(of: 0, language: "fr") == "one")
    }

    @Test func aBrokenMessageFileIsRefusedWithTheKey() {
        #expect(throws: MessageFileError.self) { try MessageBundle(yaml: "language: xx\nname: X\nplural_categories: [one, other]\nmessages:\n  a:\n    b: [1, 2]\n", file: "xx.yaml") }
        #expect(throws: MessageFileError.self) { try MessageBundle(yaml: "language: xx\nname: X\nplural_categories: [lots]\nmessages: {}\n", file: "xx.yaml") }
        #expect(throws: MessageFileError.self) { try MessageBundle(yaml: "- not a mapping", file: "xx.yaml") }
    }
}

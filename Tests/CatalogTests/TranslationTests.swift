import Testing
@testable import Catalog

/// Texts in several languages: plain strings and language mappings, `languages` in branding, completeness checks.
@Suite struct TranslationTests {
    /// A bilingual service (for the sample's `languages: [hu, en]`); tests break one line of it at a time.
    static let base = """
        id: demo-service
        title:
          hu: Bemutató
          en: Demo
        description:
          hu: Egy rövid leírás.
          en: A short description.
        needs:
          hu: Semmi.
          en: Nothing.
        duration:
          hu: Körülbelül 1 perc
          en: About 1 minute
        version: 1
        retention: 1y
        fields:
          - id: size
            label:
              hu: Méret
              en: Size
            help:
              hu: Válasszon egyet.
              en: Pick one.
            type: choice
            sensitivity: public
            options:
              - value: small
                label:
                  hu: Kicsi
                  en: Small
          - id: code
            label:
              hu: Kód
              en: Code
            type: text
            sensitivity: personal
            validation:
              pattern: '[0-9]{5}'
              pattern_description:
                hu: 5 számjegyű kód
                en: a 5-digit code
        rules:
          - id: no-nines
            outcome: reject
            reason:
              hu: A kód nem kezdődhet 9-cel.
              en: The code must not start with 9.
            when:
              field: code
              matches: '^9'
        """

    @Test func mappingsGiveEveryLanguageAndTheDefaultIsTheFirst() throws {
        let (catalog, diagnostics) = Fixtures.loadTranslatedService(Self.base)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let service = try #require(catalog?.service("demo-service"))
        #expect(service.title == "Bemutató" && service.title(in: "en") == "Demo" && service.title(in: "hu") == "Bemutató")
        #expect(service.description(in: "en") == "A short description." && service.description == "Egy rövid leírás.")
        #expect(service.needs(in: "en") == "Nothing." && service.needs == "Semmi.")
        #expect(service.duration(in: "en-GB") == "About 1 minute" && service.duration(in: "de") == "Körülbelül 1 perc")
        let size = try #require(service.field("size"))
        #expect(size.label == "Méret" && size.label(in: "en") == "Size")
        #expect(size.help(in: "en") == "Pick one." && size.help == "Válasszon egyet.")
        #expect(size.constraints.options.first?.label(in: "en") == "Small" && size.constraints.options.first?.label == "Kicsi")
        let code = try #require(service.field("code"))
        #expect(code.patternDescription(in: "en") == "a 5-digit code")
        #expect(code.constraints.pattern?.description(in: "hu") == "5 számjegyű kód")
        #expect(code.constraints.pattern?.description == "5 számjegyű kód")
        #expect(code.help(in: "en") == nil)
        let rule = try #require(service.rules.first)
        #expect(rule.outcome == .reject(reason: "A kód nem kezdődhet 9-cel."))
        #expect(rule.reason(in: "en") == "The code must not start with 9.")
    }

    @Test func validationMessagesUseTheEnglishTexts() throws {
        let service = try #require(Fixtures.loadTranslatedService(Self.base).0?.service("demo-service"))
        #expect(throws: CatalogError.self) { try service.validate(["code": .string("12")], partial: true, today: Fixtures.today) }
        do {
            _ = try service.validate(["code": .string("12")], partial: true, today: Fixtures.today)
        } catch {
            #expect(error.fieldIssues.first?.message == "Code must match the pattern for a 5-digit code")
        }
    }

    @Test func plainStringsAreTheSameInEveryLanguageWithAWarning() throws {
        let plain = Self.base.replacingFirst("title:\n  hu: Bemutató\n  en: Demo", with: "title: Demo")
        let (catalog, diagnostics) = Fixtures.loadTranslatedService(plain)
        let service = try #require(catalog?.service("demo-service"))
        #expect(service.title == "Demo" && service.title(in: "hu") == "Demo" && service.title(in: "en") == "Demo")
        #expect(diagnostics.map(\.kind) == [.untranslatedText])
        let warning = try #require(diagnostics.first)
        #expect(warning.severity == .warning)
        #expect(warning.location == SourceLocation(file: "svc.yaml", line: 2, column: 8))
        #expect(warning.message.contains("not translated: same text shown in every language"))
        #expect(CatalogCheck(diagnostics: diagnostics, catalog: catalog, directory: "x").passed)
        // With one language there is nothing to translate: no warning.
        let (_, single) = Fixtures.loadService(plain.replacingFirst("description:\n  hu: Egy rövid leírás.\n  en: A short description.", with: "description: x"))
        #expect(single.allSatisfy { $0.kind != .untranslatedText })
    }

    @Test func anOptionWithoutALabelIsUntranslated() throws {
        let bare = Self.base.replacingFirst("      - value: small\n        label:\n          hu: Kicsi\n          en: Small", with: "      - small")
        let (catalog, diagnostics) = Fixtures.loadTranslatedService(bare)
        #expect(catalog != nil)
        #expect(diagnostics.map(\.kind) == [.untranslatedText] && diagnostics.first?.location.line == 27)
    }

    @Test func aMissingLanguageIsAnErrorAtTheMapping() throws {
        let missing = Self.base.replacingFirst("      hu: Méret\n", with: "")
        let (catalog, diagnostics) = Fixtures.loadTranslatedService(missing)
        #expect(catalog == nil)
        let error = try #require(diagnostics.first)
        #expect(diagnostics.count == 1 && error.kind == .missingTranslation && error.severity == .error)
        #expect(error.location == SourceLocation(file: "svc.yaml", line: 19, column: 7))
        #expect(error.message.contains("no `hu` text"))
        #expect(error.description.hasPrefix("svc.yaml:19:7: error: `label` in field `size` has no `hu` text"))
    }

    @Test func aLanguageNotListedIsAnErrorAtItsKey() throws {
        let extra = Self.base.replacingFirst("  en: Demo\n", with: "  en: Demo\n  de: Vorführung\n")
        let (catalog, diagnostics) = Fixtures.loadTranslatedService(extra)
        #expect(catalog == nil)
        #expect(diagnostics.map(\.kind) == [.unknownLanguage])
        #expect(diagnostics.first?.location == SourceLocation(file: "svc.yaml", line: 5, column: 3))
        #expect(diagnostics.first?.message.contains("`de`") == true)
        #expect(diagnostics.first?.hint?.contains("add `de` to `languages`") == true)
        // A null text is reported as such, not also as missing.
        let empty = Self.base.replacingFirst("  en: Demo\n", with: "  en:\n")
        #expect(Fixtures.loadTranslatedService(empty).1.map(\.kind) == [.invalidValue])
    }

    @Test func reasonsInEveryLanguageAndOnlyOnRejections() throws {
        let approve = Self.base.replacingFirst("outcome: reject", with: "outcome: approve")
        #expect(Fixtures.loadTranslatedService(approve).1.map(\.kind) == [.invalidValue])
        let missing = Self.base.replacingFirst("      en: The code must not start with 9.\n", with: "")
        #expect(Fixtures.loadTranslatedService(missing).1.map(\.kind) == [.missingTranslation])
    }

    @Test func textFallsBackToThePrimarySubtagThenTheDefault() {
        let text = LocalizedText("Szia", translations: ["hu": "Szia", "en": "Hello", "pt-br": "Olá"])
        #expect(text.text(in: "en") == "Hello")
        #expect(text.text(in: "en-IE") == "Hello")
        #expect(text.text(in: "EN_gb") == "Hello")
        #expect(text.text(in: "pt-BR") == "Olá")
        #expect(text.text(in: "pt") == "Szia")
        #expect(text.text(in: "de") == "Szia")
        #expect(text.text(in: "") == "Szia")
        #expect(LocalizedText("Same").text(in: "hu") == "Same")
        #expect(!LocalizedText("Same").isTranslated && text.isTranslated)
    }

    struct LanguagesCase: Sendable, CustomTestStringConvertible {
        let languages: String
        let message: String?
        let expected: [String]
        var testDescription: String { languages }
    }

    @Test(arguments: [
        LanguagesCase(languages: "[hu, en]", message: nil, expected: ["hu", "en"]),
        LanguagesCase(languages: "[en]", message: nil, expected: ["en"]),
        LanguagesCase(languages: "[hu, HU]", message: "lower-case 2 or 3 letter", expected: ["hu"]),
        LanguagesCase(languages: "[hu, en-IE]", message: "lower-case 2 or 3 letter", expected: ["hu"]),
        LanguagesCase(languages: "[hu, english]", message: "lower-case 2 or 3 letter", expected: ["hu"]),
        LanguagesCase(languages: "[hu, en, hu]", message: "listed twice", expected: ["hu", "en"]),
        LanguagesCase(languages: "[]", message: "lists no language", expected: ["en"]),
        LanguagesCase(languages: "hu", message: "must be a list", expected: ["en"]),
    ])
    func languagesAreValidated(_ c: LanguagesCase) throws {
        let branding = Fixtures.branding.replacingFirst("currency: EUR", with: "currency: EUR\nlanguages: \(c.languages)")
        let (catalog, diagnostics) = CatalogLoader.load(files: ["branding.yaml": branding], directory: Fixtures.sampleDirectory)
        let errors = diagnostics.filter { $0.severity == .error }
        if let message = c.message {
            #expect(catalog == nil)
            let error = try #require(errors.first)
            #expect(errors.count == 1 && error.message.contains(message), "\(errors)")
            #expect(error.location.file == "branding.yaml" && error.location.line == 18 && error.location.column > 0)
        } else {
            #expect(errors.isEmpty, "\(errors)")
            #expect(catalog?.branding.languages == c.expected)
        }
    }

    @Test func withoutLanguagesTheLocaleDecides() throws {
        let (catalog, _) = CatalogLoader.load(files: ["branding.yaml": Fixtures.branding], directory: Fixtures.sampleDirectory)
        #expect(catalog?.branding.languages == ["en"])
        let irish = Fixtures.branding.replacingFirst("locale: en-IE", with: "locale: ga-IE")
        #expect(CatalogLoader.load(files: ["branding.yaml": irish], directory: Fixtures.sampleDirectory).0?.branding.languages == ["ga"])
        #expect(Branding.primaryLanguage(of: "EN_us") == "en" && Branding.primaryLanguage(of: "x") == "en")
    }

    @Test func brandingNamesAreTranslated() throws {
        let branding = try Fixtures.sampleCatalog().branding
        #expect(branding.defaultLanguage == "hu")
        #expect(branding.name(in: "en") == "Northhaven Municipal Services")
        #expect(branding.shortName(in: "hu") == "Northhaven" && branding.shortName == "Northhaven")
        let missing = Fixtures.sampleBranding.replacingFirst("  en: Northhaven Municipal Services\n", with: "")
        let (catalog, diagnostics) = CatalogLoader.load(files: ["branding.yaml": missing], directory: Fixtures.sampleDirectory)
        #expect(catalog == nil)
        #expect(diagnostics.first { $0.kind == .missingTranslation }?.location.file == "branding.yaml")
    }

    /// Every text of the sample catalog is written in Hungarian and English.
    @Test func theSampleIsTranslatedIntoEveryLanguage() throws {
        let catalog = try Fixtures.sampleCatalog()
        var texts: [(String, LocalizedText)] = [("branding name", catalog.branding.nameText),
                                                ("branding short_name", catalog.branding.shortNameText)]
        for service in catalog.services.values {
            texts += [("\(service.id) title", service.titleText), ("\(service.id) description", service.descriptionText)]
            let needs = try #require(service.needsText, "\(service.id) has no needs")
            let duration = try #require(service.durationText, "\(service.id) has no duration")
            texts += [("\(service.id) needs", needs), ("\(service.id) duration", duration)]
            for field in service.allFieldDefinitions {
                texts.append(("\(service.id).\(field.id) label", field.labelText))
                if let help = field.helpText { texts.append(("\(service.id).\(field.id) help", help)) }
                if let pattern = field.constraints.pattern {
                    texts.append(("\(service.id).\(field.id) pattern", try #require(pattern.descriptionText)))
                }
                for option in field.constraints.options { texts.append(("\(service.id).\(field.id)=\(option.value)", option.labelText)) }
            }
            for rule in service.rules {
                if case .reject = rule.outcome { texts.append(("\(service.id) rule \(rule.id)", try #require(rule.reasonText))) }
            }
        }
        #expect(texts.count > 80)
        for (what, text) in texts {
            #expect(Set(text.translations.keys) == ["hu", "en"], "\(what)")
            #expect(text.translations.values.allSatisfy { !$0.isEmpty }, "\(what)")
            #expect(text.defaultText == text.translations["hu"], "\(what)")
        }
    }
}

import Testing
@testable import Catalog

@Suite struct LoaderErrorTests {
    /// A valid minimal service; tests break one line of it at a time.
    static let base = """
        id: demo-service
        title: Demo
        version: 1
        retention: 1y
        fields:
          - id: email
            label: Email
            type: email
            sensitivity: personal
            searchable: true
          - id: postcode
            label: Postcode
            type: text
            sensitivity: personal
            validation:
              pattern: '[0-9]{5}'
        rules:
          - id: ok
            outcome: approve
            when:
              field: postcode
              matches: '^4'
        """

    @Test func baseLoadsCleanly() {
        let (catalog, diagnostics) = Fixtures.loadService(Self.base)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        #expect(catalog?.service("demo-service") != nil)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let replace: String
        let with: String
        let kind: CatalogDiagnostic.Kind
        let line: Int
        let column: Int
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "unknown service key", replace: "version: 1", with: "verison: 1", kind: .unknownKey, line: 3, column: 1),
        Case(name: "unknown field key", replace: "    label: Email", with: "    lable: Email", kind: .unknownKey, line: 7, column: 5),
        Case(name: "bad regex", replace: "'[0-9]{5}'", with: "'[0-9'", kind: .invalidPattern, line: 16, column: 16),
        Case(name: "searchable public", replace: "    sensitivity: personal\n    searchable: true",
             with: "    sensitivity: public\n    searchable: true", kind: .searchableNotAllowed, line: 10, column: 5),
        Case(name: "rule unknown field", replace: "      field: postcode", with: "      field: zipcode", kind: .unknownRuleField, line: 21, column: 14),
        Case(name: "rule type mismatch", replace: "      matches: '^4'", with: "      at_least: 4", kind: .ruleTypeMismatch, line: 22, column: 17),
        Case(name: "bad retention", replace: "retention: 1y", with: "retention: forever", kind: .invalidValue, line: 4, column: 12),
        Case(name: "decide_within in months", replace: "retention: 1y", with: "retention: 1y\ndecide_within: 2m", kind: .invalidValue, line: 5, column: 16),
        Case(name: "decide_within not a period", replace: "retention: 1y", with: "retention: 1y\ndecide_within: soon", kind: .invalidValue, line: 5, column: 16),
        Case(name: "decide_within over a year", replace: "retention: 1y", with: "retention: 1y\ndecide_within: 400d", kind: .invalidValue, line: 5, column: 16),
        Case(name: "decision reason outcome", replace: "retention: 1y",
             with: "retention: 1y\ndecision_reasons:\n  - id: ok\n    outcome: maybe\n    text: Fine", kind: .invalidValue, line: 7, column: 14),
        Case(name: "decision reason id not kebab", replace: "retention: 1y",
             with: "retention: 1y\ndecision_reasons:\n  - id: Not_Kebab\n    outcome: approve\n    text: Fine", kind: .invalidValue, line: 6, column: 9),
        Case(name: "decision reason twice", replace: "retention: 1y",
             with: "retention: 1y\ndecision_reasons:\n  - id: ok\n    outcome: approve\n    text: Fine\n  - id: ok\n    outcome: reject\n    text: No",
             kind: .invalidValue, line: 9, column: 9),
        Case(name: "decision reason unknown key", replace: "retention: 1y",
             with: "retention: 1y\ndecision_reasons:\n  - id: ok\n    outcome: approve\n    wording: Fine", kind: .unknownKey, line: 8, column: 5),
        Case(name: "bad field type", replace: "    type: email", with: "    type: emial", kind: .invalidValue, line: 8, column: 11),
        Case(name: "missing title", replace: "title: Demo\n", with: "", kind: .missingKey, line: 1, column: 1),
        Case(name: "yaml syntax", replace: "title: Demo", with: "title: [Demo", kind: .yamlSyntax, line: 3, column: 8),
        Case(name: "service id not kebab", replace: "id: demo-service", with: "id: Demo_Service", kind: .invalidValue, line: 1, column: 5),
        Case(name: "retype without bump", replace: "    searchable: true\n",
             with: "    searchable: true\n    history:\n      - since: 1\n        type: text\n", kind: .versioning, line: 12, column: 16),
        Case(name: "bad fee currency", replace: "retention: 1y", with: "retention: 1y\nfee:\n  amount: \"5.00\"\n  currency: EUX\n  due: on_submission",
             kind: .invalidCurrency, line: 7, column: 13),
    ]

    @Test(arguments: cases)
    func reportsKindAtExactPosition(_ testCase: Case) throws {
        #expect(Self.base.contains(testCase.replace))
        let yaml = Self.base.replacingFirst(testCase.replace, with: testCase.with)
        let (catalog, diagnostics) = Fixtures.loadService(yaml, name: "demo.yaml")
        #expect(catalog == nil)
        let hit = diagnostics.first { $0.kind == testCase.kind }
        let found = try #require(hit, "\(diagnostics)")
        #expect(found.location.file == "demo.yaml")
        #expect(found.location.line == testCase.line, "\(found)")
        #expect(found.location.column == testCase.column, "\(found)")
        #expect(found.hint != nil)
    }

    @Test func collectsEveryErrorNotJustTheFirst() {
        let yaml = Self.base
            .replacingFirst("version: 1", with: "verison: 1")
            .replacingFirst("'[0-9]{5}'", with: "'(['")
            .replacingFirst("      field: postcode", with: "      field: zipcode")
        let (_, diagnostics) = Fixtures.loadService(yaml)
        #expect(Set(diagnostics.map(\.kind)) == [.unknownKey, .invalidPattern, .unknownRuleField])
        #expect(diagnostics.map(\.location.line) == [3, 16, 21])
    }

    @Test func duplicateYAMLKeysAndHostileYAMLAreErrors() {
        let duplicate = Self.base.replacingFirst("title: Demo", with: "title: Demo\ntitle: Again")
        let found = Fixtures.loadService(duplicate, name: "demo.yaml").1
        #expect(found.map(\.kind) == [.yamlSyntax])
        #expect(found.first?.message.contains("title") == true)
        #expect(found.first.map { $0.location.line > 0 } == true)
        for hostile in [String(repeating: "[", count: 200_000), String(repeating: "- ", count: 50_000) + "x",
                        "a: &x [1]\nb: *x\nc: *y", "\u{FEFF}id: x", "---\n...\n---\n"] {
            let (catalog, diagnostics) = Fixtures.loadService(hostile)
            #expect(catalog == nil)
            #expect(!diagnostics.isEmpty)
        }
    }

    @Test func duplicateServiceAndFieldIDs() {
        let duplicateField = Self.base.replacingFirst("  - id: postcode", with: "  - id: email")
        let (_, diagnostics) = CatalogLoader.load(
            files: ["branding.yaml": Fixtures.branding, "a.yaml": Self.base, "b.yaml": duplicateField],
            directory: Fixtures.sampleDirectory)
        let service = diagnostics.first { $0.kind == .duplicateServiceID }
        #expect(service?.location == SourceLocation(file: "b.yaml", line: 1, column: 5))
        let field = diagnostics.first { $0.kind == .duplicateFieldID }
        #expect(field?.location == SourceLocation(file: "b.yaml", line: 11, column: 9))
    }

    @Test func brandingErrors() {
        let branding = Fixtures.branding
            .replacingFirst("logo: logo.svg", with: "logo: missing.svg")
            .replacingFirst("primary: \"#1F4E79\"", with: "primary: \"#1F4E7\"")
            .replacingFirst("currency: EUR", with: "currency: EURO")
            .replacingFirst("locale: en-IE", with: "locale: en-IE\nmotto: hi")
        let (catalog, diagnostics) = CatalogLoader.load(files: ["branding.yaml": branding, "a.yaml": Self.base],
                                                        directory: Fixtures.sampleDirectory)
        #expect(catalog == nil)
        let byKind = Dictionary(diagnostics.map { ($0.kind, $0.location.line) }) { a, _ in a }
        #expect(byKind[.missingLogo] == 4)
        #expect(byKind[.invalidColor] == 6)
        #expect(byKind[.unknownKey] == 17)
        #expect(byKind[.invalidCurrency] == 18)
    }

    @Test func unquotedColourGetsAHint() {
        let branding = Fixtures.branding.replacingFirst("primary: \"#1F4E79\"", with: "primary: #1F4E79")
        let (_, diagnostics) = CatalogLoader.load(files: ["branding.yaml": branding], directory: Fixtures.sampleDirectory)
        #expect(diagnostics.contains { $0.location.line == 6 && ($0.hint ?? "").contains("quote") })
    }

    @Test func missingBrandingAndUnreadableDirectory() {
        let (_, diagnostics) = CatalogLoader.load(files: ["a.yaml": Self.base], directory: Fixtures.sampleDirectory)
        #expect(diagnostics.contains { $0.kind == .missingBranding })
        #expect(throws: CatalogError.unreadableDirectory("")) {
            try CatalogLoader.load(directory: "/nonexistent/catalog")
        }
        #expect(!CatalogCheck.run(directory: "/nonexistent/catalog").passed)
    }

    @Test func renderListsFileLineAndHint() {
        let (_, diagnostics) = Fixtures.loadService(Self.base.replacingFirst("version: 1", with: "verison: 1"), name: "demo.yaml")
        let text = CatalogCheck(diagnostics: diagnostics, catalog: nil, directory: "Catalog").render()
        #expect(text.contains("demo.yaml:3:1: error: unknown key `verison`"))
        #expect(text.contains("did you mean `version`?"))
        #expect(text.contains("1 error(s)"))
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}

/// A fee of the amount the citizen enters (`amount_field`): what it must name, and every way to get it wrong.
@Suite struct EnteredFeeTests {
    static func service(fee: String) -> String {
        """
        id: tax-payment
        title: Pay a tax
        version: 1
        retention: 10y
        fee:
        \(fee.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        fields:
          - id: total
            label: Amount on your notice
            type: money
            currency: EUR
            required: true
            sensitivity: personal
          - id: tip
            label: A donation
            type: money
            currency: EUR
            sensitivity: personal
          - id: pounds
            label: Amount in pounds
            type: money
            currency: GBP
            required: true
            sensitivity: personal
          - id: email
            label: Email
            type: email
            required: true
            sensitivity: personal
        """
    }

    @Test func aRequiredMoneyFieldInTheFeesCurrencyIsCharged() throws {
        let (catalog, diagnostics) = Fixtures.loadService(Self.service(fee: "amount_field: total\ncurrency: EUR\ndue: on_submission"))
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let fee = try #require(catalog?.service("tax-payment")?.fee)
        let euros = try #require(Currency(code: "EUR")), pounds = try #require(Currency(code: "GBP"))
        #expect(fee.amount == .entered(field: "total", currency: euros) && fee.chargesEnteredAmount && fee.currency == euros)
        #expect(fee.amountDue(for: ["total": .money(Money(minorUnits: 31_415, currency: euros))]) == Money(minorUnits: 31_415, currency: euros))
        #expect(fee.amountDue(for: ["total": .money(Money(minorUnits: 31_415, currency: pounds))]) == nil)
        #expect(fee.amountDue(for: ["total": .money(Money(minorUnits: 0, currency: euros))]) == nil)
        #expect(fee.amountDue(for: ["total": .text("314.15")]) == nil)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let fee: String
        let message: String
        /// Line and column in the service file (the fee block starts on line 6).
        let line: Int
        let column: Int
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "both amount and amount_field", fee: "amount: \"5.00\"\namount_field: total\ncurrency: EUR\ndue: on_submission",
             message: "both `amount` and `amount_field`", line: 7, column: 3),
        Case(name: "neither", fee: "currency: EUR\ndue: on_submission", message: "no `amount`", line: 6, column: 3),
        Case(name: "not a field", fee: "amount_field: totl\ncurrency: EUR\ndue: on_submission", message: "not a field", line: 6, column: 17),
        Case(name: "not money", fee: "amount_field: email\ncurrency: EUR\ndue: on_submission", message: "of type email", line: 6, column: 17),
        Case(name: "optional", fee: "amount_field: tip\ncurrency: EUR\ndue: on_submission", message: "optional", line: 6, column: 17),
        Case(name: "another currency", fee: "amount_field: pounds\ncurrency: EUR\ndue: on_submission", message: "in GBP", line: 6, column: 17),
        Case(name: "on approval", fee: "amount_field: total\ncurrency: EUR\ndue: on_approval", message: "charged on submission", line: 8, column: 8),
    ]

    @Test(arguments: cases)
    func mistakesAreReportedAtTheirLine(_ testCase: Case) throws {
        let (catalog, diagnostics) = Fixtures.loadService(Self.service(fee: testCase.fee), name: "tax.yaml")
        #expect(catalog == nil)
        let found = try #require(diagnostics.first { $0.message.contains(testCase.message) }, "\(diagnostics)")
        #expect(found.severity == .error && found.hint != nil)
        #expect(found.location.file == "tax.yaml")
        #expect(found.location.line == testCase.line && found.location.column == testCase.column, "\(found)")
    }
}

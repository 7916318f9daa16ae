import Testing
@testable import Catalog

/// Catalog patterns that could backtrack catastrophically (ReDoS) are refused at load; ordinary ones load; the
/// check reads any pattern without crashing.
@Suite struct PatternSafetyTests {
    struct Dangerous: Sendable, CustomTestStringConvertible {
        let pattern: String
        let reason: PatternRefusal.Reason
        var testDescription: String { pattern }
    }

    /// Each of these takes exponential time (or the check cannot tell) on a value that almost matches.
    static let dangerous: [Dangerous] = [
        Dangerous(pattern: #"(a+)+$"#, reason: .nestedRepetition),
        Dangerous(pattern: #"(a|a)*b"#, reason: .ambiguousRepetition),
        Dangerous(pattern: #"(\w+\s?)*$"#, reason: .nestedRepetition),
        Dangerous(pattern: #"(x+)+"#, reason: .nestedRepetition),
        Dangerous(pattern: #"(x*)*"#, reason: .nestedRepetition),
        Dangerous(pattern: #"(x+)*y"#, reason: .nestedRepetition),
        Dangerous(pattern: #"(x|x?)+y"#, reason: .ambiguousRepetition),
        Dangerous(pattern: #"(a|aa)*c"#, reason: .ambiguousRepetition),
        Dangerous(pattern: #"(a|ab|b)*c"#, reason: .ambiguousRepetition),
        Dangerous(pattern: #"(\d|\d\d)+$"#, reason: .ambiguousRepetition),
        Dangerous(pattern: #"([0-9]|\d)+x"#, reason: .ambiguousRepetition),
        Dangerous(pattern: #"(?i)(A|a)+!"#, reason: .ambiguousRepetition),
        Dangerous(pattern: #"(a{1,3})+b"#, reason: .ambiguousRepetition),
        Dangerous(pattern: #"(a+){2,5}b"#, reason: .nestedRepetition),
        Dangerous(pattern: #"(\d+\.){3}"#, reason: .nestedRepetition),
        Dangerous(pattern: #"(a{1,10}){10}b"#, reason: .nestedRepetition),
        Dangerous(pattern: #"(a|a){30}b"#, reason: .nestedRepetition),
        Dangerous(pattern: #"(a?){30}a{30}"#, reason: .emptyRepetition),
        Dangerous(pattern: #"^(([a-z])+.)+[A-Z]([a-z])+$"#, reason: .nestedRepetition),
        Dangerous(pattern: #"^([a-zA-Z0-9])(([\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$"#,
                  reason: .nestedRepetition),
        Dangerous(pattern: #"x(?=(a+)+b)"#, reason: .nestedRepetition),
        Dangerous(pattern: #"(?=(a|a)*b)x"#, reason: .ambiguousRepetition),
        Dangerous(pattern: #"(.|\s)*!"#, reason: .ambiguousRepetition),
        Dangerous(pattern: #"([[:alpha:]]|x)*!"#, reason: .ambiguousRepetition),
        Dangerous(pattern: #"(a)(\1)*b"#, reason: .nestedRepetition),
        Dangerous(pattern: #"a*a*a*b"#, reason: .polynomialRepetition),
        Dangerous(pattern: #"^[0-9]*[0-9]*$"#, reason: .polynomialRepetition),
        Dangerous(pattern: #".*urgent.*"#, reason: .polynomialRepetition),
        Dangerous(pattern: #"\w+\s*\w+!"#, reason: .polynomialRepetition),
        Dangerous(pattern: #".+@.+\..+"#, reason: .polynomialRepetition),
        Dangerous(pattern: String(repeating: "[a-z]{1,5}", count: 8), reason: .tooManyWays),
        Dangerous(pattern: String(repeating: "a?", count: 20) + String(repeating: "a", count: 20), reason: .tooManyWays),
        Dangerous(pattern: #"(?x) (a+)+"#, reason: .unanalysable),
        Dangerous(pattern: String(repeating: "a", count: 501), reason: .tooLong),
    ]

    @Test(arguments: dangerous)
    func dangerousPatternsAreRefused(_ testCase: Dangerous) throws {
        let refusal = #expect(throws: PatternRefusal.self) { try PatternSafety.check(testCase.pattern) }
        #expect(refusal?.reason == testCase.reason, "\(String(describing: refusal))")
        #expect(refusal.map { !$0.message.isEmpty && !$0.hint.isEmpty } == true)
        let error = #expect(throws: FieldPatternError.self) { try FieldPattern(source: testCase.pattern, description: nil) }
        #expect(error?.code == .catastrophicBacktracking)
    }

    /// Patterns an agency writes for codes and numbers, the sample catalog's among them.
    static let ordinary = [
        #"[0-9]{5}"#, #"^4"#, #"^4[0-9]{4}$"#, #"^9[0-9]{4}$"#, #"[0-9]{7}[A-Z]{1,2}"#, #"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}"#,
        #"(RT|RG|PT)-[0-9]{8}"#, #"E[0-9]{6}"#, #"(ORD|CHG)-[0-9]{6,10}"#, #"\d{3}-\d{4}"#, #"(ab?)+"#, #"(a|b)*c"#,
        #"([0-9]{1,3}\.){3}[0-9]{1,3}"#, #"(?i)[a-z]{3}-[0-9]+"#, #"\p{L}+"#, #"[^@\s]+@[^@\s]+\.[a-z]{2,}"#,
        #"(a|b|c|d|e){8}"#, #"(?<year>[0-9]{4})-(?<month>[0-9]{2})"#, #"[A-Z](?=[0-9])"#, #"(?:\+|00)[1-9][0-9]{6,14}"#,
        #"[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}"#, #"\bUK\b"#, #"[\x41-\x5A]{2}"#, #"[[:digit:]]{4}"#, #"urgent|priority"#,
        #"[a-z]+(-[a-z]{1,40})*"#, #"(\.[0-9]{2})?"#, #"[^,]+(,[^,]{1,100})*"#, #"urgent"#, #"\w{1,20}\s*\w{1,20}"#,
        #"[0-9]+(\.[0-9]+)?"#, #"[A-Z][a-z]{0,20}( [A-Z][a-z]{0,20})?"#,
    ]

    @Test(arguments: ordinary)
    func ordinaryPatternsLoad(_ pattern: String) throws {
        try PatternSafety.check(pattern)
        let compiled = try FieldPattern(source: pattern, description: nil)
        #expect(compiled.source == pattern)
    }

    @Test func everyPatternInTheSampleCatalogIsAccepted() throws {
        var patterns: [String] = []
        for (_, text) in Fixtures.sampleFiles {
            for line in text.split(separator: "\n") {
                let trimmed = line.drop { $0 == " " }
                guard trimmed.hasPrefix("pattern: '") || trimmed.hasPrefix("matches: '") else { continue }
                patterns.append(String(trimmed.split(separator: "'", omittingEmptySubsequences: false)[1]))
            }
        }
        #expect(patterns.count >= 7)
        for pattern in patterns {
            #expect(throws: Never.self) { try PatternSafety.check(pattern) }
        }
        _ = try Fixtures.sampleCatalog()
    }

    @Test func theCatalogReportsAnUnsafeFieldPatternWithItsPlaceAndTheFragment() throws {
        let yaml = LoaderErrorTests.base.replacingFirst("'[0-9]{5}'", with: #"'([0-9]+)+'"#)
        let (catalog, diagnostics) = Fixtures.loadService(yaml, name: "demo.yaml")
        #expect(catalog == nil)
        let found = try #require(diagnostics.first { $0.kind == .unsafePattern }, "\(diagnostics)")
        #expect(found.location == SourceLocation(file: "demo.yaml", line: 16, column: 16))
        #expect(found.message.contains("`([0-9]+)+`") && found.message.contains("exponential"))
        #expect(found.hint != nil)
        let rendered = CatalogCheck(diagnostics: diagnostics, catalog: nil, directory: "Catalog").render()
        #expect(rendered.contains("demo.yaml:16:16: error: the pattern of field `postcode`"), "\(rendered)")
    }

    @Test func theCatalogReportsAnUnsafeRulePattern() throws {
        let yaml = LoaderErrorTests.base.replacingFirst("'^4'", with: #"'^(4|4?)+x'"#)
        let (catalog, diagnostics) = Fixtures.loadService(yaml, name: "demo.yaml")
        #expect(catalog == nil)
        let found = try #require(diagnostics.first { $0.kind == .unsafePattern }, "\(diagnostics)")
        #expect(found.location == SourceLocation(file: "demo.yaml", line: 22, column: 16))
        #expect(found.message.hasPrefix("the `matches` pattern can match the same text"))
    }

    @Test func aPatternedFieldTakesAtMostAThousandCharacters() throws {
        let tooLong = LoaderErrorTests.base.replacingFirst("      pattern: '[0-9]{5}'", with: "      pattern: '[0-9]+'\n      max_length: 1001")
        let (catalog, diagnostics) = Fixtures.loadService(tooLong, name: "demo.yaml")
        #expect(catalog == nil)
        #expect(diagnostics.contains { $0.kind == .invalidValue && $0.location.line == 17 && $0.message.contains("at most 1000") }, "\(diagnostics)")

        let unbounded = LoaderErrorTests.base.replacingFirst("'[0-9]{5}'", with: "'[0-9]+'")
        let loaded = try #require(Fixtures.loadService(unbounded).0?.service("demo-service"))
        let field = try #require(loaded.fields.first { $0.id == "postcode" })
        #expect(field.effectiveMaxLength == FieldPattern.maximumSubjectLength)
        let long = String(repeating: "7", count: FieldPattern.maximumSubjectLength + 1)
        let issue = try #require(field.checkTextRules(long))
        #expect(issue.code == .tooLong)
        #expect(field.checkTextRules(String(long.dropFirst())) == nil)
    }

    @Test func aValueOverTheBoundNeverMatches() throws {
        let pattern = try FieldPattern(source: "[0-9]+", description: nil)
        let limit = FieldPattern.maximumSubjectLength
        #expect(pattern.matchesWhole(String(repeating: "1", count: limit)))
        #expect(!pattern.matchesWhole(String(repeating: "1", count: limit + 1)))
        #expect(pattern.matchesPart("x" + String(repeating: "1", count: limit - 1)))
        #expect(!pattern.matchesPart("x" + String(repeating: "1", count: limit)))
        // Characters, not bytes: 1,000 two-byte letters are within the bound.
        let letters = try FieldPattern(source: "é+", description: nil)
        #expect(letters.matchesWhole(String(repeating: "é", count: limit)))
    }

    @Test func invalidSyntaxIsStillItsOwnError() {
        let error = #expect(throws: FieldPatternError.self) { try FieldPattern(source: "[0-9", description: nil) }
        #expect(error?.code == .invalidSyntax)
    }

    /// Random small patterns: the standard library decides what compiles; the check must read every one of those
    /// (and any string at all) without trapping, and always give the same answer.
    @Test func theCheckerNeverCrashesOnRandomPatterns() {
        var rng = SplitMix64(seed: 0xBAC7_7AC4)
        let pieces = ["a", "b", "x", "0", ".", "(", ")", "(?:", "(?=", "(?<n>", "|", "*", "+", "?", "{2}", "{1,3}", "{2,}",
                      "[", "]", "[a-c]", "[^a]", "\\d", "\\w", "\\s", "\\b", "\\1", "\\p{L}", "^", "$", "-", "\\", "(?i)",
                      "[[:alpha:]]", "*?", "++", "{", "}", ",", "é", "\\x41", "\\Q", "\\E", "(?#c)"]
        var compiled = 0, refused = 0
        for _ in 0..<20_000 {
            let length = 1 + Int(rng.next() % 12)
            let pattern = (0..<length).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
            _ = try? PatternParser.parse(pattern)
            guard (try? Regex(pattern)) != nil else { continue }
            compiled += 1
            let first: PatternRefusal.Reason?
            do { try PatternSafety.check(pattern); first = nil } catch { first = error.reason }
            let second: PatternRefusal.Reason?
            do { try PatternSafety.check(pattern); second = nil } catch { second = error.reason }
            #expect(first == second, "\(pattern)")
            if first != nil { refused += 1 }
        }
        #expect(compiled > 2_000)
        #expect(refused > 0 && refused < compiled)
    }
}

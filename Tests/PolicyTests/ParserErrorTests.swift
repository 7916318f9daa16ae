import Testing

@testable import Policy

@Suite struct ParserErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let source: String
        let line: Int
        let column: Int
        let message: String
        var testDescription: String { source.prefix(50) + "…" }
    }

    static let cases: [Case] = [
        Case(source: "permit citizen to read on request when resource.owner = principal.id;", line: 1, column: 55, message: "`=` is not a comparison"),
        Case(source: "permit citizen to read on request", line: 1, column: 34, message: "expected `;`"),
        Case(source: "allow citizen to read on request;", line: 1, column: 1, message: "expected `permit` or `forbid`"),
        Case(source: "permit citizen to read on request\n  when resource.owner == \"x\n;", line: 2, column: 26, message: "unterminated string"),
        Case(source: "permit citizen to read on request when (resource.sealed;", line: 1, column: 56, message: "expected `)`"),
        Case(source: "permit citizen to read on request reveal;", line: 1, column: 41, message: "expected a field name"),
        Case(source: "permit citizen to read on request mask national_id;", line: 1, column: 51, message: "expected `as`"),
        Case(source: "permit citizen to read on request break-glass for 4 days;", line: 1, column: 53, message: "expected a unit"),
        Case(source: "permit citizen to read on request when resource.sealed $;", line: 1, column: 56, message: "unexpected character `$`"),
        Case(source: "rule permit citizen to read on request;", line: 1, column: 6, message: "expected a rule id"),
        Case(source: "@id(x) permit citizen to read on request;", line: 1, column: 5, message: "expected a rule id"),
        Case(source: "permit citizen to read on profile;\nforbid anyone to on request;", line: 2, column: 18, message: "expected an action"),
        Case(source: "permit citizen to read on request reveal * unless x;", line: 1, column: 44, message: "expected `when`, `require`"),
        Case(source: "permit citizen to read on request when resource.owner == \"Åsa\" é;", line: 1, column: 64, message: "unexpected character byte 0xc3"),
        Case(source: "permit citizen to read on request when resource == 1;", line: 1, column: 49, message: "expected `.`"),
        Case(source: "permit citizen to read on request when office == 1;", line: 1, column: 40, message: "expected an attribute"),
        Case(source: "permit citizen to read on request when resource.status in [\"a\", resource.office];", line: 1, column: 65, message: "a list holds only"),
        Case(source: "permit citizen to read on request when has \"x\";", line: 1, column: 44, message: "`has` needs an attribute"),
        Case(source: "permit citizen to read on request when true when false;", line: 1, column: 45, message: "at most one `when`"),
        Case(source: "permit citizen to read on request when context.hour > 99999999999999999999;", line: 1, column: 55, message: "number is too long"),
        Case(source: "permit citizen\n  to read\n  on request\n  when context.hour >\n;", line: 5, column: 1, message: "expected a value"),
    ]

    @Test(arguments: cases)
    func reportsPosition(_ testCase: Case) throws {
        let diagnostics = PolicyFixtures.diagnostics(testCase.source)
        let first = try #require(diagnostics.first)
        #expect(first.kind == .syntax)
        #expect(first.location == SourceLocation(file: "test.policy", line: testCase.line, column: testCase.column), "\(first)")
        #expect(first.message.contains(testCase.message), "\(first.message)")
        #expect(first.description.hasPrefix("test.policy:\(testCase.line):\(testCase.column): error: "))
    }

    @Test func recoversToReportEveryBrokenRule() {
        let diagnostics = PolicyFixtures.diagnostics("permit x to;\npermit y to;\npermit citizen to read on profile;")
        #expect(diagnostics.map(\.location.line) == [1, 2])
        #expect(diagnostics.map(\.location.column) == [12, 12])
    }

    @Test func deepNestingIsRejectedNotRecursedInto() throws {
        let nested = "permit citizen to read on request when " + String(repeating: "(", count: 10_000) + "true"
            + String(repeating: ")", count: 10_000) + ";"
        let first = try #require(PolicyFixtures.diagnostics(nested).first)
        #expect(first.message.contains("nested more than 32"))
        #expect(first.location.column == 72)
        let nots = "permit citizen to read on request when " + String(repeating: "not ", count: 50_000) + "true;"
        #expect(PolicyFixtures.diagnostics(nots).first?.message.contains("nested") == true)
    }

    @Test func oversizedInputIsRejected() throws {
        let huge = String(repeating: "# padding\n", count: 110_000)
        let first = try #require(PolicyFixtures.diagnostics(huge).first)
        #expect(first.kind == .inputTooLarge)
        let tokens = String(repeating: "permit ", count: 210_000)
        #expect(PolicyFixtures.diagnostics(tokens).first?.kind == .inputTooLarge)
    }

    @Test func commentsAndExplicitIDsParse() throws {
        let set = try PolicyFixtures.load("""
            # a comment
            // another
            @id("a") permit citizen to read on profile when principal.id == resource.owner reveal *; # trailing
            rule "b" permit citizen to update on profile when principal.id == resource.owner reveal name;
            permit citizen to create on profile when principal.id == resource.owner;
            """)
        #expect(set.rules.map(\.id) == ["a", "b", "test.policy:5"])
        #expect(set.rules[0].text.hasPrefix("@id(\"a\") permit citizen to read on profile"))
    }
}

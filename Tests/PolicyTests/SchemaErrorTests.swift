import Testing

@testable import Policy

@Suite struct SchemaErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let source: String
        let kind: PolicyDiagnostic.Kind
        let message: String
        var hint: String? = nil
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "unknown attribute", source: "permit caseworker to read on request when resource.ofice == principal.office;",
             kind: .unknownAttribute, message: "has no attribute `ofice`", hint: "did you mean `resource.office`?"),
        Case(name: "unknown principal attribute", source: "permit caseworker to read on request when principal.offic == \"x\";",
             kind: .unknownAttribute, message: "unknown attribute `principal.offic`", hint: "did you mean `principal.office`?"),
        Case(name: "attribute missing on one resource type", source: "permit citizen to read on request, profile when resource.status == \"draft\";",
             kind: .unknownAttribute, message: "resource type `profile` has no attribute `status`"),
        Case(name: "bool compared with string", source: "forbid anyone to read on request when resource.sealed == \"yes\";",
             kind: .typeMismatch, message: "cannot compare `resource.sealed` (bool)", hint: "write `true` or `false` without quotes"),
        Case(name: "number compared with string", source: "permit caseworker to read on request when context.hour > \"9\";",
             kind: .typeMismatch, message: "compares numbers"),
        Case(name: "value outside enumeration", source: "permit caseworker to read on request when resource.status == \"submited\";",
             kind: .typeMismatch, message: "is not a value of `resource.status`", hint: "did you mean `submitted`?"),
        Case(name: "non-bool as condition", source: "permit caseworker to read on request when resource.office;",
             kind: .typeMismatch, message: "is a string, not a condition"),
        Case(name: "in without list", source: "permit caseworker to read on request when resource.office in resource.owner;",
             kind: .typeMismatch, message: "`in` needs a list or a set"),
        Case(name: "unknown field", source: "permit caseworker to read on request reveal monthly_incme;",
             kind: .unknownField, message: "no field `monthly_incme`", hint: "did you mean `monthly_income`?"),
        Case(name: "field outside service scope", source: "permit caseworker to read on request when resource.service == \"fee-payment\" reveal national_id;",
             kind: .unknownField, message: "in the services this rule is restricted to"),
        Case(name: "qualified field of another service", source: "permit caseworker to read on request when resource.service == \"fee-payment\" reveal benefit-application.email;",
             kind: .unknownField, message: "belongs to a service this rule excludes"),
        Case(name: "field on a type without fields", source: "permit auditor to read-audit on audit-log reveal entries;",
             kind: .unknownField, message: "no field `entries`", hint: "these resource types have no fields"),
        Case(name: "profile field", source: "permit citizen to read on profile reveal nationalid;",
             kind: .unknownField, message: "no field `nationalid`", hint: "did you mean `national_id`?"),
        Case(name: "unknown service", source: "permit caseworker to read on request when resource.service == \"benefit-aplication\";",
             kind: .unknownService, message: "unknown service \"benefit-aplication\"", hint: "did you mean `benefit-application`?"),
        Case(name: "unknown qualified service", source: "permit caseworker to read on request reveal benefits.email;",
             kind: .unknownService, message: "unknown service `benefits`"),
        Case(name: "contradiction", source: "permit caseworker to read on request when resource.status == \"draft\" and resource.status == \"decided\";",
             kind: .unreachableRule, message: "contradict", hint: "did you mean `or`?"),
        Case(name: "equal and not equal", source: "permit caseworker to read on request when resource.office == \"n\" and not (resource.office == \"n\");",
             kind: .unreachableRule, message: "contradict"),
        Case(name: "bool and its negation", source: "permit caseworker to read on request when resource.sealed and not resource.sealed;",
             kind: .unreachableRule, message: "contradict"),
        Case(name: "empty list", source: "permit caseworker to read on request when resource.status in [];",
             kind: .unreachableRule, message: "contradict"),
        Case(name: "empty range", source: "permit caseworker to read on request when context.hour < 5 and context.hour > 10;",
             kind: .unreachableRule, message: "no number satisfies"),
        Case(name: "literal false", source: "permit caseworker to read on request when false;",
             kind: .unreachableRule, message: "always false"),
        Case(name: "break-glass that forbids break-glass", source: "permit supervisor to read on request when not context.break_glass break-glass;",
             kind: .unreachableRule, message: "contradict"),
        Case(name: "purpose and its condition disagree", source: "permit caseworker to read on request when context.purpose == \"audit\" require purpose in [\"case-handling\"];",
             kind: .unreachableRule, message: "contradict"),
        Case(name: "shadowed by unconditional forbid", source: "rule \"f\" forbid caseworker, supervisor to read on request;\nrule \"p\" permit caseworker to read on request reveal *;",
             kind: .unreachableRule, message: "permit p can never apply"),
        Case(name: "shadowed by anyone", source: "rule \"f\" forbid anyone to read, decide on request;\nrule \"p\" permit caseworker to decide on request;",
             kind: .unreachableRule, message: "unconditional forbid f"),
        Case(name: "revealed and masked", source: "permit caseworker to read on request reveal email mask email as email-domain;",
             kind: .unreachableRule, message: "both revealed and masked"),
        Case(name: "duplicate rule id", source: "rule \"x\" permit citizen to read on profile;\nrule \"x\" permit citizen to update on profile;",
             kind: .duplicateRuleID, message: "rule id \"x\" is already used at test.policy:1:6"),
        Case(name: "unknown role", source: "permit casewroker to read on request;",
             kind: .unknownRole, message: "unknown role `casewroker`", hint: "did you mean `caseworker`?"),
        Case(name: "unknown action", source: "permit caseworker to raed on request;",
             kind: .unknownAction, message: "unknown action `raed`", hint: "did you mean `read`?"),
        Case(name: "unknown resource type", source: "permit caseworker to read on requests;",
             kind: .unknownResourceType, message: "unknown resource type `requests`", hint: "did you mean `request`?"),
        Case(name: "unknown purpose", source: "permit caseworker to read on request require purpose in [\"casehandling\"];",
             kind: .unknownPurpose, message: "unknown purpose", hint: "did you mean `case-handling`?"),
        Case(name: "unknown mask style", source: "permit caseworker to read on request mask national_id as last5;",
             kind: .unknownMaskStyle, message: "unknown mask style `last5`", hint: "did you mean `last4`?"),
        Case(name: "forbid with reveal", source: "forbid caseworker to read on request when resource.sealed reveal *;",
             kind: .misplacedClause, message: "a forbid reveals nothing"),
        Case(name: "forbid with purpose", source: "forbid caseworker to read on request require purpose in [\"audit\"];",
             kind: .misplacedClause, message: "a forbid cannot require a purpose"),
        Case(name: "forbid with break-glass", source: "forbid caseworker to read on request when resource.sealed break-glass;",
             kind: .misplacedClause, message: "only a permit can be break-glass"),
    ]

    @Test(arguments: cases)
    func rejects(_ testCase: Case) throws {
        let diagnostics = PolicyFixtures.diagnostics(testCase.source)
        let diagnostic = try #require(diagnostics.first { $0.kind == testCase.kind }, "\(diagnostics)")
        #expect(diagnostic.message.contains(testCase.message), "\(diagnostic)")
        if let hint = testCase.hint { #expect(diagnostic.hint?.contains(hint) == true, "\(diagnostic)") }
        #expect(diagnostic.location.file == "test.policy")
        #expect(diagnostic.location.line >= 1 && diagnostic.location.column >= 1)
    }

    @Test func positionsPointAtTheOffendingToken() throws {
        let source = "permit caseworker to read on request\n  when resource.office == principal.office\n   and resource.sealed == \"yes\";"
        let diagnostic = try #require(PolicyFixtures.diagnostics(source).first)
        #expect(diagnostic.location == SourceLocation(file: "test.policy", line: 3, column: 8))
        let field = try #require(PolicyFixtures.diagnostics("permit caseworker to read on request\n reveal applicant_name, nope;").first)
        #expect(field.location == SourceLocation(file: "test.policy", line: 2, column: 25))
    }

    @Test func reportsEveryProblemSortedByPosition() {
        let diagnostics = PolicyFixtures.diagnostics("permit casewroker to raed on request;\npermit citizen to read on profile reveal nope;")
        #expect(diagnostics.map(\.kind) == [.unknownRole, .unknownAction, .unknownField])
        #expect(diagnostics.map(\.location.line) == [1, 1, 2])
    }

    @Test(arguments: [
        ("roles: a\nactions: read\n", "must declare roles, actions and at least one resource type"),
        ("roles: a\nactions: read\nresource r { x: strin }", "unknown type `strin`"),
        ("roles: a\nactions: read\nresorce r { }", "unknown schema section `resorce`"),
        ("roles: a\nactions: read\nresource r { x: string x: int }", "declared twice"),
        ("roles a", "expected `:`"),
    ])
    func schemaFileErrors(source: String, message: String) throws {
        do {
            _ = try PolicyFixtures.loader.load(schema: PolicySource(name: "s.schema", text: source), policies: [])
            Issue.record("schema should not load")
        } catch {
            let diagnostic = try #require(error.diagnostics.first)
            #expect(diagnostic.kind == .schema)
            #expect(diagnostic.message.contains(message), "\(diagnostic)")
        }
    }

    @Test func theDefaultSetLoadsCleanly() {
        let report = PolicyCheck.run(directory: PolicyFixtures.policiesDirectory, fields: PolicyFixtures.fields)
        #expect(report.passed, "\(report.render())")
        #expect(report.render().hasPrefix("ok: "))
    }

    @Test func theDefaultSetNeedsTheServiceFieldsItNames() {
        let report = PolicyCheck.run(directory: PolicyFixtures.policiesDirectory, fields: FieldCatalog(serviceFields: ["fee-payment": ["payer_name"]]))
        #expect(!report.passed)
        #expect(report.diagnostics.contains { $0.kind == .unknownField })
        #expect(report.render().contains("the policy set does not load"))
    }
}

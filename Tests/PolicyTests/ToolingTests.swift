import Testing

@testable import Policy

@Suite struct ToolingTests {
    typealias F = PolicyFixtures

    @Test func explainListsEveryRuleWithWhy() throws {
        let request = try RequestDescription(arguments: [
            "principal.id=s-carol", "principal.roles=caseworker", "principal.kind=staff", "principal.office=north",
            "action=read", "resource.type=request", "resource.owner=c-1", "resource.office=south",
            "resource.service=benefit-application", "resource.sealed=false", "context.auth_strength=mfa",
        ], schema: F.defaultSet.schema)
        #expect(request.resource.attributes["sealed"] == .bool(false))
        let explanation = PolicyExplainer(F.defaultSet).explain(request)
        #expect(explanation.decision.effect == .deny)
        #expect(explanation.rules.count == F.defaultSet.rules.count)
        let text = explanation.render()
        #expect(text.hasPrefix("decision: deny (default deny); purpose: none"))
        #expect(text.contains("permit caseworker-handle-office-requests (caseworker.policy:3): condition false: `resource.office == principal.office`"))
        #expect(text.contains("permit citizen-read-own-requests (citizen.policy:3): not applicable: principal has none of the roles [citizen]"))
        #expect(text.contains("forbid sealed-needs-break-glass (baseline.policy:5): condition false: `resource.sealed`"))
        #expect(text.contains("not applicable: action is not one of [rotate-keys]"))
        #expect(text.contains("not applicable: resource type is not one of [profile]"))
    }

    @Test func explainShowsPurposeAndBreakGlass() {
        let explainer = PolicyExplainer(F.defaultSet)
        let noPurpose = explainer.explain(F.carol, .read, F.benefit, Context(authStrength: "mfa")).render()
        #expect(noPurpose.contains("permit caseworker-handle-office-requests (caseworker.policy:3): purpose (none declared) is not one of [case-handling]"))
        let sealed = Resource.request(owner: "c-1", service: "benefit-application", office: "north", sealed: true)
        let missing = explainer.explain(F.sue, .read, sealed, Context(authStrength: "mfa")).render()
        #expect(missing.contains("forbid sealed-needs-break-glass (baseline.policy:5): MATCHED, forbids access"))
        let glass = explainer.explain(F.sue, .read, sealed, Context(justification: "fire", authStrength: "mfa")).render()
        #expect(glass.contains("decision: permit (supervisor-break-glass)"))
        #expect(glass.contains("obligations: break-glass flagged in audit, mandatory review for 240 min"))
        #expect(glass.contains("fields: reveal * except national_id; mask national_id as last4"))
    }

    @Test func requestDescriptionFromJSON() throws {
        let json = """
            {"principal": {"id": "c-alice", "roles": ["citizen"], "attributes": {"kind": "citizen"}},
             "action": "read",
             "resource": {"type": "request", "attributes": {"owner": "c-alice", "sealed": false, "service": "fee-payment"}},
             "context": {"purpose": "citizen-self-service", "attributes": {}}}
            """
        let request = try RequestDescription(json: json)
        #expect(request.resource.attributes["sealed"] == .bool(false))
        #expect(PolicyExplainer(F.defaultSet).explain(request).decision.isPermitted)
        #expect(throws: RequestDescription.ParseError.self) { try RequestDescription(json: "{\"action\": 3}") }
    }

    @Test(arguments: [
        (["action=read"], "missing `resource.type=…`"),
        (["resource.type=request"], "missing `action=…`"),
        (["principal"], "is not key=value"),
        (["who.id=x", "action=read"], "unknown prefix `who`"),
        (["id=x"], "needs a prefix"),
    ])
    func requestDescriptionErrors(arguments: [String], message: String) {
        do {
            _ = try RequestDescription(arguments: arguments, schema: F.defaultSet.schema)
            Issue.record("should fail")
        } catch {
            #expect(error.message.contains(message), "\(error)")
        }
    }

    @Test func testRunnerReportsDifferencesAndUnreadableRows() {
        let table = PolicySource(name: "t.decisions", text: """
            let alice = principal id=c-alice roles=citizen kind=citizen
            let carol = principal id=s-carol roles=caseworker kind=staff office=north
            let own = resource request owner=c-alice service=benefit-application office=north status=submitted sealed=false
            let work = context purpose=case-handling auth_strength=mfa
            alice read own -> permit reveal=*
            alice read own -> deny
            carol read own with work -> permit reveal=national_id mask=monthly_income:last4 omit=applicant_name rule=nope break-glass=yes
            carol read own with wrok -> permit
            alice fly own -> deny
            alice read own -> permit colour=blue
            """)
        let report = PolicyTestRunner(F.defaultSet).run([table])
        #expect(!report.passed)
        #expect(report.results.count == 3)
        #expect(report.results[0].passed)
        #expect(report.results[1].differences == ["expected deny, got permit (permitted by rule citizen-read-own-requests)"])
        let third = report.results[2].differences
        #expect(third.contains("expected national_id revealed, got masked as last4"))
        #expect(third.contains("expected monthly_income masked as last4, got revealed"))
        #expect(third.contains("expected applicant_name omitted, got revealed"))
        #expect(third.contains { $0.hasPrefix("expected rule nope among the deciding rules") })
        #expect(third.contains("expected break-glass flagged, got not flagged"))
        #expect(report.diagnostics.map(\.location.line) == [8, 9, 10])
        #expect(report.diagnostics[0].hint == "did you mean `work`?")
        let text = report.render()
        #expect(text.contains("FAIL t.decisions:6: alice read own -> deny"))
        #expect(text.hasSuffix("1 passed, 2 failed, 3 unreadable rows"))
    }

    @Test func emptyTableDoesNotPass() {
        #expect(!PolicyTestRunner(F.defaultSet).run([PolicySource(name: "e.decisions", text: "# nothing\n")]).passed)
    }

    @Test func benchmarkRunsAndIndexesRules() {
        let result = PolicyBenchmark.run(ruleCount: 40, decisions: 200)
        #expect(result.ruleCount == 40)
        #expect(result.permitRatio > 0 && result.permitRatio < 1)
        #expect(result.render().hasPrefix("rules=40 load+check="))
    }
}

import Testing

@testable import Policy

@Suite struct SemanticsTests {
    typealias F = PolicyFixtures

    @Test func defaultDenyWhenNoRuleMatches() throws {
        let set = try F.load(#"permit citizen to read on profile when principal.id == resource.owner reveal *;"#)
        let decision = set.gate.decide(F.carol, .read, F.benefit, F.casework)
        #expect(decision.effect == .deny)
        #expect(decision.ruleIDs.isEmpty)
        #expect(decision.reasons == [.defaultDeny])
        #expect(decision.fieldPlan == .empty)
    }

    @Test func forbidBeatsEveryPermit() throws {
        let set = try F.load("""
            rule "p1" permit caseworker to read on request reveal *;
            rule "p2" permit anyone to read on request reveal applicant_name;
            rule "f1" forbid caseworker to read on request when resource.sensitivity == "special";
            """)
        let special = Resource.request(owner: "c-1", service: "benefit-application", office: "north", sensitivity: "special")
        let denied = set.gate.decide(F.carol, .read, special, F.casework)
        #expect(denied.effect == .deny)
        #expect(denied.ruleIDs == ["f1"])
        #expect(denied.reasons == [.forbidden(rule: "f1")])
        let allowed = set.gate.decide(F.carol, .read, F.benefit, F.casework)
        #expect(allowed.effect == .permit)
        #expect(allowed.ruleIDs == ["p1", "p2"])
    }

    @Test func missingPurposeDeniesWithAReason() {
        let decision = F.gate.decide(F.carol, .read, F.benefit, Context(authStrength: "mfa"))
        #expect(decision.effect == .deny)
        #expect(decision.reasons.contains(.purposeUnmet(rule: "caseworker-handle-office-requests", declared: nil, required: ["case-handling"])))
        #expect(decision.explanation.contains { $0.contains("no purpose declared") })
        let wrong = F.gate.decide(F.carol, .read, F.benefit, Context(purpose: "audit", authStrength: "mfa"))
        #expect(wrong.explanation.contains { $0.contains("`audit` is not one of [case-handling]") })
    }

    @Test func purposeIsCarriedInTheDecision() {
        #expect(F.gate.decide(F.carol, .read, F.benefit, F.casework).purpose == "case-handling")
        #expect(F.gate.decide(F.alice, .read, F.benefit, Context(purpose: "citizen-self-service")).purpose == "citizen-self-service")
    }

    @Test(arguments: [nil, "", "   \n"])
    func breakGlassWithoutJustificationIsDenied(justification: String?) {
        let sealed = Resource.request(owner: "c-alice", service: "benefit-application", office: "north", sealed: true)
        let decision = F.gate.decide(F.sue, .read, sealed, Context(justification: justification, authStrength: "mfa"))
        #expect(decision.effect == .deny)
        #expect(decision.obligations == .none)
    }

    @Test func breakGlassWithJustificationPermitsWithObligations() {
        let sealed = Resource.request(owner: "c-alice", service: "benefit-application", office: "north", sealed: true)
        let decision = F.gate.decide(F.sue, .read, sealed, Context(justification: "child at risk", authStrength: "mfa"))
        #expect(decision.effect == .permit)
        #expect(decision.ruleIDs == ["supervisor-break-glass"])
        #expect(decision.obligations.breakGlass)
        #expect(decision.obligations.mandatoryReview)
        #expect(decision.obligations.timeLimit == .seconds(4 * 3600))
        #expect(decision.disposition(of: "national_id") == .mask(.last4))
        #expect(decision.disposition(of: "applicant_name") == .reveal)
    }

    @Test func breakGlassDefaultLimitAndShortestLimitWins() throws {
        let set = try F.load("""
            rule "a" permit supervisor to read on request break-glass reveal applicant_name;
            rule "b" permit supervisor to read on request break-glass for 30m reveal email;
            """)
        let decision = set.gate.decide(F.sue, .read, F.benefit, Context(justification: "x"))
        #expect(decision.obligations.timeLimit == .seconds(30 * 60))
        let only = try F.load(#"permit supervisor to read on request break-glass;"#)
        #expect(only.gate.decide(F.sue, .read, F.benefit, Context(justification: "x")).obligations.timeLimit == .seconds(4 * 3600))
    }

    @Test func fieldPlanIsTheUnionAndRevealBeatsMask() throws {
        let set = try F.load("""
            rule "narrow" permit caseworker to read on request reveal applicant_name mask national_id as last4, email as email-domain;
            rule "wide" permit caseworker to read on request when resource.service == "benefit-application" reveal email mask bank_account as redacted;
            """)
        let decision = set.gate.decide(F.carol, .read, F.benefit, F.casework)
        #expect(decision.disposition(of: "applicant_name") == .reveal)
        #expect(decision.disposition(of: "email") == .reveal)
        #expect(decision.disposition(of: "national_id") == .mask(.last4))
        #expect(decision.disposition(of: "bank_account") == .mask(.redacted))
        #expect(decision.disposition(of: "monthly_income") == .omit)
        #expect(decision.fieldPlan.masked.keys.sorted() == ["bank_account", "national_id"])
        #expect(!decision.fieldPlan.revealsAll)
        let split = decision.fieldPlan.partition(["applicant_name", "national_id", "phone"])
        #expect(split.revealed == ["applicant_name"])
        #expect(split.omitted == ["phone"])
    }

    @Test func wildcardRevealKeepsItsOwnMasksUnlessAnotherPermitReveals() throws {
        let set = try F.load("""
            rule "all" permit caseworker to read on request reveal * mask national_id as last4, bank_account as last4;
            rule "nid" permit caseworker to read on request when resource.office == "north" reveal national_id;
            """)
        let north = set.gate.decide(F.carol, .read, F.benefit, F.casework)
        #expect(north.disposition(of: "national_id") == .reveal)
        #expect(north.disposition(of: "bank_account") == .mask(.last4))
        #expect(north.disposition(of: "anything_else") == .reveal)
        let south = set.gate.decide(F.carol, .read, Resource.request(owner: "c", service: "benefit-application", office: "south"), F.casework)
        #expect(south.disposition(of: "national_id") == .mask(.last4))
    }

    @Test func strongerMaskWinsBetweenTwoMasks() throws {
        let set = try F.load("""
            rule "a" permit caseworker to read on request mask national_id as last4;
            rule "b" permit caseworker to read on request mask national_id as redacted;
            """)
        #expect(set.gate.decide(F.carol, .read, F.benefit, F.casework).disposition(of: "national_id") == .mask(.redacted))
    }

    @Test func serviceQualifiedFieldsApplyOnlyToThatService() throws {
        let set = try F.load(#"permit caseworker to read on request reveal benefit-application.monthly_income, email;"#)
        let benefit = set.gate.decide(F.carol, .read, F.benefit, F.casework)
        #expect(benefit.disposition(of: "monthly_income") == .reveal)
        let fee = set.gate.decide(F.carol, .read, .request(owner: "c", service: "fee-payment", office: "north"), F.casework)
        #expect(fee.disposition(of: "monthly_income") == .omit)
        #expect(fee.disposition(of: "email") == .reveal)
    }

    @Test func missingAttributesMakeComparisonsFalseNotCrash() throws {
        let set = try F.load("""
            permit caseworker to read on request when resource.office == principal.office and context.hour >= 8 reveal *;
            """)
        let noOffice = Principal(id: "x", roles: ["caseworker"], kind: .staff)
        #expect(set.gate.decide(noOffice, .read, F.benefit, Context(hour: 9)).effect == .deny)
        #expect(set.gate.decide(F.carol, .read, F.benefit, Context()).effect == .deny)
        #expect(set.gate.decide(F.carol, .read, F.benefit, Context(hour: 9)).effect == .permit)
        let wrongType = Resource(type: "request", attributes: ["office": 7, "sealed": "no"])
        #expect(set.gate.decide(F.carol, .read, wrongType, Context(hour: 9)).effect == .deny)
    }

    @Test func expressionsCoverTheLanguage() throws {
        let set = try F.load("""
            permit anyone to read on request
              when ("caseworker" in principal.roles or principal.clearance > 2)
                and has resource.assignee and resource.assignee != principal.id
                and not (resource.status in ["closed", "withdrawn"]) and context.weekday != "sun"
                and context.break_glass == false and true
              reveal applicant_name;
            """)
        let assigned = Resource.request(owner: "c", service: "benefit-application", assignee: "s-other")
        #expect(set.gate.decide(F.carol, .read, assigned, Context(weekday: "mon")).effect == .permit)
        #expect(set.gate.decide(F.carol, .read, assigned, Context(weekday: "sun")).effect == .deny)
        #expect(set.gate.decide(F.carol, .read, assigned, Context(weekday: "mon", justification: "j")).effect == .deny)
        #expect(set.gate.decide(F.carol, .read, F.benefit, Context(weekday: "mon")).effect == .deny)
        // A missing attribute makes its comparison false, even `!=`.
        #expect(set.gate.decide(F.carol, .read, assigned, Context()).effect == .deny)
        let cleared = Principal(id: "x", roles: ["auditor"], kind: .staff, clearance: 3)
        #expect(set.gate.decide(cleared, .read, assigned, Context(weekday: "mon")).effect == .permit)
        let low = Principal(id: "x", roles: ["auditor"], kind: .staff, clearance: 2)
        #expect(set.gate.decide(low, .read, assigned, Context(weekday: "mon")).effect == .deny)
    }

    @Test func multiRolePrincipalSeesRulesOfEveryRole() throws {
        let set = try F.load("""
            rule "cw" permit caseworker to read on request reveal applicant_name;
            rule "sv" permit supervisor to read on request reveal email;
            """)
        let both = Principal(id: "x", roles: ["caseworker", "supervisor"], kind: .staff)
        let decision = set.gate.decide(both, .read, F.benefit, Context())
        #expect(decision.ruleIDs == ["cw", "sv"])
        let none = Principal(id: "x", roles: [], kind: .staff)
        #expect(set.gate.decide(none, .read, F.benefit, Context()).effect == .deny)
    }

    @Test func decisionsRoundTripThroughJSON() throws {
        let decision = F.gate.decide(F.carol, .read, F.benefit, F.casework)
        let data = try JSONEncoder().encode(decision)
        #expect(try JSONDecoder().decode(Decision.self, from: data) == decision)
    }
}

import Foundation

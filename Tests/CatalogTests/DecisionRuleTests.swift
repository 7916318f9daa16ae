import Testing
@testable import Catalog

@Suite struct DecisionRuleTests {
    static let address: FieldInput = .object([
        "line1": .string("12 Quay Road"), "city": .string("Northhaven"), "postcode": .string("40123"), "country": .string("IE"),
    ])

    func decide(_ serviceID: String, _ input: [String: FieldInput], _ facts: DecisionFacts) throws -> AutomaticDecision {
        let service = try #require(try Fixtures.sampleCatalog().service(serviceID))
        let values = try service.validate(input, today: Fixtures.today)
        return service.decide(values, facts: facts, today: Fixtures.today)
    }

    @Test func changeOfAddressApprovesOwnMoveInCounty() throws {
        let input: [String: FieldInput] = ["new_address": Self.address, "postcode": .string("40123"), "move_date": .string("2025-06-01")]
        let own = try decide("change-of-address", input, DecisionFacts(applicantIsSubject: true))
        #expect(own == AutomaticDecision(outcome: .approve, ruleID: "own-move-in-county"))
        let other = try decide("change-of-address", input, DecisionFacts(applicantIsSubject: false))
        #expect(other == AutomaticDecision(outcome: .review, ruleID: nil))
        let unknown = try decide("change-of-address", input, DecisionFacts())
        #expect(unknown.outcome == .review)
        var outside = input
        outside["postcode"] = .string("90210")
        #expect(try decide("change-of-address", outside, DecisionFacts(applicantIsSubject: true)).outcome == .review)
        var abroad = input
        abroad["new_address"] = .object(["line1": .string("1 Rue X"), "city": .string("Paris"), "postcode": .string("75001"), "country": .string("FR")])
        let rejected = try decide("change-of-address", abroad, DecisionFacts(applicantIsSubject: true))
        #expect(rejected.ruleID == "moving-abroad")
        guard case let .reject(reason) = rejected.outcome else { Issue.record("expected a rejection"); return }
        // The outcome carries the default language (Hungarian); the rule has every language.
        #expect(reason.contains("Írországon belüli"))
        let rule = try #require(try Fixtures.sampleCatalog().service("change-of-address")?.rules.first { $0.id == "moving-abroad" })
        #expect(rule.reason(in: "hu") == reason)
        #expect(rule.reason(in: "en-IE")?.contains("within Ireland") == true)
    }

    @Test(arguments: [
        ("coding-teen", "2011-03-02", "approve", "coding-age-range"),
        ("coding-teen", "2020-03-02", "review", ""),
        ("swimming-junior", "2000-01-01", "reject", "junior-swimming-too-old"),
        ("swimming-junior", "2015-01-01", "approve", "swimming-age-range"),
        ("pottery-adult", "2010-01-01", "reject", "pottery-adults-only"),
        ("pottery-adult", "1980-01-01", "approve", "pottery-adult"),
    ])
    func classRegistrationByAge(_ choice: String, _ birth: String, _ outcome: String, _ rule: String) throws {
        let decision = try decide("class-registration", [
            "class_choice": .string(choice), "participant_name": .string("Sam"), "date_of_birth": .string(birth),
        ], DecisionFacts())
        switch decision.outcome {
        case .approve: #expect(outcome == "approve")
        case let .reject(reason): #expect(outcome == "reject" && !reason.isEmpty)
        case .review: #expect(outcome == "review")
        }
        #expect(decision.ruleID == (rule.isEmpty ? nil : rule))
    }

    @Test func reviewOnlyServicesNeverDecide() throws {
        let decision = try decide("health-plan-enrolment", [
            "employee_id": .string("E012345"), "plan": .string("basic"), "dependants_count": .integer(0), "has_conditions": .bool(false),
        ], DecisionFacts(applicantIsSubject: true))
        #expect(decision == AutomaticDecision(outcome: .review, ruleID: nil))
    }

    @Test func moneyAndFactComparisonsAndCombinators() throws {
        let yaml = """
            id: rules-demo
            title: Rules
            retention: 1y
            fields:
              - id: amount
                label: Amount
                type: money
                sensitivity: personal
              - id: kind
                label: Kind
                type: choice
                sensitivity: public
                options: [a, b]
            rules:
              - id: too-young
                outcome: reject
                reason: Applicants must be 18 or over.
                when:
                  fact: applicant_age_years
                  less_than: 18
              - id: big-b
                outcome: review
                when:
                  all:
                    - field: kind
                      in: [b]
                    - field: amount
                      greater_than: "100.00"
              - id: small-or-no-address
                outcome: approve
                when:
                  any:
                    - not:
                        fact: has_profile_address
                        equals: true
                    - field: amount
                      at_most: "100.00"
            """
        let (catalog, diagnostics) = Fixtures.loadService(yaml)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let service = try #require(catalog?.service("rules-demo"))
        func run(_ minor: Int, _ kind: String, _ facts: DecisionFacts) throws -> String? {
            let values = try service.validate(["amount": .integer(minor), "kind": .string(kind)])
            return service.decide(values, facts: facts).ruleID
        }
        #expect(try run(500, "a", DecisionFacts(applicantAgeYears: 17)) == "too-young")
        #expect(try run(50_000, "b", DecisionFacts(applicantAgeYears: 30, hasProfileAddress: true)) == "big-b")
        #expect(try run(10_000, "a", DecisionFacts(applicantAgeYears: 30, hasProfileAddress: true)) == "small-or-no-address")
        #expect(try run(10_001, "a", DecisionFacts(applicantAgeYears: 30, hasProfileAddress: true)) == nil)
        #expect(try run(10_001, "a", DecisionFacts(applicantAgeYears: 30, hasProfileAddress: false)) == "small-or-no-address")
    }

    @Test func rulesAreTypeCheckedAtLoad() {
        let yaml = """
            id: bad-rules
            title: Rules
            retention: 1y
            fields:
              - id: kind
                label: Kind
                type: choice
                sensitivity: public
                options: [a, b]
            rules:
              - id: r1
                outcome: approve
                when:
                  field: kind
                  equals: c
              - id: r2
                outcome: reject
                when:
                  fact: applicant_is_subject
                  equals: maybe
              - id: r3
                outcome: approve
                when:
                  fact: applicant_mood
                  equals: true
            """
        let (_, diagnostics) = Fixtures.loadService(yaml)
        #expect(diagnostics.map(\.location.line) == [15, 16, 20, 24])
        #expect(diagnostics.map(\.kind) == [.ruleTypeMismatch, .missingKey, .ruleTypeMismatch, .invalidValue])
    }
}

/// A declarative automatic decision: when ``condition`` holds, ``outcome`` applies.
public struct DecisionRule: Sendable, Hashable, Identifiable {
    /// What a rule decides.
    public enum Outcome: Sendable, Hashable {
        case approve
        /// Reject with a reason shown to the citizen.
        case reject(reason: String)
        /// Send to a caseworker explicitly (stops later rules from approving).
        case review
    }

    /// Identifier recorded in the audit log when the rule decides.
    public let id: String
    /// What happens when the condition holds.
    public let outcome: Outcome
    /// The condition.
    public let condition: RuleCondition
    /// Where the rule sits in the catalog.
    public let location: SourceLocation
    /// The reason of a reject rule in every language; the outcome carries the default language's.
    let reasonText: LocalizedText?

    /// A rule; a reject rule's reason is the same in every language.
    public init(id: String, outcome: Outcome, condition: RuleCondition, location: SourceLocation) {
        var reason: LocalizedText?
        if case let .reject(text) = outcome { reason = LocalizedText(text) }
        self.init(id: id, outcome: outcome, reason: reason, condition: condition, location: location)
    }

    /// A rule with a translated reason; for a reject rule, `outcome` should carry `reason`'s default text.
    public init(id: String, outcome: Outcome, reason: LocalizedText?, condition: RuleCondition, location: SourceLocation) {
        self.id = id
        self.outcome = outcome
        self.condition = condition
        self.location = location
        reasonText = reason
    }

    /// The reason shown to the citizen when this rule rejects, in `language` (BCP 47, e.g. `hu` or `en-IE`);
    /// `nil` for approve and review rules.
    public func reason(in language: String) -> String? { reasonText.text(in: language) }
}

/// A condition over submitted field values and facts supplied by the caller.
/// Where a submitted request goes: the first routing rule whose condition holds names the office (a rule without a
/// condition matches every request, so it can only come last). No match: the installation's default office.
public struct RoutingRule: Sendable, Hashable {
    public let office: String
    /// `nil`: every request.
    public let condition: RuleCondition?
    public let location: SourceLocation

    public init(office: String, condition: RuleCondition?, location: SourceLocation) {
        self.office = office
        self.condition = condition
        self.location = location
    }
}

public indirect enum RuleCondition: Sendable, Hashable {
    /// Every condition holds (true when empty).
    case all([RuleCondition])
    /// At least one holds.
    case any([RuleCondition])
    /// The condition does not hold. A comparison over an absent value is false, so `not` of it is true.
    case not(RuleCondition)
    /// A comparison of one operand with a literal.
    case compare(RuleOperand, RuleComparison)
}

/// What a comparison looks at.
public enum RuleOperand: Sendable, Hashable, CustomStringConvertible {
    /// A submitted field (`field: postcode`); for a postal address, a part (`field: new_address.postcode`).
    case field(id: String, part: String?)
    /// A fact about the applicant supplied by the caller.
    case fact(DecisionFact)

    public var description: String {
        switch self {
        case let .field(id, part): "field \(id)\(part.map { "." + $0 } ?? "")"
        case let .fact(fact): "fact \(fact.rawValue)"
        }
    }
}

/// A comparison with a literal, already typed against the operand at load time.
public enum RuleComparison: Sendable, Hashable {
    /// Value is present (`present: true`) or absent (`present: false`).
    case present(Bool)
    case equals(RuleLiteral)
    case notEquals(RuleLiteral)
    /// Value is one of the literals.
    case isIn([RuleLiteral])
    case lessThan(RuleLiteral)
    case atMost(RuleLiteral)
    case greaterThan(RuleLiteral)
    case atLeast(RuleLiteral)
    /// Some part of the text value matches the pattern.
    case matches(FieldPattern)
}

/// A literal in a rule, typed to match its operand.
public enum RuleLiteral: Sendable, Hashable {
    case text(String)
    case number(ExactDecimal)
    case date(DateBound)
    case minorUnits(Int64)
    case boolean(Bool)
}

/// Facts about the applicant that the caller supplies to rule evaluation (never stored by the catalog).
public enum DecisionFact: String, Sendable, Hashable, CaseIterable {
    /// The signed-in citizen is the person the request is about.
    case applicantIsSubject = "applicant_is_subject"
    /// The applicant's age in whole years on the day of submission.
    case applicantAgeYears = "applicant_age_years"
    /// The applicant's profile holds a postal address.
    case hasProfileAddress = "has_profile_address"
    /// The applicant has a verified email address.
    case hasVerifiedEmail = "has_verified_email"

    /// Whether the fact is a number (else a yes/no).
    public var isNumeric: Bool { self == .applicantAgeYears }
}

/// The values of ``DecisionFact``s for one evaluation; a fact left out is unknown and makes
/// every comparison over it false.
public struct DecisionFacts: Sendable, Hashable {
    /// Yes/no facts.
    public var flags: [DecisionFact: Bool]
    /// Numeric facts.
    public var numbers: [DecisionFact: Int]

    /// Facts from the common ones.
    public init(
        applicantIsSubject: Bool? = nil, applicantAgeYears: Int? = nil,
        hasProfileAddress: Bool? = nil, hasVerifiedEmail: Bool? = nil
    ) {
        flags = [:]
        numbers = [:]
        flags[.applicantIsSubject] = applicantIsSubject
        flags[.hasProfileAddress] = hasProfileAddress
        flags[.hasVerifiedEmail] = hasVerifiedEmail
        numbers[.applicantAgeYears] = applicantAgeYears
    }
}

/// The result of running a service's rules over a request.
public struct AutomaticDecision: Sendable, Hashable {
    /// What was decided.
    public enum Outcome: Sendable, Hashable {
        case approve
        /// Rejected; `reason` is shown to the citizen.
        case reject(reason: String)
        /// A caseworker decides.
        case review
    }

    /// The outcome.
    public let outcome: Outcome
    /// The rule that decided, for the audit log; `nil` when no rule matched (review by default).
    public let ruleID: String?
}

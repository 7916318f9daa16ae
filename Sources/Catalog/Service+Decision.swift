extension Service {
    /// Runs the automatic decision rules over validated values.
    ///
    /// Rules are tried in order and the first whose condition holds decides; when none does (or the
    /// service is decided on review) the request goes to review. A comparison over an absent value or
    /// an unknown fact is false, so missing information never approves anything by itself.
    ///
    /// - Parameters:
    ///   - values: values returned by ``validate(_:partial:today:)``.
    ///   - facts: facts about the applicant supplied by the caller.
    ///   - today: the day relative dates in rules resolve against.
    /// - Returns: the outcome and the id of the deciding rule, for the audit log.
    public func decide(
        _ values: [String: FieldValue], facts: DecisionFacts, today: CalendarDate = .today()
    ) -> AutomaticDecision {
        guard decisionOn == .submission else { return AutomaticDecision(outcome: .review, ruleID: nil) }
        for rule in rules where rule.condition.holds(values: values, facts: facts, today: today) {
            switch rule.outcome {
            case .approve: return AutomaticDecision(outcome: .approve, ruleID: rule.id)
            case let .reject(reason): return AutomaticDecision(outcome: .reject(reason: reason), ruleID: rule.id)
            case .review: return AutomaticDecision(outcome: .review, ruleID: rule.id)
            }
        }
        return AutomaticDecision(outcome: .review, ruleID: nil)
    }
}

extension Service {
    /// The office a submitted request goes to: that of the first routing rule whose condition holds over the
    /// validated values, or `nil` (the installation's default office) when none does.
    public func office(for values: [String: FieldValue], facts: DecisionFacts, today: CalendarDate = .today()) -> String? {
        routing.first { $0.condition?.holds(values: values, facts: facts, today: today) ?? true }?.office
    }
}

/// A value as rules see it.
enum RuleValue: Equatable {
    case text(String)
    case number(ExactDecimal)
    case date(CalendarDate)
    case minorUnits(Int64)
    case boolean(Bool)

    init(_ value: FieldValue) {
        switch value {
        case let .text(s), let .email(s), let .phone(s), let .nationalID(s), let .choice(s), let .fileReference(s):
            self = .text(s)
        case let .number(n): self = .number(n)
        case let .date(d): self = .date(d)
        case let .money(m): self = .minorUnits(m.minorUnits)
        case let .boolean(b): self = .boolean(b)
        case let .postalAddress(a): self = .text(a.canonicalLine)
        }
    }
}

extension PostalAddress {
    var canonicalLine: String { [line1, line2, city, postcode, country].compactMap { $0 }.joined(separator: ", ") }
}

extension RuleCondition {
    func holds(values: [String: FieldValue], facts: DecisionFacts, today: CalendarDate) -> Bool {
        switch self {
        case let .all(conditions): return conditions.allSatisfy { $0.holds(values: values, facts: facts, today: today) }
        case let .any(conditions): return conditions.contains { $0.holds(values: values, facts: facts, today: today) }
        case let .not(condition): return !condition.holds(values: values, facts: facts, today: today)
        case let .compare(operand, comparison):
            let value = operand.value(values: values, facts: facts)
            return comparison.holds(for: value, today: today)
        }
    }
}

extension RuleOperand {
    func value(values: [String: FieldValue], facts: DecisionFacts) -> RuleValue? {
        switch self {
        case let .field(id, part):
            guard let value = values[id] else { return nil }
            if let part {
                guard case let .postalAddress(address) = value, let text = address.part(part) else { return nil }
                return .text(text)
            }
            return RuleValue(value)
        case let .fact(fact):
            if fact.isNumeric { return facts.numbers[fact].map { .number(ExactDecimal($0)) } }
            return facts.flags[fact].map { .boolean($0) }
        }
    }
}

extension RuleComparison {
    func holds(for value: RuleValue?, today: CalendarDate) -> Bool {
        if case let .present(expected) = self { return (value != nil) == expected }
        guard let value else { return false }
        switch self {
        case .present: return false
        case let .equals(literal): return order(value, literal, today) == 0
        case let .notEquals(literal): return order(value, literal, today).map { $0 != 0 } ?? false
        case let .isIn(literals): return literals.contains { order(value, $0, today) == 0 }
        case let .lessThan(literal): return order(value, literal, today).map { $0 < 0 } ?? false
        case let .atMost(literal): return order(value, literal, today).map { $0 <= 0 } ?? false
        case let .greaterThan(literal): return order(value, literal, today).map { $0 > 0 } ?? false
        case let .atLeast(literal): return order(value, literal, today).map { $0 >= 0 } ?? false
        case let .matches(pattern):
            guard case let .text(text) = value else { return false }
            return pattern.matchesPart(text)
        }
    }

    /// -1, 0, 1, or `nil` when the kinds differ (the loader prevents that).
    private func order(_ value: RuleValue, _ literal: RuleLiteral, _ today: CalendarDate) -> Int? {
        func cmp<T: Comparable>(_ a: T, _ b: T) -> Int { a < b ? -1 : (a == b ? 0 : 1) }
        switch (value, literal) {
        case let (.text(a), .text(b)): return cmp(a, b)
        case let (.number(a), .number(b)): return cmp(a, b)
        case let (.date(a), .date(b)): return cmp(a, b.resolve(today: today))
        case let (.minorUnits(a), .minorUnits(b)): return cmp(a, b)
        case let (.boolean(a), .boolean(b)): return a == b ? 0 : 1
        default: return nil
        }
    }
}

/// Explains a decision rule by rule: which rules matched and why each other rule did not.
///
/// ```swift
/// let explanation = PolicyExplainer(policySet).explain(request)
/// print(explanation.render())
/// ```
public struct PolicyExplainer: Sendable {
    public let policySet: PolicySet

    public init(_ policySet: PolicySet) { self.policySet = policySet }

    /// Explains one request.
    public func explain(_ request: RequestDescription) -> PolicyExplanation {
        explain(request.principal, request.action, request.resource, request.context)
    }

    /// Explains one request.
    public func explain(_ principal: Principal, _ action: Action, _ resource: Resource, _ context: Context) -> PolicyExplanation {
        let decision = Gate(policySet).decide(principal, action, resource, context)
        let traces = policySet.rules.map { rule in
            RuleTrace(ruleID: rule.id, effect: rule.effect, location: rule.location,
                      outcome: outcome(of: rule, principal, action, resource, context))
        }
        return PolicyExplanation(decision: decision, rules: traces)
    }

    private func outcome(of rule: PolicyRule, _ principal: Principal, _ action: Action, _ resource: Resource, _ context: Context) -> RuleTrace.Outcome {
        guard rule.actions.contains(action.rawValue) else { return .otherAction(rule.actions) }
        guard rule.resourceTypes.contains(resource.type) else { return .otherResourceType(rule.resourceTypes) }
        guard rule.applies(to: principal) else { return .otherRoles(rule.roles.map { $0.sorted() } ?? []) }
        if let failing = rule.firstFailingConjunct(principal, resource, context) { return .conditionFalse(failing) }
        if rule.effect == .deny { return .forbids }
        if let purposes = rule.purposes, !(context.purpose.map(purposes.contains) ?? false) {
            return .purposeUnmet(declared: context.purpose, required: purposes)
        }
        if rule.breakGlassLimit != nil, !context.hasJustification { return .justificationMissing }
        return .permits
    }
}

/// One rule's part in a decision.
public struct RuleTrace: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        case permits
        case forbids
        case otherAction([String])
        case otherResourceType([String])
        case otherRoles([String])
        /// The first part of the `when` condition that is false.
        case conditionFalse(String)
        case purposeUnmet(declared: String?, required: [String])
        case justificationMissing
    }

    public let ruleID: String
    public let effect: Effect
    public let location: SourceLocation
    public let outcome: Outcome

    /// Whether the rule took part in the decision.
    public var matched: Bool { outcome == .permits || outcome == .forbids }

    /// One line: `rule id (file:line) permit: why`.
    public func render() -> String {
        let kind = effect == .permit ? "permit" : "forbid"
        let why: String
        switch outcome {
        case .permits: why = "MATCHED, grants access"
        case .forbids: why = "MATCHED, forbids access"
        case .otherAction(let actions): why = "not applicable: action is not one of [\(actions.joined(separator: ", "))]"
        case .otherResourceType(let types): why = "not applicable: resource type is not one of [\(types.joined(separator: ", "))]"
        case .otherRoles(let roles): why = "not applicable: principal has none of the roles [\(roles.joined(separator: ", "))]"
        case .conditionFalse(let text): why = "condition false: `\(text)`"
        case .purposeUnmet(let declared, let required):
            why = "purpose \(declared.map { "`\($0)`" } ?? "(none declared)") is not one of [\(required.joined(separator: ", "))]"
        case .justificationMissing: why = "break-glass needs a written justification in the context"
        }
        return "\(kind) \(ruleID) (\(location.file):\(location.line)): \(why)"
    }
}

/// The result of ``PolicyExplainer/explain(_:)``.
public struct PolicyExplanation: Sendable {
    public let decision: Decision
    /// Every rule, in file order.
    public let rules: [RuleTrace]

    /// The decision, its field plan and obligations, then one line per rule.
    public func render() -> String {
        var lines: [String] = []
        let deciding = decision.ruleIDs.isEmpty ? "default deny" : decision.ruleIDs.joined(separator: ", ")
        lines.append("decision: \(decision.effect) (\(deciding)); purpose: \(decision.purpose ?? "none")")
        if decision.isPermitted {
            let plan = decision.fieldPlan
            var fields: [String] = []
            if plan.revealsAll {
                let exceptions = plan.wildcardExceptions ?? []
                fields.append("reveal *" + (exceptions.isEmpty ? "" : " except " + exceptions.sorted().joined(separator: ", ")))
            }
            if !plan.revealed.isEmpty { fields.append("reveal " + plan.revealed.sorted().joined(separator: ", ")) }
            if !plan.masked.isEmpty {
                fields.append("mask " + plan.masked.sorted { $0.key < $1.key }.map { "\($0.key) as \($0.value)" }.joined(separator: ", "))
            }
            lines.append("fields: " + (fields.isEmpty ? "none (all omitted)" : fields.joined(separator: "; ")))
            let obligations = decision.obligations
            if obligations.breakGlass {
                let limit = obligations.timeLimit.map { " for \($0.components.seconds / 60) min" } ?? ""
                lines.append("obligations: break-glass flagged in audit, mandatory review\(limit)")
            }
        }
        for reason in decision.reasons { lines.append("reason: \(reason)") }
        lines.append(contentsOf: rules.map { $0.render() })
        return lines.joined(separator: "\n")
    }
}

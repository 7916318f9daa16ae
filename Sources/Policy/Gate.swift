/// The one access decision: every read and write of citizen data asks it first.
///
/// ```swift
/// let decision = gate.decide(principal, .read, .request(owner: "c-1", service: "fee-payment"), Context())
/// guard decision.isPermitted else { throw … }
/// ```
public struct Gate: Sendable {
    public let policySet: PolicySet

    public init(_ policySet: PolicySet) { self.policySet = policySet }

    /// Decides whether `principal` may perform `action` on `resource` in `context`.
    ///
    /// Default deny; any matching forbid beats every permit; the field plan is the union over the matching
    /// permits; a permit whose purpose requirement is unmet, or a break-glass permit without a written
    /// justification, does not apply and says so in the reasons. Synchronous and allocation-light.
    public func decide(_ principal: Principal, _ action: Action, _ resource: Resource, _ context: Context) -> Decision {
        let key = PolicySet.IndexKey(action: action.rawValue, resourceType: resource.type)
        guard let bucket = policySet.index[key] else {
            return Decision(effect: .deny, ruleIDs: [], fieldPlan: .empty, obligations: .none, purpose: context.purpose, reasons: [.defaultDeny])
        }
        var forbiddenBy: [String] = []
        let forbids = bucket.forbids(for: principal)
        for rule in forbids.rules where (forbids.rolesChecked || rule.applies(to: principal))
            && rule.conditionHolds(principal, resource, context)
        {
            forbiddenBy.append(rule.id)
        }
        if !forbiddenBy.isEmpty {
            return Decision(effect: .deny, ruleIDs: forbiddenBy, fieldPlan: .empty, obligations: .none,
                            purpose: context.purpose, reasons: forbiddenBy.map { .forbidden(rule: $0) })
        }
        var permittedBy: [String] = []
        var reasons: [DecisionReason] = []
        var plan = FieldPlan.empty
        var obligations = Obligations.none
        var service: String?
        if case .string(let name)? = resource.attributes["service"] { service = name }
        let permits = bucket.permits(for: principal)
        for rule in permits.rules where (permits.rolesChecked || rule.applies(to: principal))
            && rule.conditionHolds(principal, resource, context)
        {
            if let purposes = rule.purposes, !(context.purpose.map(purposes.contains) ?? false) {
                reasons.append(.purposeUnmet(rule: rule.id, declared: context.purpose, required: purposes))
                continue
            }
            if let limit = rule.breakGlassLimit {
                guard context.hasJustification else {
                    reasons.append(.justificationMissing(rule: rule.id))
                    continue
                }
                obligations.breakGlass = true
                obligations.mandatoryReview = true
                obligations.timeLimit = min(obligations.timeLimit ?? limit, limit)
            }
            permittedBy.append(rule.id)
            reasons.append(.permitted(rule: rule.id))
            rule.grants.add(to: &plan, service: service)
        }
        guard !permittedBy.isEmpty else {
            reasons.append(.defaultDeny)
            return Decision(effect: .deny, ruleIDs: [], fieldPlan: .empty, obligations: .none, purpose: context.purpose, reasons: reasons)
        }
        plan.normalize()
        return Decision(effect: .permit, ruleIDs: permittedBy, fieldPlan: plan, obligations: obligations,
                        purpose: context.purpose, reasons: reasons)
    }
}

/// One checked, compiled rule of a loaded policy set.
public final class PolicyRule: Sendable {
    /// The explicit id (`rule "id"`) or `file:line`.
    public let id: String
    /// `.permit` for a permit, `.deny` for a forbid.
    public let effect: Effect
    public let location: SourceLocation
    /// The rule as written, on one line.
    public let text: String
    /// `nil` for `anyone`.
    public let roles: Set<String>?
    public let actions: [String]
    public let resourceTypes: [String]
    /// The purposes the rule requires, if it requires one.
    public let purposes: [String]?
    /// The break-glass time limit when the rule is a break-glass permit.
    public let breakGlassLimit: Duration?

    /// Top-level conjuncts of the `when` clause with their source text, for explanations.
    let conjuncts: [(condition: Condition, text: String)]
    let grants: FieldGrants

    init(
        id: String, effect: Effect, location: SourceLocation, text: String, roles: Set<String>?, actions: [String],
        resourceTypes: [String], purposes: [String]?, breakGlassLimit: Duration?,
        conjuncts: [(condition: Condition, text: String)], grants: FieldGrants
    ) {
        self.id = id
        self.effect = effect
        self.location = location
        self.text = text
        self.roles = roles
        self.actions = actions
        self.resourceTypes = resourceTypes
        self.purposes = purposes
        self.breakGlassLimit = breakGlassLimit
        self.conjuncts = conjuncts
        self.grants = grants
    }

    /// Whether the principal holds one of the rule's roles.
    @inline(__always)
    func applies(to principal: Principal) -> Bool {
        guard let roles else { return true }
        return !roles.isDisjoint(with: principal.roles)
    }

    /// Whether every conjunct of the condition holds.
    @inline(__always)
    func conditionHolds(_ principal: Principal, _ resource: Resource, _ context: Context) -> Bool {
        for conjunct in conjuncts where !conjunct.condition.evaluate(principal, resource, context) { return false }
        return true
    }

    /// The first conjunct that fails, for explanations.
    func firstFailingConjunct(_ principal: Principal, _ resource: Resource, _ context: Context) -> String? {
        conjuncts.first { !$0.condition.evaluate(principal, resource, context) }?.text
    }
}

/// The fields one permit reveals and masks, unqualified and per service.
struct FieldGrants: Sendable {
    var reveals: Set<String> = []
    var masks: [String: MaskStyle] = [:]
    var wildcard = false
    var serviceReveals: [String: Set<String>] = [:]
    var serviceMasks: [String: [String: MaskStyle]] = [:]

    static let none = FieldGrants()

    /// Adds this permit's grants for a record of `service` to a plan.
    func add(to plan: inout FieldPlan, service: String?) {
        guard !serviceReveals.isEmpty || !serviceMasks.isEmpty, let service else {
            plan.merge(reveals: reveals, masks: masks, wildcard: wildcard)
            return
        }
        var allReveals = reveals
        var allMasks = masks
        if let extra = serviceReveals[service] { allReveals.formUnion(extra) }
        if let extra = serviceMasks[service] { allMasks.merge(extra) { first, _ in first } }
        plan.merge(reveals: allReveals, masks: allMasks, wildcard: wildcard)
    }
}

/// A loaded, checked and indexed set of rules. Immutable; share it freely.
public final class PolicySet: Sendable {
    struct IndexKey: Hashable, Sendable {
        let action: String
        let resourceType: String
    }

    /// The rules for one (action, resource type), also split by role so a one-role principal (the usual
    /// case) only looks at rules for its role and `anyone`.
    struct Bucket: Sendable {
        var forbids: [PolicyRule] = []
        var permits: [PolicyRule] = []
        var forbidsByRole: [String: [PolicyRule]] = [:]
        var permitsByRole: [String: [PolicyRule]] = [:]
        var anyoneForbids: [PolicyRule] = []
        var anyonePermits: [PolicyRule] = []

        mutating func add(_ rule: PolicyRule, roles allRoles: [String]) {
            let deny = rule.effect == .deny
            if deny { forbids.append(rule) } else { permits.append(rule) }
            if rule.roles == nil {
                if deny { anyoneForbids.append(rule) } else { anyonePermits.append(rule) }
            }
            for role in allRoles where rule.roles?.contains(role) ?? true {
                if deny {
                    forbidsByRole[role, default: []].append(rule)
                } else {
                    permitsByRole[role, default: []].append(rule)
                }
            }
        }

        /// The forbids that may apply to `principal`, and whether their roles are already known to match.
        @inline(__always)
        func forbids(for principal: Principal) -> (rules: [PolicyRule], rolesChecked: Bool) {
            guard principal.roles.count == 1, let role = principal.roles.first else { return (forbids, false) }
            return (forbidsByRole[role] ?? anyoneForbids, true)
        }

        /// The permits that may apply to `principal`, and whether their roles are already known to match.
        @inline(__always)
        func permits(for principal: Principal) -> (rules: [PolicyRule], rolesChecked: Bool) {
            guard principal.roles.count == 1, let role = principal.roles.first else { return (permits, false) }
            return (permitsByRole[role] ?? anyonePermits, true)
        }
    }

    /// Every rule, in file and line order.
    public let rules: [PolicyRule]
    public let schema: PolicySchema
    public let fields: FieldCatalog
    /// The files the rules came from.
    public let files: [String]
    /// The exact texts loaded (schema first, then the policies), so what is in force can be recorded by digest.
    public let sources: [PolicySource]
    let index: [IndexKey: Bucket]

    init(rules: [PolicyRule], schema: PolicySchema, fields: FieldCatalog, files: [String], sources: [PolicySource] = []) {
        self.sources = sources
        self.rules = rules
        self.schema = schema
        self.fields = fields
        self.files = files
        var index: [IndexKey: Bucket] = [:]
        for rule in rules {
            for action in rule.actions {
                for type in rule.resourceTypes {
                    index[IndexKey(action: action, resourceType: type), default: Bucket()].add(rule, roles: schema.roles)
                }
            }
        }
        self.index = index
    }

    /// The rule with this id.
    public func rule(id: String) -> PolicyRule? { rules.first { $0.id == id } }

    /// A gate that decides with this set.
    public var gate: Gate { Gate(self) }
}

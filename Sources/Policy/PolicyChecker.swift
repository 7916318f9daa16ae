/// Checks parsed rules against the schema and compiles them. Reports every problem with a position and a
/// hint; a rule with any problem is not compiled.
struct PolicyChecker {
    let schema: PolicySchema
    let fields: FieldCatalog
    var diagnostics: [PolicyDiagnostic] = []
    private var file = ""

    init(schema: PolicySchema, fields: FieldCatalog) {
        self.schema = schema
        self.fields = fields
    }

    /// Checks all rules of all files together (rule ids are unique across files).
    mutating func check(_ files: [(file: String, rules: [RuleSyntax])]) -> [PolicyRule] {
        var compiled: [PolicyRule] = []
        var seenIDs: [String: SourceLocation] = [:]
        for (file, rules) in files {
            self.file = file
            for rule in rules {
                let before = diagnostics.count
                let id: String
                if let explicit = rule.explicitID {
                    id = explicit.value
                    if let first = seenIDs[id] {
                        report(.duplicateRuleID, explicit, "rule id \"\(id)\" is already used at \(first)",
                               hint: "give every rule its own id")
                    } else {
                        seenIDs[id] = location(explicit.line, explicit.column)
                    }
                    if id.isEmpty { report(.syntax, explicit, "a rule id cannot be empty") }
                } else {
                    id = "\(file):\(rule.line)"
                }
                let result = checkRule(rule, id: id)
                if diagnostics.count == before, let result { compiled.append(result) }
            }
        }
        checkShadowing(compiled)
        return compiled
    }

    private mutating func checkRule(_ rule: RuleSyntax, id: String) -> PolicyRule? {
        for role in rule.roles ?? [] where !schema.roles.contains(role.value) {
            report(.unknownRole, role, "unknown role `\(role.value)`",
                   hint: Spelling.hint(for: role.value, among: schema.roles) ?? "known roles: \(schema.roles.joined(separator: ", "))")
        }
        for action in rule.actions where !schema.actions.contains(action.value) {
            report(.unknownAction, action, "unknown action `\(action.value)`",
                   hint: Spelling.hint(for: action.value, among: schema.actions) ?? "add it to the schema's actions if it is new")
        }
        var types: [ResourceDeclaration] = []
        for type in rule.resourceTypes {
            if let declaration = schema.resources[type.value] {
                types.append(declaration)
            } else {
                report(.unknownResourceType, type, "unknown resource type `\(type.value)`",
                       hint: Spelling.hint(for: type.value, among: schema.resources.keys) ?? "known types: \(schema.resourceTypes.joined(separator: ", "))")
            }
        }
        if rule.effect == .deny {
            if let clause = rule.purposeClause {
                report(.misplacedClause, clause, "a forbid cannot require a purpose",
                       hint: "write the condition in `when`, e.g. `when context.purpose != \"…\"`")
            }
            if let first = rule.reveals.first {
                report(.misplacedClause, first, "a forbid reveals nothing", hint: "move `reveal` to a permit")
            }
            if let first = rule.masks.first?.field {
                report(.misplacedClause, first, "a forbid masks nothing", hint: "move `mask` to a permit")
            }
            if let breakGlass = rule.breakGlass {
                report(.misplacedClause, breakGlass, "only a permit can be break-glass")
            }
        }
        for purpose in rule.purposes ?? [] where !schema.purposes.contains(purpose.value) {
            report(.unknownPurpose, purpose, "unknown purpose \"\(purpose.value)\"",
                   hint: Spelling.hint(for: purpose.value, among: schema.purposes) ?? "declared purposes: \(schema.purposes.joined(separator: ", "))")
        }
        guard types.count == rule.resourceTypes.count else { return nil }

        var conjuncts: [(condition: Condition, text: String)] = []
        var conjunctSyntax: [Expression] = []
        if let condition = rule.condition {
            var checker = ConditionChecker(schema: schema, fields: fields, resourceTypes: types, file: file)
            for conjunct in condition.conjuncts {
                if let compiled = checker.compile(conjunct, expecting: .bool) {
                    conjuncts.append((compiled, conjunct.description))
                    conjunctSyntax.append(conjunct)
                }
            }
            diagnostics += checker.diagnostics
            if checker.diagnostics.isEmpty {
                checkSatisfiable(conjunctSyntax, rule: rule)
            }
        }
        let services = serviceScope(conjunctSyntax)
        let grants = checkFields(rule, types: types, services: services)
        return PolicyRule(
            id: id, effect: rule.effect, location: location(rule.line, rule.column), text: rule.text,
            roles: rule.roles.map { Set($0.map(\.value)) }, actions: rule.actions.map(\.value),
            resourceTypes: rule.resourceTypes.map(\.value), purposes: rule.purposes?.map(\.value),
            breakGlassLimit: rule.breakGlass.map { .seconds($0.value) }, conjuncts: conjuncts, grants: grants)
    }

    /// The services a rule is restricted to by a top-level `resource.service == "…"` or `in [...]`.
    private func serviceScope(_ conjuncts: [Expression]) -> Set<String>? {
        var scope: Set<String>?
        for conjunct in conjuncts {
            var named: Set<String>?
            switch conjunct.node {
            case .compare(.equal, let lhs, let rhs):
                if case .path(let path) = lhs.node, path == AttributePath(root: .resource, name: "service"),
                    case .literal(.string(let value)) = rhs.node
                {
                    named = [value]
                } else if case .path(let path) = rhs.node, path == AttributePath(root: .resource, name: "service"),
                    case .literal(.string(let value)) = lhs.node
                {
                    named = [value]
                }
            case .member(let lhs, let rhs):
                if case .path(let path) = lhs.node, path == AttributePath(root: .resource, name: "service"),
                    case .list(let items) = rhs.node
                {
                    named = Set(items.compactMap { item in
                        if case .literal(.string(let value)) = item.node { return value }
                        return nil
                    })
                }
            default: break
            }
            if let named { scope = scope.map { $0.intersection(named) } ?? named }
        }
        return scope
    }

    // MARK: Reporting

    func location(_ line: Int, _ column: Int) -> SourceLocation { SourceLocation(file: file, line: line, column: column) }

    mutating func report<T>(_ kind: PolicyDiagnostic.Kind, _ at: Located<T>, _ message: String, hint: String? = nil) {
        diagnostics.append(PolicyDiagnostic(kind, at: location(at.line, at.column), message, hint: hint))
    }

    mutating func report(_ kind: PolicyDiagnostic.Kind, line: Int, column: Int, _ message: String, hint: String? = nil) {
        diagnostics.append(PolicyDiagnostic(kind, at: location(line, column), message, hint: hint))
    }
}

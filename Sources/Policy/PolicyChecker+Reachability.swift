extension PolicyChecker {
    /// Reports a condition that can never hold: `x == "a" and x == "b"`, `x in []`, `x and not x`,
    /// `n < 3 and n > 5`, or a break-glass permit requiring `not context.break_glass`.
    mutating func checkSatisfiable(_ conjuncts: [Expression], rule: RuleSyntax) {
        var allowed: [AttributePath: Set<AttributeValue>] = [:]
        var excluded: [AttributePath: Set<AttributeValue>] = [:]
        var lower: [AttributePath: Int] = [:]
        var upper: [AttributePath: Int] = [:]
        if rule.breakGlass != nil {
            allowed[AttributePath(root: .context, name: "break_glass")] = [.bool(true)]
        }
        if let purposes = rule.purposes {
            allowed[AttributePath(root: .context, name: "purpose")] = Set(purposes.map { .string($0.value) })
        }
        func restrict(_ path: AttributePath, to values: Set<AttributeValue>) {
            allowed[path] = allowed[path].map { $0.intersection(values) } ?? values
        }
        for conjunct in conjuncts {
            switch conjunct.node {
            case .literal(.bool(false)):
                report(.unreachableRule, line: conjunct.line, column: conjunct.column, "the condition is always false, so the rule never applies")
                return
            case .path(let path):
                restrict(path, to: [.bool(true)])
            case .not(let inner):
                if case .path(let path) = inner.node { restrict(path, to: [.bool(false)]) }
                if case .compare(.equal, let lhs, let rhs) = inner.node, let (path, value) = pathAndLiteral(lhs, rhs) {
                    excluded[path, default: []].insert(value)
                }
            case .compare(let op, let lhs, let rhs):
                guard let (path, value) = pathAndLiteral(lhs, rhs) else { continue }
                let flipped: Bool
                if case .literal = lhs.node { flipped = true } else { flipped = false }
                switch (op, value) {
                case (.equal, _): restrict(path, to: [value])
                case (.notEqual, _): excluded[path, default: []].insert(value)
                case (.less, .int(let n)): flipped ? raise(&lower, path, n + 1) : lowerBound(&upper, path, n - 1)
                case (.lessOrEqual, .int(let n)): flipped ? raise(&lower, path, n) : lowerBound(&upper, path, n)
                case (.greater, .int(let n)): flipped ? lowerBound(&upper, path, n - 1) : raise(&lower, path, n + 1)
                case (.greaterOrEqual, .int(let n)): flipped ? lowerBound(&upper, path, n) : raise(&lower, path, n)
                default: break
                }
            case .member(let lhs, let rhs):
                if case .path(let path) = lhs.node, case .list(let items) = rhs.node {
                    restrict(path, to: Set(items.compactMap { item in
                        if case .literal(let value) = item.node { return value }
                        return nil
                    }))
                }
            default:
                continue
            }
        }
        for (path, values) in allowed {
            var remaining = values.subtracting(excluded[path] ?? [])
            remaining = remaining.filter { value in
                guard case .int(let n) = value else { return true }
                return n >= (lower[path] ?? Int.min) && n <= (upper[path] ?? Int.max)
            }
            if remaining.isEmpty {
                report(.unreachableRule, line: rule.line, column: rule.column,
                       "the conditions on `\(path)` contradict each other, so the rule never applies",
                       hint: "a value cannot be two things at once; did you mean `or`?")
                return
            }
        }
        for (path, low) in lower where low > (upper[path] ?? Int.max) {
            report(.unreachableRule, line: rule.line, column: rule.column,
                   "no number satisfies the bounds on `\(path)`, so the rule never applies")
            return
        }
    }

    private func pathAndLiteral(_ lhs: Expression, _ rhs: Expression) -> (AttributePath, AttributeValue)? {
        if case .path(let path) = lhs.node, case .literal(let value) = rhs.node { return (path, value) }
        if case .path(let path) = rhs.node, case .literal(let value) = lhs.node { return (path, value) }
        return nil
    }

    private func raise(_ bounds: inout [AttributePath: Int], _ path: AttributePath, _ value: Int) {
        bounds[path] = max(bounds[path] ?? Int.min, value)
    }

    private func lowerBound(_ bounds: inout [AttributePath: Int], _ path: AttributePath, _ value: Int) {
        bounds[path] = min(bounds[path] ?? Int.max, value)
    }

    /// Reports a permit that an unconditional forbid for the same roles, actions and resource types
    /// always overrides.
    mutating func checkShadowing(_ rules: [PolicyRule]) {
        let blanket = rules.filter { $0.effect == .deny && $0.conjuncts.isEmpty }
        guard !blanket.isEmpty else { return }
        for permit in rules where permit.effect == .permit {
            var shadowedBy: PolicyRule?
            let covered = permit.actions.allSatisfy { action in
                permit.resourceTypes.allSatisfy { type in
                    let forbid = blanket.first { forbid in
                        forbid.actions.contains(action) && forbid.resourceTypes.contains(type)
                            && (forbid.roles == nil || (permit.roles.map { !$0.isEmpty && $0.isSubset(of: forbid.roles!) } ?? false))
                    }
                    shadowedBy = shadowedBy ?? forbid
                    return forbid != nil
                }
            }
            if covered, let forbid = shadowedBy {
                diagnostics.append(PolicyDiagnostic(
                    .unreachableRule, at: permit.location,
                    "permit \(permit.id) can never apply: the unconditional forbid \(forbid.id) at \(forbid.location) always overrides it",
                    hint: "add a `when` condition to the forbid or remove the permit"))
            }
        }
    }
}

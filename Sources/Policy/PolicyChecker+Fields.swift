extension PolicyChecker {
    /// Checks every field a permit reveals or masks exists for its resource types (and services in scope),
    /// and builds the permit's grants.
    mutating func checkFields(_ rule: RuleSyntax, types: [ResourceDeclaration], services scope: Set<String>?) -> FieldGrants {
        var grants = FieldGrants()
        let knownServices = Set(fields.serviceFields.keys)
        if let scope {
            for service in scope.subtracting(knownServices).sorted() {
                report(.unknownService, line: rule.line, column: rule.column, "unknown service \"\(service)\" in `resource.service`",
                       hint: Spelling.hint(for: service, among: knownServices))
            }
        }
        let servicesInScope = scope.map { $0.intersection(knownServices) } ?? knownServices
        var revealed: Set<FieldReference> = []
        for reference in rule.reveals {
            guard check(reference, types: types, services: servicesInScope, scoped: scope != nil) else { continue }
            revealed.insert(reference.value)
            let value = reference.value
            if value.isWildcard {
                grants.wildcard = true
            } else if let service = value.service {
                grants.serviceReveals[service, default: []].insert(value.field)
            } else {
                grants.reveals.insert(value.field)
            }
        }
        for (reference, styleName) in rule.masks {
            guard let style = MaskStyle(rawValue: styleName.value) else {
                report(.unknownMaskStyle, styleName, "unknown mask style `\(styleName.value)`",
                       hint: Spelling.hint(for: styleName.value, among: MaskStyle.allCases.map(\.rawValue))
                           ?? "styles: " + MaskStyle.allCases.map(\.rawValue).joined(separator: ", "))
                continue
            }
            if reference.value.isWildcard {
                report(.syntax, reference, "`mask *` is not supported", hint: "mask fields by name; unnamed fields are omitted anyway")
                continue
            }
            guard check(reference, types: types, services: servicesInScope, scoped: scope != nil) else { continue }
            if revealed.contains(reference.value) {
                report(.unreachableRule, reference, "`\(reference.value)` is both revealed and masked; reveal wins, so the mask never applies",
                       hint: "remove it from one of the two")
                continue
            }
            let value = reference.value
            if let service = value.service {
                grants.serviceMasks[service, default: [:]][value.field] = style
            } else {
                grants.masks[value.field] = style
            }
        }
        return grants
    }

    /// Whether one `reveal`/`mask` field exists; reports it when not.
    private mutating func check(_ reference: Located<FieldReference>, types: [ResourceDeclaration], services: Set<String>, scoped: Bool) -> Bool {
        let value = reference.value
        if value.isWildcard { return true }
        var candidates: Set<String> = []
        for type in types {
            switch type.fields {
            case .none:
                candidates.formUnion(fields.resourceFields[type.name] ?? [])
            case .list(let listed):
                candidates.formUnion(listed.union(fields.resourceFields[type.name] ?? []))
            case .services:
                if let service = value.service {
                    guard fields.serviceFields[service] != nil else {
                        report(.unknownService, reference, "unknown service `\(service)` in field `\(value)`",
                               hint: Spelling.hint(for: service, among: fields.serviceFields.keys))
                        return false
                    }
                    guard services.contains(service) else {
                        report(.unknownField, reference, "field `\(value)` belongs to a service this rule excludes by its `resource.service` condition",
                               hint: "qualify with a service in scope or drop the qualifier")
                        return false
                    }
                    candidates.formUnion(fields.serviceFields[service] ?? [])
                } else {
                    for service in services { candidates.formUnion(fields.serviceFields[service] ?? []) }
                }
            }
        }
        if value.service != nil, !types.contains(where: { $0.fields == .services }) {
            report(.unknownField, reference, "only request fields can be qualified by a service; `\(value)` is on \(types.map(\.name).joined(separator: ", "))",
                   hint: "write `\(value.field)`")
            return false
        }
        guard candidates.contains(value.field) else {
            let whereText = scoped ? "in the services this rule is restricted to" : "in any service or resource type of this rule"
            report(.unknownField, reference, "no field `\(value.field)` \(whereText) (\(types.map(\.name).joined(separator: ", ")))",
                   hint: Spelling.hint(for: value.field, among: candidates) ?? (candidates.isEmpty ? "these resource types have no fields; use `reveal *` or nothing" : nil))
            return false
        }
        return true
    }
}

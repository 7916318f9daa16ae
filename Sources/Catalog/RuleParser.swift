import Yams

/// Turns `rules:` into decision rules, checking every condition against the service's current fields.
struct RuleParser {
    let sink: DiagnosticSink
    let fields: [String: FieldDefinition]
    let removedFieldIDs: Set<String>
    let languages: [String]

    static let ruleKeys = ["id", "outcome", "reason", "when"]
    static let comparisonKeys = ["present", "equals", "not_equals", "in", "less_than", "at_most", "greater_than",
                                 "at_least", "matches"]
    private static let maximumDepth = 16

    func parseRules(_ nodes: [Node]) -> [DecisionRule] {
        var rules: [DecisionRule] = []
        var ids: Set<String> = []
        for node in nodes {
            guard let reader = MappingReader(node, what: "a rule", sink: sink) else { continue }
            reader.rejectUnknownKeys(allowed: Self.ruleKeys)
            let id = reader.string("id", required: true)
            let what = id.map { "rule `\($0)`" } ?? "a rule"
            if let id, !ids.insert(id).inserted {
                sink.error(.invalidValue, at: reader.value("id"), "rule id `\(id)` is used twice",
                           hint: "rule ids appear in the audit log; make each one unique")
            }
            let reason = reader.text("reason", languages: languages)
            var outcome: DecisionRule.Outcome?
            switch reader.string("outcome", required: true) {
            case "approve"?: outcome = .approve
            case "review"?: outcome = .review
            case "reject"?:
                if let reason, !reason.defaultText.isEmpty {
                    outcome = .reject(reason: reason.defaultText)
                } else {
                    sink.error(.missingKey, at: node, "\(what) rejects without a `reason`",
                               hint: "add `reason:` with the sentence the citizen will see")
                }
            case let other?:
                sink.error(.invalidValue, at: reader.value("outcome"), "unknown outcome `\(other.prefix(32))` in \(what)",
                           hint: "use approve, reject or review")
            case nil: break
            }
            if reason != nil, case .reject? = outcome {} else if reader.has("reason"), outcome != nil {
                sink.error(.invalidValue, at: reader.keyNode("reason"), "`reason` only applies to reject rules",
                           hint: "remove it from \(what)")
            }
            let condition = reader.value("when", required: true).flatMap { parseCondition($0, depth: 0) }
            if let id, let outcome, let condition {
                var rejection: LocalizedText?
                if case .reject = outcome { rejection = reason }
                rules.append(DecisionRule(id: id, outcome: outcome, reason: rejection, condition: condition,
                                          location: sink.location(of: node)))
            }
        }
        return rules
    }

    func parseCondition(_ node: Node, depth: Int) -> RuleCondition? {
        guard depth < Self.maximumDepth else {
            sink.error(.invalidValue, at: node, "conditions are nested too deeply", hint: "simplify the rule")
            return nil
        }
        guard let reader = MappingReader(node, what: "a condition", sink: sink) else { return nil }
        let heads = ["all", "any", "not", "field", "fact"].filter(reader.has)
        guard heads.count == 1, let head = heads.first else {
            sink.error(.invalidValue, at: node, "a condition needs exactly one of all, any, not, field or fact",
                       hint: "combine several conditions with `all:` or `any:`")
            return nil
        }
        switch head {
        case "all", "any":
            reader.rejectUnknownKeys(allowed: [head])
            guard let items = reader.list(head) else { return nil }
            let parsed = items.map { parseCondition($0, depth: depth + 1) }
            guard parsed.allSatisfy({ $0 != nil }) else { return nil }
            return head == "all" ? .all(parsed.compactMap { $0 }) : .any(parsed.compactMap { $0 })
        case "not":
            reader.rejectUnknownKeys(allowed: ["not"])
            return reader.value("not").flatMap { parseCondition($0, depth: depth + 1) }.map { .not($0) }
        default:
            reader.rejectUnknownKeys(allowed: [head] + Self.comparisonKeys)
            return parseComparison(reader, head: head)
        }
    }

    private func parseComparison(_ reader: MappingReader, head: String) -> RuleCondition? {
        guard let name = reader.string(head) else { return nil }
        let ops = Self.comparisonKeys.filter(reader.has)
        guard ops.count == 1, let op = ops.first, let literalNode = reader.value(op) else {
            sink.error(.invalidValue, at: reader.node, "a comparison needs exactly one of \(Self.comparisonKeys.joined(separator: ", "))",
                       hint: "for example `equals: true` or `at_least: 18`")
            return nil
        }
        guard let (operand, kind) = resolveOperand(head: head, name: name, at: reader.value(head)) else { return nil }
        let comparison = OperandTyping(kind: kind, sink: sink).comparison(op: op, literal: literalNode, operand: operand)
        return comparison.map { .compare(operand, $0) }
    }

    private func resolveOperand(head: String, name: String, at node: Node?) -> (RuleOperand, OperandKind)? {
        if head == "fact" {
            guard let fact = DecisionFact(rawValue: name) else {
                sink.error(.invalidValue, at: node, "unknown fact `\(name.prefix(64))`",
                           hint: "known facts: \(DecisionFact.allCases.map(\.rawValue).joined(separator: ", "))")
                return nil
            }
            return (.fact(fact), fact.isNumeric ? .number : .boolean)
        }
        let pieces = name.split(separator: ".", maxSplits: 1).map(String.init)
        let id = pieces.first ?? name
        let part = pieces.count == 2 ? pieces[1] : nil
        guard let field = fields[id] else {
            let hint = removedFieldIDs.contains(id)
                ? "field `\(id)` was removed from the current version; rules can only use current fields"
                : "known fields: \(fields.keys.sorted().joined(separator: ", "))"
            sink.error(.unknownRuleField, at: node, "rule refers to unknown field `\(name.prefix(64))`", hint: hint)
            return nil
        }
        if let part {
            guard field.type == .postalAddress, PostalAddress.partNames.contains(part) else {
                sink.error(.ruleTypeMismatch, at: node, "`\(name.prefix(64))` is not a part of an address field",
                           hint: "parts exist only on postal_address fields: \(PostalAddress.partNames.sorted().joined(separator: ", "))")
                return nil
            }
            return (.field(id: id, part: part), .text)
        }
        return (.field(id: id, part: nil), OperandKind(field))
    }
}

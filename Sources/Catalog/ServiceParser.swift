import Yams

/// Turns one service file's YAML tree into a ``Service``, reporting every problem it finds.
struct ServiceParser {
    let sink: DiagnosticSink
    let defaultCurrency: Currency?
    /// The catalog's languages, default first, from branding.yaml.
    let languages: [String]

    static let serviceKeys = ["id", "title", "description", "needs", "duration", "version", "category", "decision_on",
                              "retention", "decide_within", "fee", "fields", "rules", "routing", "decision_reasons"]
    static let reasonKeys = ["id", "outcome", "text"]
    static let routingKeys = ["office", "when"]
    static let feeKeys = ["amount", "amount_field", "currency", "due", "refund_on_rejection"]

    func parse(_ root: Node) -> Service? {
        guard let reader = MappingReader(root, what: "the service", sink: sink) else { return nil }
        reader.rejectUnknownKeys(allowed: Self.serviceKeys)
        let id = reader.string("id", required: true)
        if let id, !Self.isKebabCase(id) {
            sink.error(.invalidValue, at: reader.value("id"), "service id `\(id.prefix(64))` must be kebab-case",
                       hint: "use lower-case letters, digits and single dashes, e.g. `change-of-address`")
        }
        let title = reader.text("title", required: true, languages: languages)
        let description = reader.text("description", languages: languages) ?? LocalizedText("")
        let needs = reader.text("needs", languages: languages)
        let duration = reader.text("duration", languages: languages)
        let version = reader.int("version", range: 1...1_000_000) ?? 1
        let category = reader.string("category") ?? "general"
        var decisionOn = Service.DecisionPoint.submission
        if let raw = reader.string("decision_on") {
            if let point = Service.DecisionPoint(rawValue: raw) { decisionOn = point } else {
                sink.error(.invalidValue, at: reader.value("decision_on"), "`decision_on` must be submission or review")
            }
        }
        var retention: RetentionPeriod?
        if let raw = reader.string("retention", required: true) {
            retention = RetentionPeriod(raw)
            if retention == nil {
                sink.error(.invalidValue, at: reader.value("retention"), "retention `\(raw.prefix(16))` is not a period",
                           hint: "write a number and a unit: 90d, 12w, 6m or 7y")
            }
        }
        var decideWithin: RetentionPeriod?
        if let raw = reader.string("decide_within") {
            if let period = RetentionPeriod(raw), period.unit == .days || period.unit == .weeks, period.approximateDays <= 366 {
                decideWithin = period
            } else {
                sink.error(.invalidValue, at: reader.value("decide_within"), "decide_within `\(raw.prefix(16))` is not a period of days or weeks up to a year",
                           hint: "write a number of days or weeks, e.g. 10d or 4w")
            }
        }
        let parsedFee = reader.value("fee").flatMap(parseFee)
        let fee = parsedFee?.fee
        let fieldParser = FieldParser(sink: sink, serviceVersion: version, defaultCurrency: defaultCurrency,
                                      languages: languages)
        let fieldNodes = reader.list("fields", required: true) ?? []
        let fields = fieldParser.parseFields(fieldNodes)
        if reader.has("fields"), fieldNodes.isEmpty {
            sink.error(.invalidValue, at: reader.value("fields"), "a service needs at least one field")
        }
        checkFieldRetention(fields, service: retention)
        if let parsedFee, let node = parsedFee.amountField { checkEnteredAmount(parsedFee.fee, at: node, fields: fields, version: version) }
        // Rules and routing may name only the current version's fields.
        let current = Dictionary(fields.filter { $0.isActive(at: version) }.map { ($0.id, $0) }) { first, _ in first }
        let conditions = RuleParser(sink: sink, fields: current, removedFieldIDs: Set(fields.map(\.id)).subtracting(current.keys),
                                    languages: languages)
        var rules: [DecisionRule] = []
        if let ruleNodes = reader.list("rules") {
            if decisionOn == .review, !ruleNodes.isEmpty {
                sink.error(.invalidValue, at: reader.keyNode("rules"), "rules never run when `decision_on` is review",
                           hint: "set `decision_on: submission` or remove the rules")
            }
            rules = conditions.parseRules(ruleNodes)
        }
        var routing: [RoutingRule] = []
        if let routingNodes = reader.list("routing") { routing = parseRouting(routingNodes, conditions: conditions) }
        let decisionReasons = reader.list("decision_reasons").map(parseDecisionReasons) ?? []
        guard let id, let title, let retention else { return nil }
        return Service(id: id, title: title, description: description, needs: needs, duration: duration,
                       version: version, category: category,
                       decisionOn: decisionOn, retention: retention, fee: fee, fields: fields, rules: rules,
                       routing: routing, sourceFile: sink.file, decideWithin: decideWithin, decisionReasons: decisionReasons)
    }

    /// `decision_reasons:` — a list of `{id: KEBAB-ID, outcome: approve|reject, text: TEXT}`, ids unique.
    private func parseDecisionReasons(_ nodes: [Node]) -> [DecisionReasonCode] {
        var reasons: [DecisionReasonCode] = []
        var seen: [String: Int] = [:]
        for node in nodes {
            guard let reader = MappingReader(node, what: "a decision reason", sink: sink) else { continue }
            reader.rejectUnknownKeys(allowed: Self.reasonKeys)
            let id = reader.string("id", required: true)
            if let id, !Self.isKebabCase(id) {
                sink.error(.invalidValue, at: reader.value("id"), "decision reason id `\(id.prefix(64))` must be kebab-case",
                           hint: "use lower-case letters, digits and single dashes, e.g. `income-above-threshold`")
            }
            if let id, let line = seen[id] {
                sink.error(.invalidValue, at: reader.value("id"), "decision reason `\(id.prefix(64))` is already defined at line \(line)",
                           hint: "give each reason its own id")
            }
            var outcome: DecisionReasonCode.Outcome?
            if let raw = reader.string("outcome", required: true) {
                outcome = DecisionReasonCode.Outcome(rawValue: raw)
                if outcome == nil {
                    sink.error(.invalidValue, at: reader.value("outcome"), "a decision reason's outcome must be approve or reject, not `\(raw.prefix(16))`",
                               hint: "write `outcome: approve` for a reason that explains an approval, `outcome: reject` for a rejection")
                }
            }
            let text = reader.text("text", required: true, languages: languages)
            guard let id, Self.isKebabCase(id), seen[id] == nil, let outcome, let text else { continue }
            seen[id] = node.mark?.line ?? 0
            reasons.append(DecisionReasonCode(id: id, outcome: outcome, text: text))
        }
        return reasons
    }

    /// `routing:` — a list of `{office: NAME, when: CONDITION}`; the last may omit `when` (every other request).
    private func parseRouting(_ nodes: [Node], conditions: RuleParser) -> [RoutingRule] {
        var routing: [RoutingRule] = []
        var catchAll: Node?
        for node in nodes {
            guard let reader = MappingReader(node, what: "a routing rule", sink: sink) else { continue }
            reader.rejectUnknownKeys(allowed: Self.routingKeys)
            if let earlier = catchAll {
                sink.error(.invalidValue, at: node, "this routing rule is never reached: the one at line \(earlier.mark?.line ?? 0) has no `when` and routes every request",
                           hint: "put the rule without `when` last")
            }
            let office = reader.string("office", required: true)
            if let office, !Self.isKebabCase(office) {
                sink.error(.invalidValue, at: reader.value("office"), "office `\(office.prefix(64))` must be kebab-case",
                           hint: "use lower-case letters, digits and single dashes, as in staff accounts' offices, e.g. `north` or `city-centre`")
            }
            var condition: RuleCondition?
            if let when = reader.value("when") {
                guard let parsed = conditions.parseCondition(when, depth: 0) else { continue }
                condition = parsed
            } else {
                catchAll = node
            }
            if let office, Self.isKebabCase(office) {
                routing.append(RoutingRule(office: office, condition: condition, location: sink.location(of: node)))
            }
        }
        return routing
    }

    /// The fee, and the node of its `amount_field` (checked against the fields once they are parsed).
    private func parseFee(_ node: Node) -> (fee: Fee, amountField: Node?)? {
        if case let .scalar(scalar) = node, scalar.string == "none" { return nil }
        guard let reader = MappingReader(node, what: "the fee", sink: sink) else { return nil }
        reader.rejectUnknownKeys(allowed: Self.feeKeys)
        var currency = defaultCurrency
        if let code = reader.string("currency") {
            currency = Currency(code: code)
            if currency == nil {
                sink.error(.invalidCurrency, at: reader.value("currency"), "`\(code.prefix(16))` is not an ISO 4217 currency code",
                           hint: "use a three-letter code such as EUR, GBP or USD")
                return nil
            }
        } else if currency == nil {
            sink.error(.missingKey, at: node, "the fee has no currency", hint: "add `currency: EUR`")
            return nil
        }
        guard let currency else { return nil }
        let enteredIn = reader.string("amount_field")
        var fixed: Money?
        switch (reader.has("amount"), enteredIn) {
        case (true, .some):
            sink.error(.invalidValue, at: reader.keyNode("amount_field") ?? node, "the fee has both `amount` and `amount_field`",
                       hint: "keep `amount` for the same fee on every request, or `amount_field` to charge what the citizen enters")
            return nil
        case (false, .none):
            sink.error(.missingKey, at: node, "the fee has no `amount`",
                       hint: "add `amount: \"\(currency.decimalString(minorUnits: 2500))\"`, or `amount_field: FIELD` to charge what the citizen enters in a money field")
            return nil
        case (true, .none):
            guard let amountText = reader.string("amount", required: true) else { return nil }
            guard let minor = currency.minorUnits(fromDecimal: amountText), minor > 0 else {
                sink.error(.invalidValue, at: reader.value("amount"), "the fee amount must be a positive amount in \(currency.code)",
                           hint: "write it with \(currency.exponent) digits after the decimal point, e.g. \(currency.decimalString(minorUnits: 2500)); use `fee: none` for a free service")
                return nil
            }
            fixed = Money(minorUnits: minor, currency: currency)
        case (false, .some):
            break
        }
        var due = Fee.Due.onSubmission
        if let raw = reader.string("due", required: true) {
            guard let parsed = Fee.Due(rawValue: raw) else {
                sink.error(.invalidValue, at: reader.value("due"), "`due` must be on_submission or on_approval")
                return nil
            }
            due = parsed
        }
        let refund = reader.bool("refund_on_rejection") ?? false
        if let fixed { return (Fee(amount: fixed, due: due, refundOnRejection: refund), nil) }
        guard let enteredIn else { return nil }
        if due != .onSubmission {
            sink.error(.invalidValue, at: reader.value("due") ?? node, "a fee of the entered amount is charged on submission",
                       hint: "set `due: on_submission`, or charge a fixed `amount` on approval")
            return nil
        }
        return (Fee(enteredIn: enteredIn, currency: currency, due: due, refundOnRejection: refund), reader.value("amount_field"))
    }

    /// A fee of the entered amount must name a required `money` field of the current version, in the fee's currency.
    private func checkEnteredAmount(_ fee: Fee, at: Node, fields: [FieldDefinition], version: Int) {
        guard case .entered(let fieldID, _) = fee.amount else { return }
        guard let field = fields.first(where: { $0.id == fieldID && $0.isActive(at: version) }) else {
            let money = fields.filter { $0.type == .money && $0.isActive(at: version) }.map { "`\($0.id)`" }
            sink.error(.invalidValue, at: at, "`amount_field` names `\(fieldID.prefix(64))`, which is not a field of this service",
                       hint: money.isEmpty ? "add a required money field and name it here" : "name one of its money fields: \(money.joined(separator: ", "))")
            return
        }
        if field.type != .money {
            sink.error(.invalidValue, at: at, "`amount_field` names `\(field.id)`, of type \(field.type.rawValue); the fee needs a money field",
                       hint: "name a required money field, or charge a fixed `amount`")
        } else if !field.required {
            sink.error(.invalidValue, at: at, "`amount_field` names `\(field.id)`, which is optional: a submission without it would owe nothing",
                       hint: "make `\(field.id)` required")
        } else if let currency = field.constraints.currency, currency != fee.currency {
            sink.error(.invalidValue, at: at, "`amount_field` names `\(field.id)`, in \(currency.code), but the fee is in \(fee.currency.code)",
                       hint: "use the same currency for the field and the fee")
        }
    }

    private func checkFieldRetention(_ fields: [FieldDefinition], service: RetentionPeriod?) {
        guard let service else { return }
        for field in fields {
            if let own = field.retention, own > service {
                diagnostic(at: field.location, "field `\(field.id)` is kept longer (\(own)) than its service (\(service))",
                           hint: "a field can be kept for a shorter time than the request, not longer")
            }
        }
    }

    private func diagnostic(at location: SourceLocation, _ message: String, hint: String) {
        sink.report(CatalogDiagnostic(.error, .invalidValue, at: location, message, hint: hint))
    }

    static func isKebabCase(_ id: String) -> Bool {
        guard !id.isEmpty, id.count <= 64, !id.hasPrefix("-"), !id.hasSuffix("-"), !id.contains("--"),
              let first = id.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
        return id.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }
}

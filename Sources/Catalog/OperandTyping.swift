import Yams

/// What kind of literal an operand compares with, and which comparisons make sense for it.
enum OperandKind {
    case text
    case choice([String])
    case number
    case date
    case money(Currency)
    case boolean
    case address

    init(_ field: FieldDefinition) {
        switch field.type {
        case .text, .email, .phone, .nationalID, .fileReference: self = .text
        case .choice: self = .choice(field.constraints.options.map(\.value))
        case .number: self = .number
        case .date: self = .date
        case .money: self = field.constraints.currency.map { .money($0) } ?? .text
        case .boolean: self = .boolean
        case .postalAddress: self = .address
        }
    }

    var name: String {
        switch self {
        case .text: "text"
        case .choice: "choice"
        case .number: "number"
        case .date: "date"
        case .money: "money"
        case .boolean: "yes/no"
        case .address: "address"
        }
    }

    var allowedComparisons: [String] {
        switch self {
        case .text: ["present", "equals", "not_equals", "in", "matches"]
        case .choice: ["present", "equals", "not_equals", "in"]
        case .number, .date, .money: ["present", "equals", "not_equals", "in", "less_than", "at_most", "greater_than", "at_least"]
        case .boolean: ["present", "equals", "not_equals"]
        case .address: ["present"]
        }
    }
}

/// Type-checks a comparison's literal against its operand at load time.
struct OperandTyping {
    let kind: OperandKind
    let sink: DiagnosticSink

    func comparison(op: String, literal node: Node, operand: RuleOperand) -> RuleComparison? {
        guard kind.allowedComparisons.contains(op) else {
            sink.error(.ruleTypeMismatch, at: node, "`\(op)` cannot be used with \(operand), a \(kind.name) value",
                       hint: "use one of: \(kind.allowedComparisons.joined(separator: ", "))")
            return nil
        }
        switch op {
        case "present":
            guard let flag = scalar(node).flatMap(Self.bool) else {
                sink.error(.ruleTypeMismatch, at: node, "`present` takes true or false"); return nil
            }
            return .present(flag)
        case "matches":
            guard let source = scalar(node) else {
                sink.error(.invalidPattern, at: node, "the `matches` pattern is not a valid regular expression",
                           hint: "single-quote patterns in YAML so backslashes stay as written")
                return nil
            }
            do {
                return .matches(try FieldPattern(source: source, description: nil))
            } catch {
                sink.error(error.code == .invalidSyntax ? .invalidPattern : .unsafePattern, at: node,
                           "the `matches` pattern \(error.message)",
                           hint: error.code == .invalidSyntax ? "single-quote patterns in YAML so backslashes stay as written" : error.hint)
                return nil
            }
        case "in":
            guard case let .sequence(items) = node, !items.isEmpty else {
                sink.error(.ruleTypeMismatch, at: node, "`in` takes a list of values, like [a, b]"); return nil
            }
            let literals = items.map { literal($0, operand: operand) }
            guard literals.allSatisfy({ $0 != nil }) else { return nil }
            return .isIn(literals.compactMap { $0 })
        default:
            guard let value = literal(node, operand: operand) else { return nil }
            switch op {
            case "equals": return .equals(value)
            case "not_equals": return .notEquals(value)
            case "less_than": return .lessThan(value)
            case "at_most": return .atMost(value)
            case "greater_than": return .greaterThan(value)
            default: return .atLeast(value)
            }
        }
    }

    private func scalar(_ node: Node) -> String? {
        if case let .scalar(s) = node { return s.string }
        return nil
    }

    private static func bool(_ text: String) -> Bool? {
        switch text {
        case "true", "yes": true
        case "false", "no": false
        default: nil
        }
    }

    private func literal(_ node: Node, operand: RuleOperand) -> RuleLiteral? {
        guard let text = scalar(node) else {
            sink.error(.ruleTypeMismatch, at: node, "expected a single \(kind.name) value to compare \(operand) with")
            return nil
        }
        func mismatch(_ expected: String, hint: String? = nil) -> RuleLiteral? {
            sink.error(.ruleTypeMismatch, at: node, "\(operand) is \(kind.name), so it must be compared with \(expected)", hint: hint)
            return nil
        }
        switch kind {
        case .text, .address: return .text(text)
        case let .choice(options):
            guard options.contains(text) else {
                return mismatch("one of its options", hint: "options: \(options.joined(separator: ", "))")
            }
            return .text(text)
        case .number:
            guard let n = ExactDecimal(text) else { return mismatch("a number") }
            return .number(n)
        case .date:
            guard let d = DateBound(text) else { return mismatch("a date", hint: "YYYY-MM-DD, today, today-18y, today+90d") }
            return .date(d)
        case let .money(currency):
            guard let minor = currency.minorUnits(fromDecimal: text) else {
                return mismatch("an amount in \(currency.code)", hint: "e.g. \(currency.decimalString(minorUnits: 5000))")
            }
            return .minorUnits(minor)
        case .boolean:
            guard let b = Self.bool(text) else { return mismatch("true or false") }
            return .boolean(b)
        }
    }
}

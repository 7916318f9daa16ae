/// Parses `.policy` files into rules.
///
/// Grammar (see `Policies/README.md`):
/// ```
/// rule   := [ 'rule' STRING | '@id' '(' STRING ')' ] ('permit' | 'forbid')
///           ('anyone' | ROLE {',' ROLE}) 'to' ACTION {',' ACTION} 'on' TYPE {',' TYPE} {clause} ';'
/// clause := 'when' expr | 'require' 'purpose' 'in' '[' STRING {',' STRING} ']'
///         | 'reveal' ('*' | field {',' field}) | 'mask' field 'as' STYLE {',' field 'as' STYLE}
///         | 'break-glass' [ 'for' NUMBER ('h' | 'm') ]
/// expr   := and {'or' and};  and := unary {'and' unary};  unary := 'not' unary | atom
/// atom   := '(' expr ')' | 'has' path | operand [ ('=='|'!='|'<'|'<='|'>'|'>=') operand | 'in' operand ]
/// ```
/// Nesting depth and list length are bounded so no input can exhaust the stack.
struct PolicyParser {
    static let maximumDepth = 32
    static let maximumListLength = 1000
    static let maximumRules = 5000
    static let maximumDiagnostics = 50
    static let defaultBreakGlassSeconds = 4 * 3600

    struct Failure: Error {
        let line: Int
        let column: Int
        let message: String
        var hint: String?
    }

    private let tokens: [Token]
    private let lines: [Substring]
    private let file: String
    private var position = 0
    private var depth = 0

    private init(tokens: [Token], source: String, file: String) {
        self.tokens = tokens
        self.lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        self.file = file
    }

    /// Parses one file. Returns the rules that parsed and a diagnostic for each rule that did not.
    static func parse(_ source: String, file: String) -> (rules: [RuleSyntax], diagnostics: [PolicyDiagnostic]) {
        let tokens: [Token]
        do {
            tokens = try Lexer.tokenize(source)
        } catch {
            let location = SourceLocation(file: file, line: error.line, column: error.column)
            return ([], [PolicyDiagnostic(error.tooLarge ? .inputTooLarge : .syntax, at: location, error.message)])
        }
        var parser = PolicyParser(tokens: tokens, source: source, file: file)
        return parser.parseFile()
    }

    private mutating func parseFile() -> (rules: [RuleSyntax], diagnostics: [PolicyDiagnostic]) {
        var rules: [RuleSyntax] = []
        var diagnostics: [PolicyDiagnostic] = []
        while current.kind != .end {
            if rules.count >= Self.maximumRules {
                let location = SourceLocation(file: file, line: current.line, column: current.column)
                diagnostics.append(PolicyDiagnostic(.inputTooLarge, at: location, "more than \(Self.maximumRules) rules in one file"))
                break
            }
            do {
                rules.append(try parseRule())
            } catch {
                let location = SourceLocation(file: file, line: error.line, column: error.column)
                diagnostics.append(PolicyDiagnostic(.syntax, at: location, error.message, hint: error.hint))
                if diagnostics.count >= Self.maximumDiagnostics { break }
                synchronize()
            }
        }
        return (rules, diagnostics)
    }

    /// Skips past the next `;` so one broken rule does not hide errors in the next.
    private mutating func synchronize() {
        depth = 0
        while current.kind != .end {
            let token = advance()
            if token.isSymbol(";") { return }
        }
    }

    // MARK: Rules

    private mutating func parseRule() throws(Failure) -> RuleSyntax {
        let start = current
        var explicitID: Located<String>?
        if current.isKeyword("rule") {
            advance()
            explicitID = try expectString("a rule id in quotes, e.g. rule \"caseworker-read\"")
        } else if current.isSymbol("@") {
            advance()
            try expectKeyword("id")
            try expectSymbol("(")
            explicitID = try expectString("a rule id in quotes, e.g. @id(\"caseworker-read\")")
            try expectSymbol(")")
        }
        let effect: Effect
        if current.isKeyword("permit") {
            effect = .permit
        } else if current.isKeyword("forbid") {
            effect = .deny
        } else {
            throw failure("expected `permit` or `forbid` to start a rule, found \(current.display)",
                          hint: current.identifier.flatMap { Spelling.hint(for: $0, among: ["permit", "forbid", "rule"]) })
        }
        advance()
        var rule = RuleSyntax(explicitID: explicitID, effect: effect, line: start.line, column: start.column)
        if current.isKeyword("anyone") {
            advance()
        } else {
            rule.roles = try nameList(what: "a role or `anyone`")
        }
        try expectKeyword("to", hint: "write the actions after `to`, e.g. `permit caseworker to read on request`")
        rule.actions = try nameList(what: "an action")
        try expectKeyword("on", hint: "write the resource types after `on`, e.g. `on request`")
        rule.resourceTypes = try nameList(what: "a resource type")
        try parseClauses(into: &rule)
        let end = current
        try expectSymbol(";", hint: "end every rule with `;`")
        rule.text = sourceText(from: start.line, to: end.line)
        return rule
    }

    private mutating func parseClauses(into rule: inout RuleSyntax) throws(Failure) {
        while let word = current.identifier {
            let token = current
            switch word {
            case "when":
                advance()
                guard rule.condition == nil else {
                    throw Failure(line: token.line, column: token.column, message: "a rule has at most one `when`",
                                  hint: "join the conditions with `and`")
                }
                rule.condition = try parseExpression()
            case "require":
                advance()
                guard rule.purposes == nil else {
                    throw Failure(line: token.line, column: token.column, message: "a rule has at most one `require purpose`")
                }
                try expectKeyword("purpose", hint: "write `require purpose in [\"case-handling\"]`")
                try expectKeyword("in")
                try expectSymbol("[")
                var purposes: [Located<String>] = []
                repeat {
                    purposes.append(try expectString("a purpose in quotes"))
                    if purposes.count > Self.maximumListLength { throw failure("list is too long") }
                } while consume(",")
                try expectSymbol("]")
                rule.purposes = purposes
                rule.purposeClause = Located(value: "require", line: token.line, column: token.column)
            case "reveal":
                advance()
                repeat {
                    rule.reveals.append(try parseField())
                    if rule.reveals.count > Self.maximumListLength { throw failure("list is too long") }
                } while consume(",")
            case "mask":
                advance()
                repeat {
                    let field = try parseField()
                    try expectKeyword("as", hint: "name a mask style: `mask national_id as last4`")
                    let style = try expectIdentifier("a mask style (last4, first-initial, email-domain, year-only, redacted)")
                    rule.masks.append((field, style))
                    if rule.masks.count > Self.maximumListLength { throw failure("list is too long") }
                } while consume(",")
            case "break-glass":
                advance()
                var seconds = Self.defaultBreakGlassSeconds
                if current.isKeyword("for") {
                    advance()
                    guard case .number(let amount) = current.kind, amount > 0, amount <= 10_000 else {
                        throw failure("expected a positive duration after `for`, e.g. `break-glass for 4h`")
                    }
                    advance()
                    switch current.identifier {
                    case "h"?, "hours"?: seconds = amount * 3600
                    case "m"?, "minutes"?: seconds = amount * 60
                    default: throw failure("expected a unit `h` or `m` after \(amount)", hint: "e.g. `break-glass for 4h`")
                    }
                    advance()
                }
                rule.breakGlass = Located(value: seconds, line: token.line, column: token.column)
            default:
                throw failure(
                    "expected `when`, `require`, `reveal`, `mask`, `break-glass` or `;`, found \(current.display)",
                    hint: Spelling.hint(for: word, among: ["when", "require", "reveal", "mask", "break-glass"]))
            }
        }
    }

    private mutating func parseField() throws(Failure) -> Located<FieldReference> {
        let token = current
        if consume("*") { return Located(value: FieldReference(service: nil, field: "*"), line: token.line, column: token.column) }
        let first = try expectIdentifier("a field name")
        if consume(".") {
            let field = try expectIdentifier("a field name after `\(first.value).`")
            return Located(value: FieldReference(service: first.value, field: field.value), line: token.line, column: token.column)
        }
        return Located(value: FieldReference(service: nil, field: first.value), line: token.line, column: token.column)
    }

    private mutating func nameList(what: String) throws(Failure) -> [Located<String>] {
        var names: [Located<String>] = []
        repeat {
            if current.isKeyword("to") || current.isKeyword("on") {
                throw failure("expected \(what), found \(current.display)")
            }
            names.append(try expectIdentifier(what))
            if names.count > Self.maximumListLength { throw failure("list is too long") }
        } while consume(",")
        return names
    }

    // MARK: Expressions

    private mutating func parseExpression() throws(Failure) -> Expression {
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maximumDepth {
            throw failure("condition is nested more than \(Self.maximumDepth) levels deep", hint: "simplify the condition")
        }
        let start = current
        var items = [try parseAnd()]
        while current.isKeyword("or") {
            advance()
            items.append(try parseAnd())
            if items.count > Self.maximumListLength { throw failure("condition is too long") }
        }
        return items.count == 1 ? items[0] : Expression(node: .or(items), line: start.line, column: start.column)
    }

    private mutating func parseAnd() throws(Failure) -> Expression {
        let start = current
        var items = [try parseUnary()]
        while current.isKeyword("and") {
            advance()
            items.append(try parseUnary())
            if items.count > Self.maximumListLength { throw failure("condition is too long") }
        }
        return items.count == 1 ? items[0] : Expression(node: .and(items), line: start.line, column: start.column)
    }

    private mutating func parseUnary() throws(Failure) -> Expression {
        let start = current
        if current.isKeyword("not") {
            advance()
            depth += 1
            defer { depth -= 1 }
            if depth > Self.maximumDepth {
                throw failure("condition is nested more than \(Self.maximumDepth) levels deep", hint: "simplify the condition")
            }
            return Expression(node: .not(try parseUnary()), line: start.line, column: start.column)
        }
        if consume("(") {
            let inner = try parseExpression()
            try expectSymbol(")")
            return inner
        }
        if current.isKeyword("has") {
            advance()
            let operand = try parseOperand()
            guard case .path(let path) = operand.node else {
                throw Failure(line: operand.line, column: operand.column, message: "`has` needs an attribute, e.g. `has resource.assignee`")
            }
            return Expression(node: .has(path), line: start.line, column: start.column)
        }
        let lhs = try parseOperand()
        if case .symbol(let symbol) = current.kind, let op = Comparison(rawValue: symbol) {
            advance()
            let rhs = try parseOperand()
            return Expression(node: .compare(op, lhs, rhs), line: start.line, column: start.column)
        }
        if current.isSymbol("=") {
            throw failure("`=` is not a comparison", hint: "write `==`")
        }
        if current.isKeyword("in") {
            advance()
            let rhs = try parseOperand()
            return Expression(node: .member(lhs, rhs), line: start.line, column: start.column)
        }
        return lhs
    }

    private mutating func parseOperand() throws(Failure) -> Expression {
        let token = current
        switch token.kind {
        case .string(let value):
            advance()
            return Expression(node: .literal(.string(value)), line: token.line, column: token.column)
        case .number(let value):
            advance()
            return Expression(node: .literal(.int(value)), line: token.line, column: token.column)
        case .symbol("["):
            advance()
            var items: [Expression] = []
            if !current.isSymbol("]") {
                repeat {
                    let item = try parseOperand()
                    guard case .literal = item.node else {
                        throw Failure(line: item.line, column: item.column, message: "a list holds only strings, numbers or booleans")
                    }
                    items.append(item)
                    if items.count > Self.maximumListLength { throw failure("list is too long") }
                } while consume(",")
            }
            try expectSymbol("]")
            return Expression(node: .list(items), line: token.line, column: token.column)
        case .identifier("true"), .identifier("false"):
            advance()
            return Expression(node: .literal(.bool(token.isKeyword("true"))), line: token.line, column: token.column)
        case .identifier(let name):
            guard let root = AttributeRoot(rawValue: name) else {
                throw failure(
                    "expected an attribute such as `resource.office`, a string, a number or a boolean, found \(token.display)",
                    hint: Spelling.hint(for: name, among: AttributeRoot.allCases.map(\.rawValue))
                        ?? (name.contains("-") ? nil : "quote text values: \"\(name)\""))
            }
            advance()
            try expectSymbol(".", hint: "name the attribute: `\(name).office`")
            let attribute = try expectIdentifier("an attribute name after `\(name).`")
            return Expression(node: .path(AttributePath(root: root, name: attribute.value)), line: token.line, column: token.column)
        default:
            throw failure("expected a value or an attribute, found \(token.display)")
        }
    }

    // MARK: Tokens

    private var current: Token { tokens[position] }

    @discardableResult
    private mutating func advance() -> Token {
        let token = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    private mutating func consume(_ symbol: String) -> Bool {
        guard current.isSymbol(symbol) else { return false }
        advance()
        return true
    }

    private func failure(_ message: String, hint: String? = nil) -> Failure {
        Failure(line: current.line, column: current.column, message: message, hint: hint)
    }

    private mutating func expectSymbol(_ symbol: String, hint: String? = nil) throws(Failure) {
        guard consume(symbol) else { throw failure("expected `\(symbol)`, found \(current.display)", hint: hint) }
    }

    private mutating func expectKeyword(_ word: String, hint: String? = nil) throws(Failure) {
        guard current.isKeyword(word) else { throw failure("expected `\(word)`, found \(current.display)", hint: hint) }
        advance()
    }

    private mutating func expectIdentifier(_ what: String) throws(Failure) -> Located<String> {
        guard let name = current.identifier else { throw failure("expected \(what), found \(current.display)") }
        let token = advance()
        return Located(value: name, line: token.line, column: token.column)
    }

    private mutating func expectString(_ what: String) throws(Failure) -> Located<String> {
        guard case .string(let value) = current.kind else { throw failure("expected \(what), found \(current.display)") }
        let token = advance()
        return Located(value: value, line: token.line, column: token.column)
    }

    private func sourceText(from first: Int, to last: Int) -> String {
        guard first >= 1, last <= lines.count, first <= last else { return "" }
        let joined = lines[(first - 1)...(last - 1)].map { line in
            line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        }.joined(separator: " ")
        let words = joined.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
        return String(words.joined(separator: " ").prefix(240))
    }
}

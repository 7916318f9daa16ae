/// A parsed decision table (`Policies/tests/*.decisions`).
///
/// ```
/// let alice  = principal id=c-1 roles=citizen kind=citizen
/// let bob    = alice id=c-2                       # extends alice
/// let own    = resource request owner=c-1 service=fee-payment office=north
/// let casework = context purpose=case-handling auth_strength=mfa
///
/// alice read own -> permit reveal=*
/// bob read own -> deny
/// carol read own with casework -> permit reveal=payer_name mask=national_id:last4 omit=x rule=some-id
/// ```
/// Expectations after the effect: `reveal=a,b` (or `reveal=*`), `mask=field:style,…`, `omit=a,b`,
/// `rule=id,…` (among the deciding rules), `break-glass=yes|no`, `reason=purpose` (a purpose was unmet).
struct DecisionTable: Sendable {
    struct Row: Sendable {
        let location: SourceLocation
        let text: String
        let request: RequestDescription
        let effect: Effect
        let expectations: [(key: String, value: String)]
    }

    private enum Definition {
        case principal(Principal)
        case resource(Resource)
        case context(Context)
    }

    private(set) var rows: [Row] = []
    private(set) var diagnostics: [PolicyDiagnostic] = []
    private var definitions: [String: Definition] = [:]

    static let expectationKeys = ["reveal", "mask", "omit", "rule", "break-glass", "reason"]

    /// Parses a table; lines that do not parse become diagnostics.
    init(_ source: PolicySource, schema: PolicySchema) {
        let lines = source.text.split(separator: "\n", omittingEmptySubsequences: false)
        guard source.text.utf8.count <= Lexer.maximumBytes else {
            diagnostics.append(PolicyDiagnostic(.inputTooLarge, at: SourceLocation(file: source.name, line: 1, column: 1), "table is too large"))
            return
        }
        for (offset, line) in lines.enumerated() {
            let location = SourceLocation(file: source.name, line: offset + 1, column: 1)
            let words = Self.words(line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? "")
            guard !words.isEmpty else { continue }
            do {
                if words[0] == "let" {
                    try define(words, schema: schema)
                } else {
                    try addRow(words, location: location, text: line.trimmingSpaces, schema: schema)
                }
            } catch {
                diagnostics.append(PolicyDiagnostic(.syntax, at: location, error.message, hint: error.hint))
            }
        }
    }

    private struct Failure: Error {
        let message: String
        var hint: String?
    }

    private mutating func define(_ words: [String], schema: PolicySchema) throws(Failure) {
        guard words.count >= 4, words[2] == "=" else {
            throw Failure(message: "expected `let NAME = principal|resource TYPE|context|OTHER key=value …`")
        }
        let name = words[1]
        let kind = words[3]
        let pairs = kind == "resource" ? [] : try Self.pairs(words.dropFirst(4))
        switch kind {
        case "principal":
            definitions[name] = .principal(RequestDescription.principal(from: pairs, schema: schema))
        case "context":
            definitions[name] = .context(RequestDescription.context(from: pairs, schema: schema))
        case "resource":
            guard words.count >= 5, !words[4].contains("=") else { throw Failure(message: "expected a resource type after `resource`") }
            definitions[name] = .resource(RequestDescription.resource(type: words[4], from: try Self.pairs(words.dropFirst(5)), schema: schema))
        case let other:
            switch definitions[other] {
            case .principal(let base)?: definitions[name] = .principal(RequestDescription.principal(from: pairs, schema: schema, base: base))
            case .resource(let base)?:
                definitions[name] = .resource(RequestDescription.resource(type: base.type, from: pairs, schema: schema, base: base))
            case .context(let base)?: definitions[name] = .context(RequestDescription.context(from: pairs, schema: schema, base: base))
            case nil: throw unknownName(other)
            }
        }
    }

    private mutating func addRow(_ words: [String], location: SourceLocation, text: String, schema: PolicySchema) throws(Failure) {
        guard let arrow = words.firstIndex(of: "->"), arrow >= 3, arrow + 1 < words.count else {
            throw Failure(message: "expected `PRINCIPAL ACTION RESOURCE [with CONTEXT] -> permit|deny …`")
        }
        guard case .principal(let principal)? = definitions[words[0]] else { throw unknownName(words[0], kind: "principal") }
        let action = words[1]
        guard schema.actions.contains(action) else {
            throw Failure(message: "unknown action `\(action)`", hint: Spelling.hint(for: action, among: schema.actions))
        }
        guard case .resource(let resource)? = definitions[words[2]] else { throw unknownName(words[2], kind: "resource") }
        var context = Context()
        if arrow > 3 {
            guard arrow == 5, words[3] == "with" else { throw Failure(message: "expected `with CONTEXT` before `->`") }
            guard case .context(let named)? = definitions[words[4]] else { throw unknownName(words[4], kind: "context") }
            context = named
        }
        guard let effect = ["permit": Effect.permit, "deny": .deny][words[arrow + 1]] else {
            throw Failure(message: "expected `permit` or `deny` after `->`, found `\(words[arrow + 1])`")
        }
        let expectations = try Self.pairs(words.dropFirst(arrow + 2))
        for (key, _) in expectations where !Self.expectationKeys.contains(key) {
            throw Failure(message: "unknown expectation `\(key)`", hint: Spelling.hint(for: key, among: Self.expectationKeys))
        }
        rows.append(Row(location: location, text: text,
                        request: RequestDescription(principal: principal, action: Action(action), resource: resource, context: context),
                        effect: effect, expectations: expectations))
    }

    private func unknownName(_ name: String, kind: String = "definition") -> Failure {
        Failure(message: "no \(kind) named `\(name)`; define it with `let \(name) = …` above", hint: Spelling.hint(for: name, among: definitions.keys))
    }

    private static func pairs(_ words: ArraySlice<String>) throws(Failure) -> [(String, String)] {
        var result: [(String, String)] = []
        for word in words {
            guard let equals = word.firstIndex(of: "=") else { throw Failure(message: "`\(word)` is not key=value") }
            result.append((String(word[..<equals]), String(word[word.index(after: equals)...])))
        }
        return result
    }

    /// Splits on spaces; a double-quoted part may contain spaces (`justification="patient at risk"`).
    static func words(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quoted = false
        var started = false
        for character in line {
            if character == "\"" {
                quoted.toggle()
                started = true
            } else if !quoted && (character == " " || character == "\t" || character == "\r") {
                if started { words.append(current) }
                current = ""
                started = false
            } else {
                current.append(character)
                started = true
            }
        }
        if started { words.append(current) }
        return words
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
    }
}

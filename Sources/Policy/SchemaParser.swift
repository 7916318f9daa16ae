/// Reads the schema file format:
/// ```
/// roles: citizen, caseworker
/// actions: read, create
/// purposes: case-handling
/// principal { id: string  roles: set  office: string? }
/// context { purpose: string?  hour: int? }
/// resource request { owner: string  sealed: bool  service: service  fields: services }
/// resource profile { owner: string  fields: name, email }
/// ```
/// Types: `string`, `int`, `bool`, `set`, `service`, `enum(a, b)`; a trailing `?` marks an optional attribute.
struct SchemaParser {
    private let tokens: [Token]
    private let file: String
    private var position = 0

    private init(tokens: [Token], file: String) {
        self.tokens = tokens
        self.file = file
    }

    /// Parses a schema, or throws the first problem.
    static func parse(_ source: String, file: String) throws(PolicyDiagnostic.Failure) -> PolicySchema {
        let tokens: [Token]
        do {
            tokens = try Lexer.tokenize(source)
        } catch {
            throw PolicyDiagnostic.Failure(diagnostic: PolicyDiagnostic(
                error.tooLarge ? .inputTooLarge : .schema, at: SourceLocation(file: file, line: error.line, column: error.column), error.message))
        }
        var parser = SchemaParser(tokens: tokens, file: file)
        return try parser.parseSchema()
    }

    private mutating func parseSchema() throws(PolicyDiagnostic.Failure) -> PolicySchema {
        var roles: [String] = [], actions: [String] = [], purposes: [String] = []
        var principal: [String: AttributeDeclaration] = [:], context: [String: AttributeDeclaration] = [:]
        var resources: [String: ResourceDeclaration] = [:]
        while current.kind != .end {
            let token = current
            let word = try identifier("a section: roles, actions, purposes, principal, context or resource")
            switch word {
            case "roles", "actions", "purposes":
                try symbol(":")
                let names = try nameList()
                if word == "roles" { roles += names } else if word == "actions" { actions += names } else { purposes += names }
            case "principal":
                principal = try parseBlock(allowFields: false).attributes
            case "context":
                context = try parseBlock(allowFields: false).attributes
            case "resource":
                let name = try identifier("a resource type name")
                if resources[name] != nil { throw fail("resource type `\(name)` is declared twice", at: token) }
                let block = try parseBlock(allowFields: true)
                resources[name] = ResourceDeclaration(name: name, attributes: block.attributes, fields: block.fields)
            default:
                throw fail("unknown schema section `\(word)`", at: token,
                           hint: Spelling.hint(for: word, among: ["roles", "actions", "purposes", "principal", "context", "resource"]))
            }
        }
        if roles.isEmpty || actions.isEmpty || resources.isEmpty {
            throw fail("the schema must declare roles, actions and at least one resource type", at: current)
        }
        return PolicySchema(roles: roles, actions: actions, purposes: purposes, principal: principal, context: context, resources: resources)
    }

    private mutating func parseBlock(allowFields: Bool) throws(PolicyDiagnostic.Failure) -> (attributes: [String: AttributeDeclaration], fields: FieldSource) {
        try symbol("{")
        var attributes: [String: AttributeDeclaration] = [:]
        var fields = FieldSource.none
        while !current.isSymbol("}") {
            let token = current
            let name = try identifier("an attribute name or `}`")
            try symbol(":")
            if name == "fields" && allowFields {
                if current.isKeyword("services") {
                    advance()
                    fields = .services
                } else {
                    fields = .list(Set(try nameList()))
                }
                continue
            }
            if attributes[name] != nil { throw fail("attribute `\(name)` is declared twice", at: token) }
            let type = try parseType()
            let optional = consume("?")
            attributes[name] = AttributeDeclaration(type: type, optional: optional)
        }
        advance()
        return (attributes, fields)
    }

    private mutating func parseType() throws(PolicyDiagnostic.Failure) -> ValueType {
        let token = current
        let name = try identifier("a type: string, int, bool, set, service or enum(...)")
        switch name {
        case "string": return .string
        case "int": return .int
        case "bool": return .bool
        case "set": return .set
        case "service": return .service
        case "enum":
            try symbol("(")
            let values = try nameList()
            try symbol(")")
            return .enumeration(values)
        default:
            throw fail("unknown type `\(name)`", at: token,
                       hint: Spelling.hint(for: name, among: ["string", "int", "bool", "set", "service", "enum"]))
        }
    }

    private mutating func nameList() throws(PolicyDiagnostic.Failure) -> [String] {
        var names: [String] = []
        repeat {
            names.append(try identifier("a name"))
        } while consume(",")
        return names
    }

    private var current: Token { tokens[position] }

    private mutating func advance() {
        if position < tokens.count - 1 { position += 1 }
    }

    private mutating func consume(_ text: String) -> Bool {
        guard current.isSymbol(text) else { return false }
        advance()
        return true
    }

    private mutating func symbol(_ text: String) throws(PolicyDiagnostic.Failure) {
        guard consume(text) else { throw fail("expected `\(text)`, found \(current.display)", at: current) }
    }

    private mutating func identifier(_ what: String) throws(PolicyDiagnostic.Failure) -> String {
        guard let name = current.identifier else { throw fail("expected \(what), found \(current.display)", at: current) }
        advance()
        return name
    }

    private func fail(_ message: String, at token: Token, hint: String? = nil) -> PolicyDiagnostic.Failure {
        PolicyDiagnostic.Failure(diagnostic: PolicyDiagnostic(
            .schema, at: SourceLocation(file: file, line: token.line, column: token.column), message, hint: hint))
    }
}

extension PolicyDiagnostic {
    /// A diagnostic thrown to unwind a parser.
    struct Failure: Error {
        let diagnostic: PolicyDiagnostic
    }
}

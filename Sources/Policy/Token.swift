/// One lexical token of a policy, schema or decision-table file.
struct Token: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case identifier(String)
        case string(String)
        case number(Int)
        case symbol(String)
        case end
    }

    let kind: Kind
    let line: Int
    let column: Int

    /// How the token reads in an error message.
    var display: String {
        switch kind {
        case .identifier(let name): return "`\(name)`"
        case .string(let value): return "string \"\(value.prefix(40))\""
        case .number(let value): return "number \(value)"
        case .symbol(let symbol): return "`\(symbol)`"
        case .end: return "end of file"
        }
    }

    var identifier: String? {
        if case .identifier(let name) = kind { return name }
        return nil
    }

    func isSymbol(_ symbol: String) -> Bool { kind == .symbol(symbol) }
    func isKeyword(_ word: String) -> Bool { kind == .identifier(word) }
}

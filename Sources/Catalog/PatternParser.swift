/// Reads a pattern's source into a ``PatternNode``.
///
/// It accepts the syntax that catalog patterns use (literals, escapes, classes with ranges and nesting, groups of
/// every common kind, lookarounds, backreferences, `*` `+` `?` `{n,m}` with lazy and possessive forms, `(?i)`), and
/// refuses what it cannot model safely (extended mode, recursion, subroutine calls, backtracking verbs) with
/// ``PatternSyntaxError``. It never traps: every index is checked.
struct PatternParser {
    let scalars: [Unicode.Scalar]
    var index = 0
    var caseInsensitive = false
    static let maximumDepth = 64

    init(_ source: String) {
        scalars = Array(source.unicodeScalars)
    }

    /// The whole pattern.
    static func parse(_ source: String) throws(PatternSyntaxError) -> PatternNode {
        var parser = PatternParser(source)
        let node = try parser.parseAlternation(depth: 0)
        guard parser.index == parser.scalars.count else { throw PatternSyntaxError("an unmatched `)`") }
        return parser.caseInsensitive ? node.caseFolded : node
    }

    var atEnd: Bool { index >= scalars.count }
    func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }

    mutating func parseAlternation(depth: Int) throws(PatternSyntaxError) -> PatternNode {
        guard depth < Self.maximumDepth else { throw PatternSyntaxError("groups nested more than \(Self.maximumDepth) deep") }
        let start = index
        var branches = [try parseSequence(depth: depth)]
        while peek() == "|" {
            index += 1
            branches.append(try parseSequence(depth: depth))
        }
        return branches.count == 1 ? branches[0] : .alternation(branches, source: start..<index)
    }

    private mutating func parseSequence(depth: Int) throws(PatternSyntaxError) -> PatternNode {
        var items: [PatternNode] = []
        while let next = peek(), next != "|", next != ")" {
            let start = index
            var node = try parseAtom(depth: depth)
            while let (min, max) = try parseQuantifier() {
                node = .repetition(node, min: min, max: max, source: start..<index)
            }
            items.append(node)
        }
        return items.count == 1 ? items[0] : .sequence(items)
    }

    /// `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`, `{,m}`, each optionally followed by `?` (lazy) or `+` (possessive).
    private mutating func parseQuantifier() throws(PatternSyntaxError) -> (Int, Int?)? {
        guard let next = peek() else { return nil }
        var bounds: (Int, Int?)
        switch next {
        case "*": bounds = (0, nil); index += 1
        case "+": bounds = (1, nil); index += 1
        case "?": bounds = (0, 1); index += 1
        case "{":
            guard let counted = try countedBounds() else { return nil }
            bounds = counted
        default: return nil
        }
        if let suffix = peek(), suffix == "?" || suffix == "+" { index += 1 }
        return bounds
    }

    /// Reads `{n}`, `{n,}`, `{n,m}` or `{,m}` at the cursor; `nil` (cursor unmoved) when the brace is a literal.
    private mutating func countedBounds() throws(PatternSyntaxError) -> (Int, Int?)? {
        var cursor = index + 1
        func number() -> Int?? {
            var value = 0, digits = 0
            while cursor < scalars.count, let digit = Self.digitValue(scalars[cursor], radix: 10) {
                if value > 1_000_000 { return .some(nil) }
                value = value * 10 + digit
                digits += 1
                cursor += 1
            }
            return digits == 0 ? nil : .some(value)
        }
        let lower = number()
        var upper: Int??
        var comma = false
        if cursor < scalars.count, scalars[cursor] == "," {
            comma = true
            cursor += 1
            upper = number()
        }
        guard cursor < scalars.count, scalars[cursor] == "}", lower != nil || upper != nil else { return nil }
        guard lower != .some(nil), upper != .some(nil) else { throw PatternSyntaxError("a repetition count above 1,000,000") }
        index = cursor + 1
        let min = (lower ?? 0) ?? 0
        if !comma { return (min, min) }
        if let upper, let bound = upper { return (min, max(min, bound)) }
        return (min, nil)
    }

    private mutating func parseAtom(depth: Int) throws(PatternSyntaxError) -> PatternNode {
        let start = index
        let scalar = scalars[index]
        switch scalar {
        case "(": return try parseGroup(depth: depth)
        case "[":
            index += 1
            return .character(try parseClass(depth: depth), at: start)
        case ".":
            index += 1
            return .character(.everything, at: start)
        case "^", "$":
            index += 1
            return .empty
        case "\\": return try parseEscape()
        case "*", "+", "?":
            throw PatternSyntaxError("a quantifier with nothing to repeat")
        case "{":
            if try countedBounds() != nil { throw PatternSyntaxError("a quantifier with nothing to repeat") }
            index += 1
            return .character(PatternCharacterSet("{"), at: start)
        default:
            index += 1
            var set = PatternCharacterSet.empty
            set.insert(scalar.value)
            return .character(set, at: start)
        }
    }

    private mutating func parseGroup(depth: Int) throws(PatternSyntaxError) -> PatternNode {
        index += 1  // "("
        var lookaround = false
        if peek() == "*" { throw PatternSyntaxError("a backtracking verb or `(*…)` group") }
        if peek() == "?" {
            index += 1
            guard let kind = peek() else { throw PatternSyntaxError("an unterminated group") }
            switch kind {
            case ":", ">", "|":
                index += 1
            case "=", "!", "*":
                index += 1
                lookaround = true
            case "<":
                if let next = peek(1), next == "=" || next == "!" || next == "*" {
                    index += 2
                    lookaround = true
                } else {
                    try skipName(until: ">")
                }
            case "'":
                try skipName(until: "'")
            case "P":
                index += 1
                switch peek() {
                case "<":
                    try skipName(until: ">")
                case "=":
                    let at = index
                    try skipName(until: ")")
                    return .backreference(at: at)
                default:
                    throw PatternSyntaxError("a recursion or subroutine call")
                }
            case "#":
                while let next = peek(), next != ")" { index += 1 }
                guard !atEnd else { throw PatternSyntaxError("an unterminated comment") }
                index += 1
                return .empty
            default:
                // Option switches: `(?i)`, `(?i-m:...)`, `(?^...)`.
                var letters = ""
                while let next = peek(), next.properties.isAlphabetic || next == "-" || next == "^" {
                    letters.unicodeScalars.append(next)
                    index += 1
                }
                guard !letters.isEmpty else { throw PatternSyntaxError("a recursion, subroutine call or conditional group") }
                let switchedOn = letters.split(separator: "-", omittingEmptySubsequences: false).first ?? ""
                if switchedOn.contains("x") { throw PatternSyntaxError("extended mode `(?x)`") }
                if switchedOn.contains("i") { caseInsensitive = true }
                if peek() == ")" {
                    index += 1
                    return .empty
                }
                guard peek() == ":" else { throw PatternSyntaxError("an option group that is not `(?flags)` or `(?flags:...)`") }
                index += 1
            }
        }
        let body = try parseAlternation(depth: depth + 1)
        guard peek() == ")" else { throw PatternSyntaxError("an unterminated group") }
        index += 1
        return lookaround ? .lookaround(body) : body
    }

    /// Skips `<name>` / `'name'` and the character before it; the cursor is on that character.
    mutating func skipName(until terminator: Unicode.Scalar) throws(PatternSyntaxError) {
        index += 1
        while let next = peek(), next != terminator { index += 1 }
        guard !atEnd else { throw PatternSyntaxError("an unterminated group name") }
        index += 1
    }

    static func digitValue(_ scalar: Unicode.Scalar, radix: Int) -> Int? {
        let value: Int
        switch scalar.value {
        case 48...57: value = Int(scalar.value) - 48
        case 65...70: value = Int(scalar.value) - 55
        case 97...102: value = Int(scalar.value) - 87
        default: return nil
        }
        return value < radix ? value : nil
    }

    static func closing(of open: Unicode.Scalar) -> Unicode.Scalar? {
        switch open {
        case "<": ">"
        case "'": "'"
        case "{": "}"
        default: nil
        }
    }
}

/// A construct the backtracking check cannot model (the pattern is refused).
struct PatternSyntaxError: Error, Sendable, Equatable {
    let construct: String
    init(_ construct: String) { self.construct = construct }
}

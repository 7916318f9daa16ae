/// The load-time check that a catalog pattern cannot make a validation take exponential time (ReDoS).
///
/// The standard library's regular expressions backtrack: when a value almost matches, every way the pattern could
/// have matched a prefix is tried. Patterns where those ways multiply with the value's length — `(a+)+$`,
/// `(a|a)*b`, `(\w+\s?)*$` — let one submitted value of a few dozen characters hold a thread for minutes. Refused:
///
/// - a repetition with more than one round (`*`, `+`, `{m,n}` with n > 1) whose body repeats without bound or is a
///   backreference (nested quantifiers: `(x+)+`, `(x*)*`, `(x+){2,9}`);
/// - a bounded repetition whose rounds can split a value in more than ``maximumSplits`` ways (`(a{1,10}){10}`,
///   `(a|a){30}`), or whose body can match nothing (`(a?){30}`);
/// - a pattern whose position automaton (Glushkov) is exponentially ambiguous: some loop can read the same text
///   along two different paths, which is what overlapping alternatives or repetitions under a star do
///   (`(a|a)*`, `(a|ab|b)*`, `(x|x?)+`, `(a{1,3})+`). This is decided exactly on a model that is exact for ASCII
///   and wider beyond it (two non-ASCII sets are taken to overlap), on the product of the automaton with itself;
/// - what the model cannot read (extended mode, recursion, subroutine calls), and patterns over
///   ``maximumSourceLength`` characters.
///
/// - a pattern that can match one text in more than ``maximumSplits`` ways without any loop (`[a-z]{1,5}` fifty
///   times in a row, `a?a?a?...aaa`): a bound on the product of its choices;
/// - a pattern with two loops in a row that can read the same text (`a*a*b`, `.*x.*`, `\w+\s*\w+`): polynomial
///   backtracking, which Swift's matcher makes slow enough to matter (see
///   ``PositionAutomaton/polynomiallyAmbiguousLoops()``).
///
/// What is left backtracks linearly in the value's length (times the start positions a `matches` rule tries), and
/// values are bounded (``FieldPattern/maximumSubjectLength``).
enum PatternSafety {
    static let maximumSourceLength = 500
    /// The most ways a bounded repetition may split a value among its rounds.
    static let maximumSplits = 10_000
    /// Positions of the automaton (after counted repetitions are written out) and pairs of moves examined.
    static let maximumPositions = 1_000
    static let maximumProductSteps = 4_000_000

    /// Throws a ``PatternRefusal`` when `source` may backtrack catastrophically.
    static func check(_ source: String) throws(PatternRefusal) {
        let scalars = Array(source.unicodeScalars)
        guard scalars.count <= maximumSourceLength else {
            throw PatternRefusal(
                .tooLong, "has more than \(maximumSourceLength) characters, more than the backtracking check reads",
                hint: "shorten the pattern; a field's pattern describes a short code or number")
        }
        let node: PatternNode
        do {
            node = try PatternParser.parse(source)
        } catch {
            throw PatternRefusal(
                .unanalysable, "uses \(error.construct), which the backtracking check cannot analyse",
                hint: "write the pattern without it")
        }
        func quote(_ range: Range<Int>?) -> String {
            guard let range, range.lowerBound >= 0, range.upperBound <= scalars.count, !range.isEmpty else {
                return String(source.prefix(80))
            }
            var text = String(String.UnicodeScalarView(scalars[range]))
            if text.unicodeScalars.count > 80 { text = String(text.prefix(77)) + "..." }
            return text
        }
        try checkRepetitions(node, quote: quote)
        if node.ways > maximumSplits {
            throw PatternRefusal(
                .tooManyWays,
                "can match one text in more than \(maximumSplits) ways (ranges, optional parts or alternatives in a row that overlap, such as `[a-z]{1,5}[a-z]{1,5}...` or `a?a?a?...aaa`)",
                hint: "use one range for a run of the same characters (`[a-z]{2,10}` rather than `[a-z]{1,5}[a-z]{1,5}`), and make optional parts start with something distinct")
        }
        var automaton = PositionAutomaton()
        var lookarounds: [PatternNode] = []
        try automaton.build(node, lookarounds: &lookarounds)
        try checkAmbiguity(automaton, quote: quote)
        var index = 0
        while index < lookarounds.count {
            var inner = PositionAutomaton()
            try inner.build(lookarounds[index], lookarounds: &lookarounds)
            try checkAmbiguity(inner, quote: quote)
            index += 1
        }
    }

    private static func checkAmbiguity(_ automaton: PositionAutomaton, quote: (Range<Int>?) -> String) throws(PatternRefusal) {
        if let loop = try automaton.exponentiallyAmbiguousLoop() {
            throw PatternRefusal.ambiguous(quote(loop))
        }
        if let (first, second) = try automaton.polynomiallyAmbiguousLoops() {
            throw PatternRefusal(
                .polynomialRepetition,
                "has repetitions in a row that can match the same text (`\(quote(first))` and `\(quote(second))`): a value that almost matches makes the check take time that grows as a power of its length",
                hint: "separate them by something neither can match, make their characters exclusive (`[a-z]+ *[0-9]+` rather than `\\w+\\s*\\w+`) or bound them ({1,20}); a `matches` rule finds its pattern anywhere, so drop a leading or trailing `.*`")
        }
    }

    /// The structural rules: nested unbounded repetition, too many splits, repeated empty matches.
    private static func checkRepetitions(_ node: PatternNode, quote: (Range<Int>?) -> String) throws(PatternRefusal) {
        switch node {
        case .empty, .character, .backreference: return
        case let .sequence(items):
            for item in items { try checkRepetitions(item, quote: quote) }
        case let .alternation(branches, _):
            for branch in branches { try checkRepetitions(branch, quote: quote) }
        case let .lookaround(body):
            try checkRepetitions(body, quote: quote)
        case let .repetition(body, min, max, source):
            if max.map({ $0 > 1 }) ?? true {
                if body.repeatsWithoutBound {
                    throw PatternRefusal(
                        .nestedRepetition,
                        "repeats `\(quote(source))`, a group that itself repeats without bound (nested quantifiers): a value that almost matches would make the check take exponential time",
                        hint: "repeat once (`[a-z]+` rather than `([a-z]+)+`), or give the inner repetition an upper bound (`[a-z]+(-[a-z]{1,40})*` rather than `[a-z]+(-[a-z]+)*`)")
                }
                if let max {
                    if body.matchesEmpty {
                        throw PatternRefusal(
                            .emptyRepetition,
                            "repeats `\(quote(source))`, a group that can match nothing, so a value can be split among the rounds in exponentially many ways",
                            hint: "make the group match at least one character and lower the count, e.g. `a{0,30}` rather than `(a?){30}`")
                    }
                    let perRound = body.splits
                    if perRound > 1, Saturating.sumOfPowers(perRound, from: min, through: max) > maximumSplits {
                        throw PatternRefusal(
                            .nestedRepetition,
                            "repeats `\(quote(source))` \(max) times over variable repetitions or overlapping alternatives: more than \(maximumSplits) ways to split a value among the rounds",
                            hint: "use one repetition with a range, e.g. `a{1,100}` rather than `(a{1,10}){1,10}`, or make the alternatives exclusive")
                    }
                }
            }
            try checkRepetitions(body, quote: quote)
        }
    }
}

/// Why a pattern is refused: a message to follow "the pattern of FIELD" (a predicate: "repeats ..."), and a hint.
struct PatternRefusal: Error, Sendable, Equatable {
    enum Reason: Sendable, Equatable {
        case tooLong, unanalysable, nestedRepetition, emptyRepetition, ambiguousRepetition, polynomialRepetition, tooManyWays
        case tooComplex
    }

    let reason: Reason
    let message: String
    let hint: String

    init(_ reason: Reason, _ message: String, hint: String) {
        self.reason = reason
        self.message = message
        self.hint = hint
    }

    static func ambiguous(_ fragment: String) -> PatternRefusal {
        PatternRefusal(
            .ambiguousRepetition,
            "can match the same text in more than one way inside the repetition `\(fragment)` (overlapping alternatives or repetitions): a value that almost matches would make the check take exponential time",
            hint: "make the alternatives exclusive: a class `[ab]` rather than `(a|b|ab)`, a common start `a(b|c)` rather than `(ab|ac)`, and no repeated group whose parts repeat")
    }

    static let tooComplex = PatternRefusal(
        .tooComplex, "is too complex for the backtracking check", hint: "simplify the pattern or split it")
}

extension PatternNode {
    /// Whether two alternatives can start alike (or one can match nothing), so that both may be tried on one text.
    static func alternativesOverlap(_ branches: [PatternNode]) -> Bool {
        if branches.contains(where: { $0.matchesEmpty }) { return true }
        var seen = PatternCharacterSet.empty
        for branch in branches {
            let first = branch.firstCharacters
            if seen.overlaps(first) { return true }
            seen.formUnion(first)
        }
        return false
    }

    /// Whether some repetition inside is unbounded (a backreference counts: it can be any length).
    var repeatsWithoutBound: Bool {
        switch self {
        case .empty, .character: false
        case .backreference: true
        case let .sequence(items): items.contains { $0.repeatsWithoutBound }
        case let .alternation(branches, _): branches.contains { $0.repeatsWithoutBound }
        case let .repetition(body, _, max, _): max == nil || body.repeatsWithoutBound
        case let .lookaround(body): body.repeatsWithoutBound
        }
    }

    /// Whether the node can match the empty text.
    var matchesEmpty: Bool {
        switch self {
        case .empty, .lookaround, .backreference: true
        case .character: false
        case let .sequence(items): items.allSatisfy(\.matchesEmpty)
        case let .alternation(branches, _): branches.contains { $0.matchesEmpty }
        case let .repetition(body, min, _, _): min == 0 || body.matchesEmpty
        }
    }

    /// The characters a match can start with (every character for a backreference).
    var firstCharacters: PatternCharacterSet {
        switch self {
        case .empty, .lookaround: .empty
        case .backreference: .everything
        case let .character(set, _): set
        case let .sequence(items):
            items.reduce(into: (set: PatternCharacterSet.empty, open: true)) { result, item in
                guard result.open else { return }
                result.set.formUnion(item.firstCharacters)
                result.open = item.matchesEmpty
            }.set
        case let .alternation(branches, _):
            branches.reduce(into: PatternCharacterSet.empty) { $0.formUnion($1.firstCharacters) }
        case let .repetition(body, _, _, _): body.firstCharacters
        }
    }

    /// An upper bound on the number of ways the node can match one text when each unbounded repetition is counted
    /// as its body (the automaton checks refuse the loops that multiply ways): a chain of overlapping ranges or
    /// optional parts, which no loop check sees, multiplies here.
    var ways: Int {
        switch self {
        case .empty, .character, .backreference: return 1
        case let .lookaround(body): return body.ways
        case let .sequence(items): return items.reduce(1) { Saturating.product($0, $1.ways) }
        case let .alternation(branches, _):
            return PatternNode.alternativesOverlap(branches)
                ? branches.reduce(0) { Saturating.sum($0, $1.ways) }
                : branches.map(\.ways).max() ?? 1
        case let .repetition(body, min, max, _):
            guard let max else { return body.ways }
            return Saturating.sumOfPowers(body.ways, from: min, through: max)
        }
    }

    /// An upper bound on the number of ways the node can match one text (saturating): the choices of variable
    /// repetitions, and of alternatives that can start alike.
    var splits: Int {
        switch self {
        case .empty, .character, .lookaround: return 1
        case .backreference: return Saturating.limit
        case let .sequence(items): return items.reduce(1) { Saturating.product($0, $1.splits) }
        case let .alternation(branches, _):
            return PatternNode.alternativesOverlap(branches)
                ? branches.reduce(0) { Saturating.sum($0, $1.splits) }
                : branches.map(\.splits).max() ?? 1
        case let .repetition(body, min, max, _):
            guard let max else { return Saturating.limit }
            return Saturating.sumOfPowers(body.splits, from: min, through: max)
        }
    }
}

/// Arithmetic that stops at ``limit`` instead of overflowing.
enum Saturating {
    static let limit = 1 << 40

    static func sum(_ a: Int, _ b: Int) -> Int { Swift.min(limit, a + b) }
    static func product(_ a: Int, _ b: Int) -> Int {
        let (value, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? limit : Swift.min(limit, value)
    }

    /// base^from + ... + base^through.
    static func sumOfPowers(_ base: Int, from: Int, through: Int) -> Int {
        guard from <= through else { return 1 }
        if base <= 1 { return Swift.min(limit, Swift.max(1, through - from + 1)) }
        var power = 1, total = 0
        for exponent in 0...through {
            if exponent >= from { total = sum(total, power) }
            if total >= limit { return limit }
            power = product(power, base)
        }
        return total
    }
}

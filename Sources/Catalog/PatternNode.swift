/// A regular expression as the backtracking check sees it (``PatternSafety``): characters, sequences,
/// alternatives, repetitions, and zero-width parts. It is read from the catalog's source text, after the standard
/// library has compiled it, and is a conservative model: where a construct's exact meaning does not matter to the
/// check, it stands for at least every text the construct can match.
indirect enum PatternNode: Sendable {
    /// Matches the empty text: anchors, word boundaries, comments, option switches.
    case empty
    /// One character out of a set. `at` is its offset in the source, in Unicode scalars.
    case character(PatternCharacterSet, at: Int)
    case sequence([PatternNode])
    case alternation([PatternNode], source: Range<Int>)
    /// `body{min,max}`; `max == nil` is unbounded (`*`, `+`, `{n,}`).
    case repetition(PatternNode, min: Int, max: Int?, source: Range<Int>)
    /// A lookahead or lookbehind: matches the empty text here, but its body is matched too.
    case lookaround(PatternNode)
    /// `\1`, `\k<name>`: repeats what a group matched, modelled as any text at all.
    case backreference(at: Int)
}

/// A set of characters, exact for ASCII and approximated beyond it: `beyondASCII` says only whether the set may
/// hold any non-ASCII character, so two sets that both may are taken to overlap.
struct PatternCharacterSet: Sendable, Equatable {
    /// Scalars 0 to 63, one bit each.
    var low: UInt64 = 0
    /// Scalars 64 to 127.
    var high: UInt64 = 0
    var beyondASCII = false
    /// Whether the ASCII bits are exactly the set (`false` for Unicode properties and set operations, which are
    /// widened to every character): the complement of an inexact set is every character again.
    var exact = true

    static let empty = PatternCharacterSet()
    static let everything = PatternCharacterSet(low: ~0, high: ~0, beyondASCII: true, exact: false)

    init(low: UInt64 = 0, high: UInt64 = 0, beyondASCII: Bool = false, exact: Bool = true) {
        self.low = low
        self.high = high
        self.beyondASCII = beyondASCII
        self.exact = exact
    }

    init(_ scalars: String, beyondASCII: Bool = false) {
        for scalar in scalars.unicodeScalars { insert(scalar.value) }
        self.beyondASCII = self.beyondASCII || beyondASCII
    }

    mutating func insert(_ value: UInt32) {
        if value < 64 {
            low |= 1 << UInt64(value)
        } else if value < 128 {
            high |= 1 << UInt64(value - 64)
        } else {
            beyondASCII = true
        }
    }

    mutating func insert(from lower: UInt32, through upper: UInt32) {
        guard lower <= upper else { return }
        if upper >= 128 { beyondASCII = true }
        guard lower < 128 else { return }
        for value in lower...min(upper, 127) { insert(value) }
    }

    mutating func formUnion(_ other: PatternCharacterSet) {
        low |= other.low
        high |= other.high
        beyondASCII = beyondASCII || other.beyondASCII
        exact = exact && other.exact
    }

    /// Every character not in the set (every character at all when the set is not exact).
    var inverted: PatternCharacterSet {
        guard exact else { return .everything }
        return PatternCharacterSet(low: ~low, high: ~high, beyondASCII: true, exact: true)
    }

    /// The set with both cases of every ASCII letter (and, for letters, the non-ASCII characters that fold to them,
    /// such as the Kelvin sign).
    var caseFolded: PatternCharacterSet {
        var folded = self
        for value in UInt32(65)...90 where contains(value) || contains(value + 32) {
            folded.insert(value)
            folded.insert(value + 32)
            folded.beyondASCII = true
        }
        return folded
    }

    func contains(_ value: UInt32) -> Bool {
        if value < 64 { return low & (1 << UInt64(value)) != 0 }
        if value < 128 { return high & (1 << UInt64(value - 64)) != 0 }
        return beyondASCII
    }

    /// The characters in both sets (beyond ASCII: possibly some, when both may hold some).
    func intersection(_ other: PatternCharacterSet) -> PatternCharacterSet {
        PatternCharacterSet(low: low & other.low, high: high & other.high, beyondASCII: beyondASCII && other.beyondASCII, exact: false)
    }

    /// Whether some character may be in both sets.
    func overlaps(_ other: PatternCharacterSet) -> Bool {
        low & other.low != 0 || high & other.high != 0 || (beyondASCII && other.beyondASCII)
    }

    static let digits = PatternCharacterSet("0123456789", beyondASCII: true)
    static let word: PatternCharacterSet = {
        var set = PatternCharacterSet("_", beyondASCII: true)
        set.insert(from: 48, through: 57)
        set.insert(from: 65, through: 90)
        set.insert(from: 97, through: 122)
        return set
    }()
    static let spaces = PatternCharacterSet(" \t\n\r\u{0B}\u{0C}", beyondASCII: true)
    static let horizontalSpaces = PatternCharacterSet(" \t", beyondASCII: true)
    static let verticalSpaces = PatternCharacterSet("\n\r\u{0B}\u{0C}", beyondASCII: true)
}

extension PatternCharacterSet {
    /// The complement of a shorthand class (`\D`, `\W`, `\S`): exact in ASCII, and possibly any character beyond.
    var asciiComplement: PatternCharacterSet {
        PatternCharacterSet(low: ~low, high: ~high, beyondASCII: true, exact: true)
    }
}

extension PatternNode {
    /// Every character set widened to both letter cases (a pattern with `(?i)` anywhere is read case-insensitively
    /// throughout: a wider model, never a narrower one).
    var caseFolded: PatternNode {
        switch self {
        case .empty, .backreference: self
        case let .character(set, at): .character(set.caseFolded, at: at)
        case let .sequence(items): .sequence(items.map(\.caseFolded))
        case let .alternation(branches, source): .alternation(branches.map(\.caseFolded), source: source)
        case let .repetition(body, min, max, source): .repetition(body.caseFolded, min: min, max: max, source: source)
        case let .lookaround(body): .lookaround(body.caseFolded)
        }
    }
}

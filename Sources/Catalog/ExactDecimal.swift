/// A decimal number kept exactly as digits, never as a binary floating-point value.
///
/// Canonical form: no leading zeros in the integer part, no trailing zeros in the fraction,
/// no negative zero (`-0.50` becomes `-0.5`, `007` becomes `7`).
public struct ExactDecimal: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// `true` when the number is below zero.
    public let isNegative: Bool
    /// Integer digits without leading zeros (`"0"` for zero).
    public let integerDigits: String
    /// Fraction digits without trailing zeros (may be empty).
    public let fractionDigits: String

    /// The most digits accepted in total; longer numbers are refused rather than slowing comparisons down.
    public static let maximumDigits = 38

    /// Parses `-12.50`, `3`, `+0.25`. Refuses exponents, spaces, `nan`, `inf` and more than
    /// ``maximumDigits`` digits.
    public init?(_ text: some StringProtocol) {
        var rest = Substring(text)
        var negative = false
        if let sign = rest.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            rest = rest.dropFirst()
        }
        let parts = rest.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let intPart = parts.first, !intPart.isEmpty, intPart.allSatisfy(\.isASCIIDigit) else { return nil }
        let fracPart = parts.count == 2 ? parts[1] : ""
        if parts.count == 2, fracPart.isEmpty { return nil }
        guard fracPart.allSatisfy(\.isASCIIDigit), intPart.count + fracPart.count <= Self.maximumDigits else {
            return nil
        }
        let int = String(intPart.drop { $0 == "0" })
        var frac = String(fracPart)
        while frac.last == "0" { frac.removeLast() }
        integerDigits = int.isEmpty ? "0" : int
        fractionDigits = frac
        isNegative = negative && !(integerDigits == "0" && fractionDigits.isEmpty)
    }

    /// An exact decimal from an integer.
    public init(_ value: Int) {
        // swiftlint:disable:next force_unwrapping
        self = ExactDecimal(String(value))!
    }

    /// The canonical text, for example `-12.5`.
    public var description: String {
        (isNegative ? "-" : "") + integerDigits + (fractionDigits.isEmpty ? "" : "." + fractionDigits)
    }

    /// Whether the number has no fraction part.
    public var isInteger: Bool { fractionDigits.isEmpty }

    /// The value as an `Int` when it is an integer that fits.
    public var intValue: Int? { isInteger ? Int(description) : nil }

    public static func < (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        if lhs.isNegative != rhs.isNegative { return lhs.isNegative }
        let magnitudeLess = Self.magnitudeLess(lhs, rhs)
        let equal = lhs == rhs
        return lhs.isNegative ? (!magnitudeLess && !equal) : magnitudeLess
    }

    private static func magnitudeLess(_ lhs: ExactDecimal, _ rhs: ExactDecimal) -> Bool {
        if lhs.integerDigits.count != rhs.integerDigits.count {
            return lhs.integerDigits.count < rhs.integerDigits.count
        }
        if lhs.integerDigits != rhs.integerDigits { return lhs.integerDigits < rhs.integerDigits }
        let width = max(lhs.fractionDigits.count, rhs.fractionDigits.count)
        let lf = lhs.fractionDigits.padding(toLength: width)
        let rf = rhs.fractionDigits.padding(toLength: width)
        return lf < rf
    }
}

extension String {
    func padding(toLength width: Int) -> String {
        count >= width ? self : self + String(repeating: "0", count: width - count)
    }
}

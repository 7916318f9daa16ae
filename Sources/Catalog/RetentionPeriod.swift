/// How long something is kept: a count of days, weeks, months or years (`90d`, `6m`, `7y`).
public struct RetentionPeriod: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The unit of a period.
    public enum Unit: String, Sendable, Hashable {
        case days = "d", weeks = "w", months = "m", years = "y"
    }

    /// Number of units, at least 1.
    public let count: Int
    /// The unit.
    public let unit: Unit

    /// A period of `count` units.
    public init(count: Int, unit: Unit) {
        self.count = count
        self.unit = unit
    }

    /// Parses `<count><unit>` with unit `d`, `w`, `m` or `y` and a count from 1 to 36500 days' worth.
    public init?(_ text: String) {
        guard let last = text.last, let unit = Unit(rawValue: String(last)) else { return nil }
        let digits = text.dropLast()
        guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy(\.isASCIIDigit),
              let count = Int(digits), count >= 1 else { return nil }
        self.init(count: count, unit: unit)
        guard approximateDays <= 36_500 else { return nil }
    }

    /// Length in days, counting a month as 30 and a year as 365 days; only for comparing periods.
    public var approximateDays: Int {
        switch unit {
        case .days: count
        case .weeks: count * 7
        case .months: count * 30
        case .years: count * 365
        }
    }

    /// The last day of the period that starts on `start` (exact calendar arithmetic).
    public func end(startingOn start: CalendarDate) -> CalendarDate {
        switch unit {
        case .days: start.adding(days: count)
        case .weeks: start.adding(days: count * 7)
        case .months: start.adding(months: count)
        case .years: start.adding(years: count)
        }
    }

    public static func < (lhs: RetentionPeriod, rhs: RetentionPeriod) -> Bool {
        lhs.approximateDays < rhs.approximateDays
    }

    /// `7y`.
    public var description: String { "\(count)\(unit.rawValue)" }
}

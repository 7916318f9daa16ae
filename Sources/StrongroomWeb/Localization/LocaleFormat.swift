import Catalog

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Dates, times, numbers and money as a reader of one language expects them, without depending on the platform's
/// locale data (so a page looks the same on every server).
///
/// ```
/// hu: 2026. 12. 02.   15:04   12 345,50   12 345,50 Ft   12 345,50 €
/// en: 2 December 2026 15:04   12,345.50   HUF 12,345.50  €12,345.50
/// ```
public struct LocaleFormat: Sendable {
    public let language: String
    /// The time zone pages show times in (the agency's).
    public let timeZone: TimeZone

    public init(language: String, timeZone: TimeZone) {
        self.language = language
        self.timeZone = timeZone
    }

    static let englishMonths = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December",
    ]

    /// A calendar date: `2026. 12. 02.` or `2 December 2026`.
    public func date(_ date: CalendarDate) -> String {
        switch language {
        case "hu": return "\(date.year). \(Self.two(date.month)). \(Self.two(date.day))."
        default: return "\(date.day) \(Self.englishMonths[date.month - 1]) \(date.year)"
        }
    }

    /// A moment as a date in the agency's time zone.
    public func date(_ moment: Date) -> String { date(parts(of: moment).date) }

    /// The calendar day of a moment in the agency's time zone.
    public func day(of moment: Date) -> CalendarDate { parts(of: moment).date }

    /// A moment as date and time: `2026. 12. 02. 15:04` or `2 December 2026, 15:04`.
    public func dateTime(_ moment: Date) -> String {
        let (day, hour, minute) = parts(of: moment)
        let time = "\(Self.two(hour)):\(Self.two(minute))"
        switch language {
        case "hu": return date(day) + " " + time
        default: return date(day) + ", " + time
        }
    }

    /// The time of day only: `15:04`.
    public func time(_ moment: Date) -> String {
        let (_, hour, minute) = parts(of: moment)
        return "\(Self.two(hour)):\(Self.two(minute))"
    }

    /// A machine-readable moment for `<time datetime>`.
    public func isoDateTime(_ moment: Date) -> String { moment.formatted(.iso8601) }

    /// Digits with the language's grouping and decimal separators: `12 345,50` / `12,345.50`.
    public func number(_ text: String) -> String {
        var digits = Substring(text)
        let negative = digits.first == "-"
        if negative { digits = digits.dropFirst() }
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = String(parts.first ?? "0")
        let fraction = parts.count > 1 ? String(parts[1]) : nil
        let (group, decimal): (String, String) = language == "hu" ? ("\u{00A0}", ",") : (",", ".")
        var grouped = ""
        for (index, character) in whole.reversed().enumerated() {
            if index > 0, index % 3 == 0 { grouped.append(contentsOf: group.reversed()) }
            grouped.append(character)
        }
        var result = String(grouped.reversed())
        if let fraction { result += decimal + fraction }
        return (negative ? "-" : "") + result
    }

    /// An integer count with grouping.
    public func number(_ value: Int) -> String { number(String(value)) }

    /// An amount of money: `12 345,50 Ft`, `12 345,50 €`, `€12,345.50`, `HUF 12,345.50`.
    public func money(_ money: Money) -> String {
        let amount = number(money.currency.decimalString(minorUnits: money.minorUnits))
        let symbol = Self.symbols[money.currency.code]
        switch language {
        case "hu": return amount + "\u{00A0}" + (symbol ?? money.currency.code)
        default:
            if let symbol, money.currency.code != "HUF" { return symbol + amount }
            return money.currency.code + "\u{00A0}" + amount
        }
    }

    static let symbols = ["EUR": "€", "HUF": "Ft", "GBP": "£", "USD": "$", "CHF": "CHF", "PLN": "zł", "CZK": "Kč", "RON": "lei"]

    private func parts(of moment: Date) -> (date: CalendarDate, hour: Int, minute: Int) {
        let shifted = moment.timeIntervalSince1970 + Double(timeZone.secondsFromGMT(for: moment))
        let seconds = Int(shifted.rounded(.down))
        let days = Int((Double(seconds) / 86_400).rounded(.down))
        let secondOfDay = seconds - days * 86_400
        return (CalendarDate(daysSinceEpoch: days), secondOfDay / 3600, (secondOfDay % 3600) / 60)
    }

    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}

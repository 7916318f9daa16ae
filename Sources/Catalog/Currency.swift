/// An ISO 4217 currency known to the catalog, with the number of digits after the decimal point.
public struct Currency: Sendable, Hashable, CustomStringConvertible {
    /// The three-letter code, for example `EUR`.
    public let code: String
    /// Digits in the minor unit: 2 for EUR (cents), 0 for JPY, 3 for KWD.
    public let exponent: Int

    /// The currency for an ISO 4217 code, or `nil` when the code is not a known active currency.
    public init?(code: String) {
        guard let exponent = Self.exponents[code] else { return nil }
        self.code = code
        self.exponent = exponent
    }

    public var description: String { code }

    /// Parses a major-unit amount with either no fraction or exactly ``exponent`` fraction digits
    /// (`"12.50"` for EUR) into minor units. Returns `nil` for any other shape or on overflow.
    public func minorUnits(fromDecimal text: some StringProtocol) -> Int64? {
        var rest = Substring(text)
        var negative = false
        if rest.first == "-" { negative = true; rest = rest.dropFirst() }
        let parts = rest.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let major = parts.first, !major.isEmpty, major.count <= 18, major.allSatisfy(\.isASCIIDigit) else {
            return nil
        }
        var minorText = ""
        if parts.count == 2 {
            guard exponent > 0, parts[1].count == exponent, parts[1].allSatisfy(\.isASCIIDigit) else { return nil }
            minorText = String(parts[1])
        } else {
            minorText = String(repeating: "0", count: exponent)
        }
        guard let value = Int64(String(major) + minorText) else { return nil }
        return negative ? -value : value
    }

    /// Formats minor units as a major-unit decimal with exactly ``exponent`` fraction digits.
    public func decimalString(minorUnits: Int64) -> String {
        let magnitude = String(minorUnits.magnitude)
        let sign = minorUnits < 0 ? "-" : ""
        guard exponent > 0 else { return sign + magnitude }
        let padded = String(repeating: "0", count: max(0, exponent + 1 - magnitude.count)) + magnitude
        let split = padded.index(padded.endIndex, offsetBy: -exponent)
        return sign + padded[..<split] + "." + padded[split...]
    }

    // Active ISO 4217 codes an agency is likely to use; extend as needed.
    private static let exponents: [String: Int] = [
        "AED": 2, "AUD": 2, "BGN": 2, "BHD": 3, "BRL": 2, "CAD": 2, "CHF": 2, "CLP": 0, "CNY": 2,
        "CZK": 2, "DKK": 2, "EUR": 2, "GBP": 2, "HKD": 2, "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2,
        "ISK": 0, "JOD": 3, "JPY": 0, "KES": 2, "KRW": 0, "KWD": 3, "MXN": 2, "MYR": 2, "NGN": 2,
        "NOK": 2, "NZD": 2, "OMR": 3, "PHP": 2, "PLN": 2, "RON": 2, "RSD": 2, "SAR": 2, "SEK": 2,
        "SGD": 2, "THB": 2, "TND": 3, "TRY": 2, "TWD": 2, "UAH": 2, "USD": 2, "VND": 0, "ZAR": 2,
    ]
}

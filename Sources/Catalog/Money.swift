/// An exact amount of money in minor units (cents) of a currency.
public struct Money: Sendable, Hashable, CustomStringConvertible {
    /// Amount in minor units, for example 1250 for EUR 12.50.
    public let minorUnits: Int64
    /// The currency.
    public let currency: Currency

    /// An amount in minor units of `currency`.
    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    /// `EUR 12.50`.
    public var description: String { "\(currency.code) \(currency.decimalString(minorUnits: minorUnits))" }
}

/// One measured figure beside its floor, as printed in the table and written to the JSON file.
///
/// `costRatio` is always "how many times the floor's cost": figure/floor for times, floor/figure for rates.
/// 1.0 means as fast as the floor; 2.0 means half the floor's speed.
struct BenchFigure: Codable, Sendable {
    var scenario: String
    var name: String
    var value: Double
    var unit: String
    var lowerIsBetter: Bool
    var floor: Double?
    var floorDescription: String
    var costRatio: Double?
    var target: String?
    var pass: Bool?
    var note: String?

    /// A target one figure is checked against.
    struct Target: Sendable {
        let text: String
        let check: @Sendable (_ value: Double, _ costRatio: Double?) -> Bool

        static func atMost(_ limit: Double, _ unit: String) -> Target {
            Target(text: "≤ \(BenchFormat.number(limit)) \(unit)") { value, _ in value <= limit }
        }
        static func atLeast(_ limit: Double, _ unit: String) -> Target {
            Target(text: "≥ \(BenchFormat.number(limit)) \(unit)") { value, _ in value >= limit }
        }
        static func below(_ limit: Double, _ unit: String) -> Target {
            Target(text: "< \(BenchFormat.number(limit)) \(unit)") { value, _ in value < limit }
        }
        /// At most `factor` times the floor's cost (2 = "about half the floor's throughput or better").
        static func withinFloor(_ factor: Double) -> Target {
            Target(text: "≤ \(BenchFormat.number(factor))× floor") { _, ratio in ratio.map { $0 <= factor } ?? false }
        }
    }

    init(
        scenario: String, name: String, value: Double, unit: String, lowerIsBetter: Bool,
        floor: Double?, floorDescription: String, targets: [Target] = [], note: String? = nil
    ) {
        self.scenario = scenario
        self.name = name
        self.value = value
        self.unit = unit
        self.lowerIsBetter = lowerIsBetter
        self.floor = floor
        self.floorDescription = floorDescription
        if let floor, floor > 0, value > 0 {
            costRatio = lowerIsBetter ? value / floor : floor / value
        }
        if !targets.isEmpty {
            target = targets.map(\.text).joined(separator: ", ")
            let ratio = costRatio
            pass = targets.allSatisfy { $0.check(value, ratio) }
        }
        self.note = note
    }
}

/// Number formatting for the table: enough digits to compare, no more.
enum BenchFormat {
    static func number(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude >= 1000 { return grouped(Int(value.rounded())) }
        if magnitude >= 100 { return String(Int(value.rounded())) }
        if magnitude >= 10 { return fixed(value, 1) }
        if magnitude >= 1 { return fixed(value, 2) }
        if magnitude >= 0.01 { return fixed(value, 3) }
        if magnitude == 0 { return "0" }
        return fixed(value, 5)
    }

    static func fixed(_ value: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        let sign = scaled < 0 ? "-" : ""
        let whole = abs(scaled) / Int(scale), fraction = abs(scaled) % Int(scale)
        let fractionText = String(fraction)
        return sign + String(whole) + "." + String(repeating: "0", count: digits - fractionText.count) + fractionText
    }

    static func grouped(_ value: Int) -> String {
        let digits = String(abs(value))
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return (value < 0 ? "-" : "") + out
    }
}

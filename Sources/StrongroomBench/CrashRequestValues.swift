/// The field values the crash test sends for request number `number`: every value carries the number (and the
/// version, for updates), so a request found on disk tells which write it came from.
enum CrashRequestValues {
    static let serviceID = "benefit-application"

    /// Values as sent in the JSON body. `version` 1 is the create, 2 the update of a draft.
    static func fields(number: Int, version: Int) -> [String: Any] {
        let marker = version == 1 ? "Crash\(number)" : "Crash\(number)v\(version)"
        let digits = String(number % 10_000_000)
        return [
            "full_name": "\(marker) Applicant",
            "national_id": String(repeating: "0", count: 7 - digits.count) + digits + "CX",
            "monthly_income": "\(1000 + number % 5000 + version).00",
            "household_size": 1 + (number + version) % 6,
            "bank_account": "IE29AIBK93115212345678",
            "reason": "\(marker): lost my job and need support",
        ]
    }

    /// The number and version a request's `full_name` names ("Crash123 Applicant", "Crash123v2 Applicant").
    static func marker(inFullName name: String) -> (number: Int, version: Int)? {
        guard name.hasPrefix("Crash"), name.hasSuffix(" Applicant") else { return nil }
        let core = name.dropFirst("Crash".count).dropLast(" Applicant".count)
        let parts = core.split(separator: "v", maxSplits: 1)
        guard let number = parts.first.flatMap({ Int($0) }) else { return nil }
        if parts.count == 1 { return (number, 1) }
        guard let version = Int(parts[1]) else { return nil }
        return (number, version)
    }

    /// Whether the values a server shows (`shown`) are the values sent (`sent`): every field present, each equal
    /// as text, or shown with a prefix such as a currency code ("EUR 1250.00" for "1250.00"). Returns what differs.
    static func differences(shown: [String: String], sent: [String: Any]) -> [String] {
        var out: [String] = []
        for (field, value) in sent {
            let text = "\(value)"
            guard let seen = shown[field] else {
                out.append("\(field) missing")
                continue
            }
            if seen != text && !seen.hasSuffix(" " + text) { out.append("\(field) differs") }
        }
        for field in shown.keys where sent[field] == nil { out.append("\(field) unexpected") }
        return out.sorted()
    }
}

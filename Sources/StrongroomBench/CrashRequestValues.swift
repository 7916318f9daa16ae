/// The field values the crash test sends for request number `number`: every value carries the number (and the
/// version, for updates), so a request found on disk tells which write it came from.
enum CrashRequestValues {
    static let serviceID = "benefit-application"
    /// The fee payment service: decided by a rule on submission, which makes its fee due (a payment row).
    static let feeServiceID = "fee-payment"

    /// How many fields a request of `service` has on disk (the test always sends all of them).
    static func fieldCount(service: String) -> Int {
        (service == feeServiceID ? feeFields(number: 0) : fields(number: 0, version: 1)).count
    }

    /// The values sent for request `number` of `service` (fee payments are never updated: version 1 only).
    static func fields(service: String, number: Int, version: Int) -> [String: Any] {
        service == feeServiceID ? feeFields(number: number) : fields(number: number, version: version)
    }

    /// A fee payment's values: the receipt email carries the number.
    static func feeFields(number: Int) -> [String: Any] {
        [
            "payment_reference": "RT-" + String(format: "%08d", number % 100_000_000),
            "amount": "\(1 + number % 400).\(String(format: "%02d", number % 100))",
            "payer_email": "crash\(number)@example.org",
        ]
    }

    /// The request number a request's shown fields name (its full name, or a fee payment's receipt email).
    static func number(inFields fields: [String: String]) -> Int? {
        if let name = fields["full_name"] { return marker(inFullName: name)?.number }
        if let email = fields["payer_email"], email.hasPrefix("crash"), email.hasSuffix("@example.org") {
            return Int(email.dropFirst("crash".count).dropLast("@example.org".count))
        }
        return nil
    }

    /// The body of a message: names the request, who wrote it and which of its writer's messages it is.
    static func messageBody(requestID: String, author: String, serial: Int) -> String {
        "CrashMsg \(requestID) \(author) \(serial): a message written by the crash test"
    }

    /// A caseworker's decision reason (the citizen reads it as a decision message).
    static func decisionReason(requestID: String, outcome: String) -> String {
        "Crash test decision (\(outcome)) on \(requestID): the criteria were checked"
    }

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

extension FieldDefinition {
    func validateAddress(_ input: FieldInput) -> Result<FieldValue?, FieldIssue> {
        guard case let .object(object) = input else {
            return .failure(wrongType("an address with line1, city, postcode and country"))
        }
        // Submitted keys are not echoed: a client may put anything, even personal data, in a key.
        if object.keys.contains(where: { !PostalAddress.partNames.contains($0) }) {
            return .failure(issue(.invalidAddress, "\(messageLabel) has a part that is not an address part; use only line1, line2, city, postcode, country"))
        }
        var parts: [String: String] = [:]
        for name in PostalAddress.partNames {
            switch object[name] ?? .null {
            case .null: continue
            case let .string(s):
                let value = s.trimmingWhitespace()
                guard value.count <= 200, !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                    return .failure(issue(.invalidAddress, "\(messageLabel): the \(name) must be at most 200 characters of plain text", part: name))
                }
                if !value.isEmpty { parts[name] = value }
            default:
                return .failure(issue(.wrongType, "\(messageLabel): the \(name) must be text", part: name))
            }
        }
        for name in ["line1", "city", "postcode", "country"] where parts[name] == nil {
            return .failure(issue(.invalidAddress, "\(messageLabel) needs a \(name)", part: name))
        }
        let country = (parts["country"] ?? "").uppercased()
        guard country.count == 2, country.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) }) else {
            return .failure(issue(.invalidAddress, "\(messageLabel): the country must be a two-letter code such as IE or FR", part: "country"))
        }
        let postcode = (parts["postcode"] ?? "").uppercased()
        if let pattern = constraints.pattern, !pattern.matchesWhole(postcode) {
            let what = pattern.description(in: "en") ?? "a postcode"
            return .failure(issue(.patternMismatch, "\(messageLabel): the postcode must match the pattern for \(what)", part: "postcode"))
        }
        return .success(.postalAddress(PostalAddress(
            line1: parts["line1"] ?? "", line2: parts["line2"], city: parts["city"] ?? "",
            postcode: postcode, country: country)))
    }

    func validateMoney(_ input: FieldInput) -> Result<FieldValue?, FieldIssue> {
        let expected = "an amount: whole minor units (cents) or a decimal text with the currency's digits"
        guard let fieldCurrency = constraints.currency else { return .failure(wrongType(expected)) }
        var amountInput = input
        var currency = fieldCurrency
        if case let .object(object) = input {
            if object.keys.contains(where: { $0 != "amount" && $0 != "currency" }) {
                return .failure(issue(.invalidMoney, "\(messageLabel) has a part other than amount and currency; remove it"))
            }
            if case let .string(code)? = object["currency"] {
                guard let given = Currency(code: code), given == fieldCurrency else {
                    return .failure(issue(.invalidMoney, "\(messageLabel) must be in \(fieldCurrency.code)"))
                }
                currency = given
            } else if let other = object["currency"], other != .null {
                return .failure(issue(.invalidMoney, "\(messageLabel): the currency must be a three-letter code"))
            }
            amountInput = object["amount"] ?? .null
        }
        let minor: Int64?
        switch amountInput {
        case let .integer(i): minor = Int64(i)
        case let .string(s), let .decimal(s): minor = currency.minorUnits(fromDecimal: s.trimmingWhitespace())
        case .null: return .failure(issue(.invalidMoney, "\(messageLabel) needs an amount"))
        default: return .failure(wrongType(expected))
        }
        guard let amount = minor else {
            let digits = currency.exponent == 0 ? "no decimals" : "exactly \(currency.exponent) digits after the decimal point"
            return .failure(issue(.invalidMoney, "\(messageLabel) must be an amount in \(currency.code) with \(digits)"))
        }
        let minimum = constraints.minimumMinorUnits ?? 0
        if amount < minimum {
            return .failure(issue(.outOfRange, "\(messageLabel) must be at least \(currency.decimalString(minorUnits: minimum)) \(currency.code)"))
        }
        if let maximum = constraints.maximumMinorUnits, amount > maximum {
            return .failure(issue(.outOfRange, "\(messageLabel) must be at most \(currency.decimalString(minorUnits: maximum)) \(currency.code)"))
        }
        return .success(.money(Money(minorUnits: amount, currency: currency)))
    }
}

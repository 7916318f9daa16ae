extension FieldDefinition {
    /// Most characters accepted in any submitted string before normalisation.
    static let maximumInputLength = 10_000

    /// Default length caps when the catalog sets none.
    var effectiveMaxLength: Int {
        if let maxLength = constraints.maxLength { return maxLength }
        // A pattern is never matched against more (the loader refuses a larger `max_length` with a pattern).
        if constraints.pattern != nil, type == .text { return FieldPattern.maximumSubjectLength }
        switch type {
        case .text: return 2_000
        case .email: return 254
        case .nationalID: return 32
        case .fileReference: return 256
        default: return 200
        }
    }

    /// Validates one submitted value. `.success(nil)` means absent (or empty text).
    func validate(_ input: FieldInput, today: CalendarDate) -> Result<FieldValue?, FieldIssue> {
        if case .null = input { return .success(nil) }
        if case let .string(s) = input {
            if s.utf8.count > Self.maximumInputLength * 4 || s.count > Self.maximumInputLength {
                return .failure(issue(.tooLong, "\(messageLabel) is too long; use at most \(effectiveMaxLength) characters"))
            }
            if type != .boolean, type != .postalAddress, s.allSatisfy(\.isWhitespace) { return .success(nil) }
        }
        switch type {
        case .text: return validateText(input)
        case .number: return validateNumber(input)
        case .date: return validateDate(input, today: today)
        case .email: return validateEmail(input)
        case .phone: return validatePhone(input)
        case .postalAddress: return validateAddress(input)
        case .nationalID: return validateNationalID(input)
        case .money: return validateMoney(input)
        case .choice: return validateChoice(input)
        case .boolean:
            guard case let .bool(b) = input else { return .failure(wrongType("true or false")) }
            return .success(.boolean(b))
        case .fileReference: return validateFileReference(input)
        }
    }

    func issue(_ code: FieldIssue.Code, _ message: String, part: String? = nil) -> FieldIssue {
        FieldIssue(field: part.map { "\(id).\($0)" } ?? id, code: code, message: message)
    }

    func wrongType(_ expected: String) -> FieldIssue {
        issue(.wrongType, "\(messageLabel) must be \(expected)")
    }

    /// Length and pattern checks shared by text-like types, on the normalised value.
    func checkTextRules(_ value: String, part: String? = nil) -> FieldIssue? {
        if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t" }) {
            return issue(.invalidText, "\(messageLabel) must not contain control characters", part: part)
        }
        if let minLength = constraints.minLength, value.count < minLength {
            return issue(.tooShort, "\(messageLabel) must be at least \(minLength) characters long", part: part)
        }
        if value.count > effectiveMaxLength {
            return issue(.tooLong, "\(messageLabel) must be at most \(effectiveMaxLength) characters long", part: part)
        }
        if let pattern = constraints.pattern, !pattern.matchesWhole(value) {
            let what = pattern.description(in: "en") ?? "a valid \(messageLabel.lowercased())"
            return issue(.patternMismatch, "\(messageLabel) must match the pattern for \(what)", part: part)
        }
        return nil
    }

    private func validateText(_ input: FieldInput) -> Result<FieldValue?, FieldIssue> {
        guard case let .string(raw) = input else { return .failure(wrongType("text")) }
        let value = raw.trimmingWhitespace()
        if let problem = checkTextRules(value) { return .failure(problem) }
        return .success(.text(value))
    }

    private func validateNumber(_ input: FieldInput) -> Result<FieldValue?, FieldIssue> {
        let parsed: ExactDecimal?
        switch input {
        case let .integer(i): parsed = ExactDecimal(i)
        case let .decimal(s), let .string(s): parsed = ExactDecimal(s.trimmingWhitespace())
        default: return .failure(wrongType("a number"))
        }
        guard let number = parsed else {
            return .failure(issue(.invalidNumber, "\(messageLabel) must be a number written with digits and an optional decimal point"))
        }
        if let places = constraints.decimalPlaces, number.fractionDigits.count > places {
            let what = places == 0 ? "a whole number" : "a number with at most \(places) digits after the decimal point"
            return .failure(issue(.invalidNumber, "\(messageLabel) must be \(what)"))
        }
        if let min = constraints.minimumNumber, number < min {
            return .failure(issue(.outOfRange, "\(messageLabel) must be at least \(min)"))
        }
        if let max = constraints.maximumNumber, number > max {
            return .failure(issue(.outOfRange, "\(messageLabel) must be at most \(max)"))
        }
        return .success(.number(number))
    }

    private func validateDate(_ input: FieldInput, today: CalendarDate) -> Result<FieldValue?, FieldIssue> {
        guard case let .string(raw) = input else { return .failure(wrongType("a date written YYYY-MM-DD")) }
        guard let date = CalendarDate(raw.trimmingWhitespace()) else {
            return .failure(issue(.invalidDate, "\(messageLabel) must be a real calendar date written YYYY-MM-DD"))
        }
        if let bound = constraints.earliestDate, date < bound.resolve(today: today) {
            return .failure(issue(.outOfRange, "\(messageLabel) must be on or after \(bound.resolve(today: today))"))
        }
        if let bound = constraints.latestDate, date > bound.resolve(today: today) {
            return .failure(issue(.outOfRange, "\(messageLabel) must be on or before \(bound.resolve(today: today))"))
        }
        return .success(.date(date))
    }

    private func validateEmail(_ input: FieldInput) -> Result<FieldValue?, FieldIssue> {
        guard case let .string(raw) = input else { return .failure(wrongType("an email address")) }
        let value = raw.trimmingWhitespace()
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        let invalid = issue(.invalidEmail, "\(messageLabel) must be an email address like name@example.org")
        guard parts.count == 2, let local = parts.first, let domain = parts.last,
              (1...64).contains(local.count), (3...253).contains(domain.count),
              local.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 32 && $0.value < 127 && !"()<>[],;:\\\"".unicodeScalars.contains($0) })
        else { return .failure(invalid) }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ label in
            (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                && label.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }
        }) else { return .failure(invalid) }
        let normalised = local + "@" + domain.lowercased()
        if let problem = checkTextRules(normalised) { return .failure(problem) }
        return .success(.email(normalised))
    }

    private func validatePhone(_ input: FieldInput) -> Result<FieldValue?, FieldIssue> {
        guard case let .string(raw) = input else { return .failure(wrongType("a phone number")) }
        var value = String(raw.trimmingWhitespace().filter { !" -().\t".contains($0) })
        if value.hasPrefix("00") { value = "+" + value.dropFirst(2) }
        let digits = value.dropFirst()
        guard value.first == "+", (7...15).contains(digits.count), digits.allSatisfy(\.isASCIIDigit),
              digits.first != "0" else {
            return .failure(issue(.invalidPhone,
                                  "\(messageLabel) must be a phone number in international format: + then the country code and number"))
        }
        if let problem = checkTextRules(value) { return .failure(problem) }
        return .success(.phone(value))
    }

    private func validateNationalID(_ input: FieldInput) -> Result<FieldValue?, FieldIssue> {
        guard case let .string(raw) = input else { return .failure(wrongType("an identity number")) }
        let value = BlindIndexNormalization.nationalID.normalize(raw.trimmingWhitespace())
        guard (4...32).contains(value.count), value.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }) else {
            return .failure(issue(.invalidNationalID, "\(messageLabel) must be 4 to 32 letters and digits (spaces and dashes are ignored)"))
        }
        if let pattern = constraints.pattern, !pattern.matchesWhole(value) {
            let what = pattern.description(in: "en") ?? "a national identity number"
            return .failure(issue(.invalidNationalID, "\(messageLabel) must match the pattern for \(what)"))
        }
        return .success(.nationalID(value))
    }

    private func validateChoice(_ input: FieldInput) -> Result<FieldValue?, FieldIssue> {
        guard case let .string(raw) = input else { return .failure(wrongType("one of the listed options")) }
        let value = raw.trimmingWhitespace()
        guard constraints.allows(choice: value) else {
            let allowed = constraints.options.map(\.value).joined(separator: ", ")
            return .failure(issue(.notAllowedChoice, "\(messageLabel) must be one of: \(allowed)"))
        }
        return .success(.choice(value))
    }

    private func validateFileReference(_ input: FieldInput) -> Result<FieldValue?, FieldIssue> {
        guard case let .string(raw) = input else { return .failure(wrongType("a file reference")) }
        let value = raw.trimmingWhitespace()
        guard value.count <= effectiveMaxLength,
              value.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._:/-".unicodeScalars.contains($0)) })
        else {
            return .failure(issue(.invalidText, "\(messageLabel) must be the reference returned when the file was uploaded"))
        }
        return .success(.fileReference(value))
    }
}

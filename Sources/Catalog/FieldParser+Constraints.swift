import Yams

extension FieldParser {
    private static let textLike: Set<FieldType> = [.text, .email, .phone, .nationalID, .postalAddress]

    /// Reads `validation:`, `options:` and `currency:`, reporting keys that do not suit the type.
    func parseConstraints(_ reader: MappingReader, type: FieldType) -> FieldConstraints {
        var constraints = FieldConstraints()
        parseOptions(reader, type: type, into: &constraints)
        if let code = reader.string("currency") {
            if type != .money {
                sink.error(.invalidValue, at: reader.keyNode("currency"), "`currency` only applies to money fields",
                           hint: "remove it from \(reader.what)")
            } else if let currency = Currency(code: code) {
                constraints.currency = currency
            } else {
                sink.error(.invalidCurrency, at: reader.value("currency"), "`\(code.prefix(16))` is not an ISO 4217 currency code",
                           hint: "use a three-letter code such as EUR, GBP or USD")
            }
        } else if type == .money {
            constraints.currency = defaultCurrency
            if defaultCurrency == nil {
                sink.error(.missingKey, at: reader.node, "money \(reader.what) has no currency",
                           hint: "add `currency: EUR` (or set `currency` in branding.yaml as the default)")
            }
        }
        guard let node = reader.value("validation"),
              let validation = MappingReader(node, what: "validation of \(reader.what)", sink: sink) else {
            return constraints
        }
        validation.rejectUnknownKeys(allowed: Self.validationKeys)
        func notFor(_ key: String, _ types: String) {
            sink.error(.invalidValue, at: validation.keyNode(key), "`\(key)` does not apply to a \(type.rawValue) field",
                       hint: "`\(key)` applies to \(types) fields; remove it")
        }
        if let source = validation.string("pattern") {
            if !Self.textLike.contains(type) {
                notFor("pattern", "text, email, phone, national_id and postal_address")
            } else {
                do {
                    constraints.pattern = try FieldPattern(source: source, translatedDescription: validation.text("pattern_description", languages: languages))
                } catch {
                    sink.error(error.code == .invalidSyntax ? .invalidPattern : .unsafePattern, at: validation.value("pattern"),
                               "the pattern of \(reader.what) \(error.message)", hint: error.hint)
                }
            }
        } else if validation.has("pattern_description") {
            sink.error(.invalidValue, at: validation.keyNode("pattern_description"), "`pattern_description` without `pattern`",
                       hint: "add the `pattern` it describes, or remove it")
        }
        for key in ["min_length", "max_length"] where validation.has(key) {
            guard Self.textLike.contains(type) || type == .fileReference else { notFor(key, "text-like"); continue }
            let value = validation.int(key, range: 0...100_000)
            if key == "min_length" { constraints.minLength = value } else { constraints.maxLength = value }
        }
        if let places = validation.int("decimal_places", range: 0...18) {
            if type == .number { constraints.decimalPlaces = places } else { notFor("decimal_places", "number") }
        }
        for key in ["min", "max"] {
            guard let raw = validation.string(key) else { continue }
            let at = validation.value(key)
            switch type {
            case .number:
                guard let n = ExactDecimal(raw) else {
                    sink.error(.invalidValue, at: at, "`\(key)` of \(reader.what) must be a number"); continue
                }
                if key == "min" { constraints.minimumNumber = n } else { constraints.maximumNumber = n }
            case .date:
                guard let bound = DateBound(raw) else {
                    sink.error(.invalidValue, at: at, "`\(key)` of \(reader.what) must be a date",
                               hint: "write YYYY-MM-DD, `today`, or an offset like today-18y or today+90d"); continue
                }
                if key == "min" { constraints.earliestDate = bound } else { constraints.latestDate = bound }
            case .money:
                guard let currency = constraints.currency else { continue }
                guard let minor = currency.minorUnits(fromDecimal: raw) else {
                    sink.error(.invalidValue, at: at, "`\(key)` of \(reader.what) must be an amount in \(currency.code)",
                               hint: "write it with \(currency.exponent) digits after the decimal point, e.g. \(currency.decimalString(minorUnits: 2500))"); continue
                }
                if key == "min" { constraints.minimumMinorUnits = minor } else { constraints.maximumMinorUnits = minor }
            default:
                notFor(key, "number, date and money")
            }
        }
        if constraints.pattern != nil, let maxLength = constraints.maxLength, maxLength > FieldPattern.maximumSubjectLength {
            sink.error(.invalidValue, at: validation.value("max_length"),
                       "`max_length` of \(reader.what) is \(maxLength), but a field with a pattern takes at most \(FieldPattern.maximumSubjectLength) characters",
                       hint: "lower `max_length` to \(FieldPattern.maximumSubjectLength) or less: longer values are never matched against a pattern, which bounds the time a check can take")
        }
        if let lo = constraints.minLength, let hi = constraints.maxLength, lo > hi {
            sink.error(.invalidValue, at: validation.value("min_length"), "`min_length` of \(reader.what) is larger than `max_length`")
        }
        if let lo = constraints.minimumNumber, let hi = constraints.maximumNumber, lo > hi {
            sink.error(.invalidValue, at: validation.value("min"), "`min` of \(reader.what) is larger than `max`")
        }
        if let lo = constraints.minimumMinorUnits, let hi = constraints.maximumMinorUnits, lo > hi {
            sink.error(.invalidValue, at: validation.value("min"), "`min` of \(reader.what) is larger than `max`")
        }
        return constraints
    }

    private func parseOptions(_ reader: MappingReader, type: FieldType, into constraints: inout FieldConstraints) {
        guard type == .choice else {
            if reader.has("options") {
                sink.error(.invalidValue, at: reader.keyNode("options"), "`options` only applies to choice fields",
                           hint: "remove `options` or change the type to choice")
            }
            return
        }
        guard let nodes = reader.list("options", required: true) else { return }
        if nodes.isEmpty {
            sink.error(.invalidValue, at: reader.value("options"), "a choice field needs at least one option")
        }
        for node in nodes {
            var option: ChoiceOption?
            if case let .scalar(scalar) = node {
                option = ChoiceOption(value: scalar.string, label: scalar.string)
            } else if let entry = MappingReader(node, what: "an option of \(reader.what)", sink: sink) {
                entry.rejectUnknownKeys(allowed: ["value", "label"])
                if let value = entry.string("value", required: true) {
                    option = ChoiceOption(value: value, label: entry.text("label", languages: languages) ?? LocalizedText(value))
                }
            }
            guard let option else { continue }
            if languages.count > 1, !option.labelText.isTranslated, !hasLabel(node) {
                sink.warning(.untranslatedText, at: node, "option `\(option.value.prefix(64))` of \(reader.what) has no label, so its value is shown in every language: not translated",
                             hint: "write it as `- value: \(option.value.prefix(64))` with a `label:` mapping of one line per language (\(languages.joined(separator: ", ")))")
            }
            if option.value.isEmpty || option.value.count > 64 {
                sink.error(.invalidValue, at: node, "an option value must be 1 to 64 characters")
            } else if constraints.allows(choice: option.value) {
                sink.error(.invalidValue, at: node, "option `\(option.value)` is listed twice in \(reader.what)")
            } else {
                constraints.options.append(option)
            }
        }
    }

    private func hasLabel(_ node: Node) -> Bool {
        if case let .mapping(mapping) = node { return mapping["label"] != nil }
        return false
    }
}

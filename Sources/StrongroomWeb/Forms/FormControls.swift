import Catalog
import Strongroom

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Form controls for catalog fields, and the submitted form turned back into field inputs.
///
/// Names and ids: a field `postcode` is the control `f.postcode` with id `f-postcode`; a part (an address line, the
/// day of a date) is `f.new_address.city` with id `f-new_address-city`. Error summary links point at these ids.
enum FormControls {
    static func name(_ field: String, part: String? = nil) -> String { "f." + field + (part.map { "." + $0 } ?? "") }
    static func id(_ field: String, part: String? = nil) -> String { "f-" + field + (part.map { "-" + $0 } ?? "") }

    /// The id a summary link for `field` (or `field.part`) jumps to: the first control of the field.
    static func anchor(for problemField: String, definition: FieldDefinition?, language: String) -> String {
        let parts = problemField.split(separator: ".", maxSplits: 1).map(String.init)
        let field = parts[0]
        if parts.count == 2 { return id(field, part: parts[1]) }
        switch definition?.type {
        case .date?: return id(field, part: dateOrder(language).first!)
        case .postalAddress?: return id(field, part: "line1")
        case .choice?, .boolean?: return id(field, part: "0")
        default: return id(field)
        }
    }

    /// Date parts in the reader's order: year, month, day in Hungarian; day, month, year in English.
    static func dateOrder(_ language: String) -> [String] { language == "hu" ? ["year", "month", "day"] : ["day", "month", "year"] }

    /// The template values for one field's control(s).
    ///
    /// - Parameters:
    ///   - stored: the value as the gate revealed it (pre-fill), used when nothing was typed.
    ///   - typed: the form just submitted, when it is shown again with errors (the person's own input, back to them).
    static func model(
        for definition: FieldDefinition, label: String, stored: FieldView?, typed: FormBody?, error: String?, partErrors: [String: String],
        visit: Visit, autocomplete: String? = nil
    ) -> [String: Any] {
        let language = visit.language
        let t = visit.messages
        var model: [String: Any] = [
            "id": id(definition.id), "name": name(definition.id), "label": label,
            "required": definition.required,
            "optional_text": definition.required ? "" : t.text("form.optional"),
            "error_prefix": t.text("common.error_prefix"),
        ]
        if let help = definition.help(in: language) { model["hint"] = help }
        if let pattern = definition.patternDescription(in: language) {
            model["hint"] = [model["hint"] as? String, t.text("form.pattern_hint", ["what": pattern])].compactMap { $0 }.joined(separator: " ")
        }
        if let error { model["error"] = error }
        let describedBy = [model["hint"] != nil ? id(definition.id) + "-hint" : nil, error != nil ? id(definition.id) + "-error" : nil]
            .compactMap { $0 }.joined(separator: " ")
        if !describedBy.isEmpty { model["described_by"] = describedBy }
        if let autocomplete { model["autocomplete"] = autocomplete }
        let storedValue = stored?.value.flatMap { FieldDisplay.parse($0, type: definition.type) }

        switch definition.type {
        case .text, .email, .phone, .nationalID, .fileReference, .number:
            let value = typed?[name(definition.id)] ?? storedValue.map { FieldDisplay.editable($0, language: language) } ?? ""
            // Free text gets a text area; a value with a pattern (a postcode, a reference) or a short limit a line.
            let limit = definition.constraints.maxLength ?? (definition.constraints.pattern != nil ? 100 : 2000)
            let long = definition.type == .text && limit > 200
            model["kind"] = long ? "field_textarea" : "field_input"
            model["value"] = value
            model["input_type"] = switch definition.type {
            case .email: "email"
            case .phone: "tel"
            default: "text"
            }
            if definition.type == .number { model["inputmode"] = definition.constraints.decimalPlaces == 0 ? "numeric" : "decimal" }
            if definition.type == .email, autocomplete == nil { model["autocomplete"] = "email" }
            if definition.type == .phone, autocomplete == nil { model["autocomplete"] = "tel" }
            model["width"] = switch definition.type {
            case .number, .nationalID: "width-10"
            case .phone: "width-20"
            default: (definition.constraints.maxLength ?? 200) <= 12 ? "width-10" : "width-full"
            }
        case .money:
            let currency = definition.constraints.currency
            let value = typed?[name(definition.id)] ?? storedValue.map { FieldDisplay.editable($0, language: language) } ?? ""
            model["kind"] = "field_money"
            model["value"] = value
            model["inputmode"] = "decimal"
            model["currency"] = currency.map { LocaleFormat.symbols[$0.code] ?? $0.code } ?? ""
            model["currency_before"] = language != "hu"
        case .date:
            var parts: [String: String] = [:]
            if case .date(let date)? = storedValue {
                parts = ["year": String(date.year), "month": String(date.month), "day": String(date.day)]
            }
            model["kind"] = "field_date"
            model["hint"] = [model["hint"] as? String, t.text("form.date_hint")].compactMap { $0 }.joined(separator: " ")
            model["described_by"] = ([id(definition.id) + "-hint"] + (error != nil ? [id(definition.id) + "-error"] : [])).joined(separator: " ")
            model["parts"] = dateOrder(language).map { part -> [String: Any] in
                var item: [String: Any] = [
                    "id": id(definition.id, part: part), "name": name(definition.id, part: part), "label": t.text("form.date_" + part),
                    "value": typed?[name(definition.id, part: part)] ?? parts[part] ?? "",
                    "width": part == "year" ? "width-4" : "width-2",
                    "error": partErrors[part] != nil || error != nil,
                ]
                item["autocomplete"] = autocomplete == "bday" ? "bday-" + part : false
                return item
            }
        case .choice, .boolean:
            let options: [(String, String)] = definition.type == .boolean
                ? [("yes", t.text("form.answer_yes")), ("no", t.text("form.answer_no"))]
                : definition.constraints.options.map { ($0.value, $0.label(in: language)) }
            var current = typed?[name(definition.id)]
            if current == nil, let storedValue {
                switch storedValue {
                case .choice(let v): current = v
                case .boolean(let b): current = b ? "yes" : "no"
                default: break
                }
            }
            model["kind"] = "field_choice"
            model["inline"] = definition.type == .boolean
            model["options"] = options.enumerated().map { index, option in
                [
                    "id": id(definition.id, part: String(index)), "value": option.0, "label": option.1, "checked": option.0 == current,
                ] as [String: Any]
            }
        case .postalAddress:
            var address: PostalAddress?
            if case .postalAddress(let a)? = storedValue { address = a }
            model["kind"] = "field_address"
            let country = address?.country ?? ""
            model["parts"] = [
                ("line1", "address-line1", "width-full"), ("line2", "address-line2", "width-full"), ("city", "address-level2", "width-20"),
                ("postcode", "postal-code", "width-10"),
            ].map { part, complete, width -> [String: Any] in
                [
                    "id": id(definition.id, part: part), "name": name(definition.id, part: part), "label": t.text("form.address_" + part),
                    "value": typed?[name(definition.id, part: part)] ?? address?.part(part) ?? "", "autocomplete": complete, "width": width,
                    "part_error": partErrors[part] != nil || (error != nil && partErrors.isEmpty && part != "line2"),
                    "optional": part == "line2", "optional_text": t.text("form.optional"),
                ]
            }
            let chosen = typed?[name(definition.id, part: "country")] ?? country
            model["country"] = [
                "id": id(definition.id, part: "country"), "name": name(definition.id, part: "country"), "label": t.text("form.address_country"),
                "options_html": Countries.optionsHTML(language: language, chosen: chosen.isEmpty ? Countries.defaultCode : chosen),
            ] as [String: Any]
        }
        // A key the templates test but the model lacks is looked for in every enclosing context, which is slow:
        // give each one an explicit "no".
        for key in ["label_hidden", "hint", "error", "described_by", "inputmode", "autocomplete", "currency_before", "inline"]
        where model[key] == nil {
            model[key] = false
        }
        return model
    }

    /// The submitted form as inputs for `definitions`. An empty control is `nil` (left out) for a draft step, or
    /// `.null` (removed) when `removeEmpty`.
    static func inputs(from form: FormBody, definitions: [FieldDefinition], removeEmpty: Bool) -> [String: FieldInput] {
        var values: [String: FieldInput] = [:]
        for definition in definitions {
            if let input = input(from: form, definition: definition) {
                values[definition.id] = input
            } else if removeEmpty {
                values[definition.id] = .null
            }
        }
        return values
    }

    static func input(from form: FormBody, definition: FieldDefinition) -> FieldInput? {
        func text(_ part: String? = nil) -> String { (form[name(definition.id, part: part)] ?? "").trimmingWhitespaceAtEnds }
        switch definition.type {
        case .text, .email, .phone, .nationalID, .fileReference, .choice:
            let value = text()
            return value.isEmpty ? nil : .string(value)
        case .boolean:
            switch text() {
            case "yes": return .bool(true)
            case "no": return .bool(false)
            case "": return nil
            default: return .string(text())
            }
        case .number:
            let value = text()
            guard !value.isEmpty else { return nil }
            let normalized = normalizeNumber(value)
            return isDecimal(normalized) ? .decimal(normalized) : .string(value)
        case .money:
            let value = text()
            guard !value.isEmpty else { return nil }
            var normalized = normalizeNumber(value)
            let exponent = definition.constraints.currency?.exponent ?? 2
            if isDecimal(normalized), exponent > 0 {
                let pieces = normalized.split(separator: ".", omittingEmptySubsequences: false)
                let fraction = pieces.count > 1 ? String(pieces[1]) : ""
                if fraction.count < exponent {
                    normalized = String(pieces[0]) + "." + fraction + String(repeating: "0", count: exponent - fraction.count)
                }
            }
            return .string(normalized)
        case .date:
            let year = text("year"), month = text("month"), day = text("day")
            if year.isEmpty, month.isEmpty, day.isEmpty { return nil }
            func padded(_ s: String, _ width: Int) -> String { String(repeating: "0", count: max(0, width - s.count)) + s }
            // Anything odd goes to the validator as it is, which answers "not a real date".
            return .string(padded(year, 4) + "-" + padded(month, 2) + "-" + padded(day, 2))
        case .postalAddress:
            var parts: [String: FieldInput] = [:]
            for part in ["line1", "line2", "city", "postcode", "country"] {
                let value = text(part)
                if !value.isEmpty { parts[part] = .string(value) }
            }
            let filled = parts.keys.filter { $0 != "country" }
            return filled.isEmpty ? nil : .object(parts)
        }
    }

    /// `12 345,50` or `12,345.50` → `12345.50`: spaces go; a comma is the decimal separator unless a point is too.
    static func normalizeNumber(_ text: String) -> String {
        var value = text.filter { $0 != " " && $0 != "\u{00A0}" && $0 != "\u{202F}" }
        if value.contains(",") && value.contains(".") {
            value = value.filter { $0 != "," }
        } else if value.filter({ $0 == "," }).count == 1 {
            value = value.replacingOccurrences(of: ",", with: ".")
        }
        return value
    }

    static func isDecimal(_ text: String) -> Bool {
        var body = Substring(text)
        if body.first == "-" { body = body.dropFirst() }
        let pieces = body.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(pieces.count), !pieces[0].isEmpty else { return false }
        return pieces.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
    }
}

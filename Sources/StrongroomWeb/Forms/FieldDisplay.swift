import Catalog
import Strongroom

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A revealed or masked field as text for a page, in the reader's language.
enum FieldDisplay {
    /// What a page shows: the value formatted for the language, or the masked form as the gate gave it.
    static func text(_ view: FieldView, definition: FieldDefinition?, visit: Visit) -> String {
        if let masked = view.masked { return masked }
        guard let canonical = view.value else { return "" }
        guard let definition, let value = parse(canonical, type: definition.type) else { return canonical }
        return text(value, definition: definition, visit: visit)
    }

    /// A revealed value back as a typed value: canonical text, except money, which the service shows with its
    /// decimal point (`EUR 950.50`).
    static func parse(_ shown: String, type: FieldType) -> FieldValue? {
        if type == .money {
            let parts = shown.split(separator: " ")
            guard parts.count == 2, let currency = Currency(code: String(parts[0])),
                let minor = currency.minorUnits(fromDecimal: parts[1])
            else { return nil }
            return .money(Money(minorUnits: minor, currency: currency))
        }
        return try? FieldValue(canonical: shown, type: type)
    }

    static func text(_ value: FieldValue, definition: FieldDefinition, visit: Visit) -> String {
        let t = visit.messages
        switch value {
        case .date(let date): return visit.format.date(date)
        case .money(let money): return visit.format.money(money)
        case .number(let number): return visit.format.number(number.description)
        case .boolean(let flag): return flag ? t.text("form.answer_yes") : t.text("form.answer_no")
        case .choice(let choice):
            return definition.constraints.options.first { $0.value == choice }?.label(in: visit.language) ?? choice
        case .postalAddress(let address):
            return [address.line1, address.line2, address.postcode + " " + address.city, Countries.name(address.country, language: visit.language)]
                .compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
        default: return value.canonical
        }
    }

    /// A stored value as it goes back into an input: decimals with the language's separator, no grouping.
    static func editable(_ value: FieldValue, language: String) -> String {
        switch value {
        case .number(let number):
            let text = number.description
            return language == "hu" ? text.replacingOccurrences(of: ".", with: ",") : text
        case .money(let money):
            let text = money.currency.decimalString(minorUnits: money.minorUnits)
            return language == "hu" ? text.replacingOccurrences(of: ".", with: ",") : text
        default: return value.canonical
        }
    }
}

/// Field problems from the service, as a page shows them: one message per field in the reader's language, and
/// the error summary's links.
struct FieldErrors {
    private(set) var byField: [String: String] = [:]
    private(set) var byPart: [String: [String: String]] = [:]
    private(set) var summary: [[String: String]] = []

    /// - Parameter page: the page a summary link should open (`nil`: this page), per field id.
    init(_ problems: [StrongroomError.FieldProblem], definitions: [FieldDefinition], visit: Visit, page: ((String) -> String?)?) {
        for problem in problems {
            let pieces = problem.field.split(separator: ".", maxSplits: 1).map(String.init)
            guard let fieldID = pieces.first else { continue }
            let definition = definitions.first { $0.id == fieldID }
            let text = Self.message(problem, definition: definition, part: pieces.count > 1 ? pieces[1] : nil, visit: visit)
            if byField[fieldID] == nil { byField[fieldID] = text }
            if pieces.count > 1 { byPart[fieldID, default: [:]][pieces[1]] = text }
            let anchor = FormControls.anchor(for: problem.field, definition: definition, language: visit.language)
            let target = (page?(fieldID) ?? "") + "#" + anchor
            if !summary.contains(where: { $0["href"] == target && $0["text"] == text }) {
                summary.append(["href": target, "text": text])
            }
        }
    }

    func message(for field: String) -> String? { byField[field] }
    func partMessages(for field: String) -> [String: String] { byPart[field] ?? [:] }

    /// The message for one problem: by its stable code, with the field's label and limits, never the value.
    static func message(_ problem: StrongroomError.FieldProblem, definition: FieldDefinition?, part: String?, visit: Visit) -> String {
        let t = visit.messages
        let language = visit.language
        let label = definition.map { ProfileForm.fields.contains($0) ? ProfileForm.label($0, t) : $0.label(in: language) } ?? problem.field
        let constraints = definition?.constraints
        var arguments = ["label": label]
        if let part { arguments["part"] = t.text("form.address_" + part) }
        switch problem.code {
        case "missing_required": return t.text("field_errors.missing", arguments)
        case "too_short":
            arguments["count"] = String(constraints?.minLength ?? 1)
            return t.text("field_errors.too_short", arguments)
        case "too_long":
            arguments["count"] = String(constraints?.maxLength ?? 2000)
            return t.text("field_errors.too_long", arguments)
        case "pattern_mismatch":
            if let what = definition?.patternDescription(in: language) {
                arguments["what"] = what
                return t.text("field_errors.pattern", arguments)
            }
            return t.text("field_errors.pattern_generic", arguments)
        case "out_of_range":
            if definition?.type == .date { return t.text("field_errors.date_range", arguments) }
            return t.text("field_errors.range", arguments)
        case "not_an_allowed_choice": return t.text("field_errors.choice", arguments)
        case "invalid_date": return t.text("field_errors.date", arguments)
        case "invalid_email": return t.text("field_errors.email", arguments)
        case "invalid_phone": return t.text("field_errors.phone", arguments)
        case "invalid_money": return t.text("field_errors.money", arguments)
        case "invalid_national_id": return t.text("field_errors.national_id", arguments)
        case "invalid_number": return t.text("field_errors.number", arguments)
        case "invalid_address":
            return part.map { _ in t.text("field_errors.address_part", arguments) } ?? t.text("field_errors.address", arguments)
        case "wrong_type":
            switch definition?.type {
            case .number?: return t.text("field_errors.number", arguments)
            case .money?: return t.text("field_errors.money", arguments)
            case .date?: return t.text("field_errors.date", arguments)
            case .choice?, .boolean?: return t.text("field_errors.choice", arguments)
            default: return t.text("field_errors.invalid", arguments)
            }
        default: return t.text("field_errors.invalid", arguments)
        }
    }
}

/// The HTML of one form control, built from the model ``FormControls/model(for:label:stored:typed:error:partErrors:visit:autocomplete:)``
/// makes: label or legend, hint, error message and the input(s), as GOV.UK and NL Design System lay them out.
///
/// Built here rather than by a Mustache partial because a form page has a dozen controls of twenty-odd tags each, and
/// swift-mustache spends a few microseconds on every tag (dynamic casts on each lookup): the controls were most of a
/// form page's time. Every value goes through ``PortalHTMLContentType/escape(_:)``, the escaper the templates use; the
/// only unescaped piece is the country list, which ``Countries`` builds from escaped values. Templates take the result
/// as `{{{html}}}` (server-built HTML, which the template check allows for `*_html`-named values only).
enum FieldHTML {
    static func render(_ model: [String: Any]) -> String {
        var out = HTMLOut()
        let id = model.text("id")
        let hasError = model.flag("error")
        out.raw(hasError ? "<div class=\"field field-has-error\">\n" : "<div class=\"field\">\n")
        switch model.text("kind") {
        case "field_input": input(model, id: id, into: &out)
        case "field_textarea": textarea(model, id: id, into: &out)
        case "field_money": money(model, id: id, into: &out)
        case "field_date": date(model, id: id, into: &out)
        case "field_choice": choice(model, id: id, into: &out)
        case "field_address": address(model, id: id, into: &out)
        default: break
        }
        out.raw("</div>\n")
        return out.html
    }

    // MARK: - The shared parts

    private static func label(_ model: [String: Any], id: String, suffix: String = "", into out: inout HTMLOut) {
        out.raw(model.flag("label_hidden") ? "<label class=\"label visually-hidden\" for=\"" : "<label class=\"label\" for=\"")
        out.text(id)
        out.raw("\">")
        out.text(model.text("label"))
        out.text(suffix)
        optional(model, into: &out)
        out.raw("</label>\n")
    }

    private static func legend(_ model: [String: Any], into out: inout HTMLOut) {
        out.raw(model.flag("label_hidden") ? "  <legend class=\"legend visually-hidden\">" : "  <legend class=\"legend\">")
        out.text(model.text("label"))
        optional(model, into: &out)
        out.raw("</legend>\n")
    }

    private static func optional(_ model: [String: Any], into out: inout HTMLOut) {
        guard !model.flag("required") else { return }
        out.raw(" <span class=\"optional\">")
        out.text(model.text("optional_text"))
        out.raw("</span>")
    }

    private static func hintAndError(_ model: [String: Any], id: String, indent: String, into out: inout HTMLOut) {
        if let hint = model["hint"] as? String {
            out.raw(indent + "<p class=\"hint\" id=\"")
            out.text(id)
            out.raw("-hint\">")
            out.text(hint)
            out.raw("</p>\n")
        }
        if let error = model["error"] as? String {
            out.raw(indent + "<p class=\"error-message\" id=\"")
            out.text(id)
            out.raw("-error\"><span class=\"visually-hidden\">")
            out.text(model.text("error_prefix"))
            out.raw("</span> ")
            out.text(error)
            out.raw("</p>\n")
        }
    }

    /// ` aria-describedby="…"`, ` aria-invalid="true"` and ` aria-required="true"` as they apply.
    private static func aria(_ model: [String: Any], required: Bool = true, into out: inout HTMLOut) {
        describedBy(model, into: &out)
        if model.flag("error") { out.raw(" aria-invalid=\"true\"") }
        if required, model.flag("required") { out.raw(" aria-required=\"true\"") }
    }

    private static func attribute(_ name: String, _ value: String, into out: inout HTMLOut) {
        out.raw(" " + name + "=\"")
        out.text(value)
        out.raw("\"")
    }

    // MARK: - The kinds of control

    private static func input(_ model: [String: Any], id: String, into out: inout HTMLOut) {
        label(model, id: id, into: &out)
        hintAndError(model, id: id, indent: "", into: &out)
        out.raw("<input class=\"input ")
        out.text(model.text("width"))
        if model.flag("error") { out.raw(" input-error") }
        out.raw("\"")
        attribute("id", id, into: &out)
        attribute("name", model.text("name"), into: &out)
        attribute("type", model.text("input_type"), into: &out)
        attribute("value", model.text("value"), into: &out)
        if let mode = model["inputmode"] as? String { attribute("inputmode", mode, into: &out) }
        if let complete = model["autocomplete"] as? String { attribute("autocomplete", complete, into: &out) }
        aria(model, into: &out)
        out.raw(" spellcheck=\"false\">\n")
    }

    private static func textarea(_ model: [String: Any], id: String, into out: inout HTMLOut) {
        label(model, id: id, into: &out)
        hintAndError(model, id: id, indent: "", into: &out)
        out.raw(model.flag("error") ? "<textarea class=\"textarea input-error\"" : "<textarea class=\"textarea\"")
        attribute("id", id, into: &out)
        attribute("name", model.text("name"), into: &out)
        out.raw(" rows=\"5\"")
        aria(model, into: &out)
        out.raw(">")
        out.text(model.text("value"))
        out.raw("</textarea>\n")
    }

    private static func money(_ model: [String: Any], id: String, into out: inout HTMLOut) {
        let currency = model.text("currency")
        label(model, id: id, suffix: " (" + currency + ")", into: &out)
        hintAndError(model, id: id, indent: "", into: &out)
        let before = model.flag("currency_before")
        out.raw("<div class=\"input-affix\">")
        if before { affix(currency, into: &out) }
        out.raw(model.flag("error") ? "<input class=\"input width-10 input-error\"" : "<input class=\"input width-10\"")
        attribute("id", id, into: &out)
        attribute("name", model.text("name"), into: &out)
        out.raw(" type=\"text\"")
        attribute("value", model.text("value"), into: &out)
        out.raw(" inputmode=\"decimal\"")
        aria(model, into: &out)
        out.raw(" spellcheck=\"false\">")
        if !before { affix(currency, into: &out) }
        out.raw("</div>\n")
    }

    private static func affix(_ currency: String, into out: inout HTMLOut) {
        out.raw("<span class=\"affix\" aria-hidden=\"true\">")
        out.text(currency)
        out.raw("</span>")
    }

    private static func date(_ model: [String: Any], id: String, into out: inout HTMLOut) {
        out.raw("<fieldset class=\"fieldset\" role=\"group\"")
        describedBy(model, into: &out)
        out.raw(">\n")
        legend(model, into: &out)
        hintAndError(model, id: id, indent: "  ", into: &out)
        out.raw("  <div class=\"date-input\">\n    ")
        for part in model.items("parts") {
            out.raw("<div class=\"date-part\"><label class=\"label label-small\" for=\"")
            out.text(part.text("id"))
            out.raw("\">")
            out.text(part.text("label"))
            out.raw("</label><input class=\"input ")
            out.text(part.text("width"))
            if part.flag("error") { out.raw(" input-error") }
            out.raw("\"")
            attribute("id", part.text("id"), into: &out)
            attribute("name", part.text("name"), into: &out)
            out.raw(" type=\"text\" inputmode=\"numeric\"")
            attribute("value", part.text("value"), into: &out)
            if let complete = part["autocomplete"] as? String { attribute("autocomplete", complete, into: &out) }
            out.raw("></div>")
        }
        out.raw("\n  </div>\n</fieldset>\n")
    }

    private static func choice(_ model: [String: Any], id: String, into out: inout HTMLOut) {
        out.raw("<fieldset class=\"fieldset\"")
        describedBy(model, into: &out)
        out.raw(">\n")
        legend(model, into: &out)
        hintAndError(model, id: id, indent: "  ", into: &out)
        out.raw(model.flag("inline") ? "  <div class=\"radios radios-inline\">\n    " : "  <div class=\"radios\">\n    ")
        let name = model.text("name")
        for option in model.items("options") {
            out.raw("<div class=\"radio\"><input class=\"radio-input\" type=\"radio\"")
            attribute("id", option.text("id"), into: &out)
            attribute("name", name, into: &out)
            attribute("value", option.text("value"), into: &out)
            if option.flag("checked") { out.raw(" checked") }
            out.raw("><label class=\"radio-label\" for=\"")
            out.text(option.text("id"))
            out.raw("\">")
            out.text(option.text("label"))
            out.raw("</label></div>")
        }
        out.raw("\n  </div>\n</fieldset>\n")
    }

    private static func address(_ model: [String: Any], id: String, into out: inout HTMLOut) {
        out.raw("<fieldset class=\"fieldset\"")
        describedBy(model, into: &out)
        out.raw(">\n")
        legend(model, into: &out)
        hintAndError(model, id: id, indent: "  ", into: &out)
        for part in model.items("parts") {
            out.raw("  <div class=\"field field-part\">\n    <label class=\"label label-small\" for=\"")
            out.text(part.text("id"))
            out.raw("\">")
            out.text(part.text("label"))
            if part.flag("optional") {
                out.raw(" <span class=\"optional\">")
                out.text(part.text("optional_text"))
                out.raw("</span>")
            }
            out.raw("</label>\n    <input class=\"input ")
            out.text(part.text("width"))
            if part.flag("part_error") { out.raw(" input-error") }
            out.raw("\"")
            attribute("id", part.text("id"), into: &out)
            attribute("name", part.text("name"), into: &out)
            out.raw(" type=\"text\"")
            attribute("value", part.text("value"), into: &out)
            attribute("autocomplete", part.text("autocomplete"), into: &out)
            if part.flag("part_error") { out.raw(" aria-invalid=\"true\"") }
            out.raw(">\n  </div>\n")
        }
        if let country = model["country"] as? [String: Any] {
            out.raw("  <div class=\"field field-part\">\n    <label class=\"label label-small\" for=\"")
            out.text(country.text("id"))
            out.raw("\">")
            out.text(country.text("label"))
            out.raw("</label>\n    <select class=\"select\"")
            attribute("id", country.text("id"), into: &out)
            attribute("name", country.text("name"), into: &out)
            out.raw(" autocomplete=\"country\">\n      ")
            // Built by Countries from escaped codes and names.
            out.raw(country.text("options_html"))
            out.raw("\n    </select>\n  </div>\n")
        }
        out.raw("</fieldset>\n")
    }

    /// For a fieldset: only `aria-describedby` (the invalid and required states belong on its inputs).
    private static func describedBy(_ model: [String: Any], into out: inout HTMLOut) {
        if let describedBy = model["described_by"] as? String { attribute("aria-describedby", describedBy, into: &out) }
    }
}

/// Appends raw markup and escaped text.
struct HTMLOut {
    private(set) var html = ""

    init() { html.reserveCapacity(1024) }

    /// Markup written by this code (never user input).
    mutating func raw(_ markup: String) { html += markup }

    /// Text or an attribute value, escaped.
    mutating func text(_ value: String) { html += PortalHTMLContentType.escape(value) }
}

extension Dictionary where Key == String, Value == Any {
    fileprivate func text(_ key: String) -> String { self[key] as? String ?? "" }
    fileprivate func flag(_ key: String) -> Bool {
        switch self[key] {
        case let bool as Bool: bool
        case let string as String: !string.isEmpty
        case nil: false
        default: true
        }
    }
    fileprivate func items(_ key: String) -> [[String: Any]] { self[key] as? [[String: Any]] ?? [] }
}

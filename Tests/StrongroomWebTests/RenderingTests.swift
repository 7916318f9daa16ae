import Foundation
import Testing

@testable import StrongroomWeb

/// The fast paths of rendering: the escaper the templates use, the per-language compile step that writes texts and
/// constants into the templates, the one-pass placeholder fill, and the form controls built in Swift.
@Suite struct RenderingTests {
    /// What Mustache's own HTML escaping does, character by character: the reference the fast escaper must match.
    static func reference(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    static let bundle: MessageBundle = {
        let yaml = """
            language: en
            name: English
            plural_categories: [one, other]
            messages:
              common:
                skip: Skip to <main> & "content"
                braces: "Not {{a tag}} {x}"
              count:
                one: one thing
                other: "{count} things"
            """
        return try! MessageBundle(yaml: yaml, file: "en.yaml")
    }()

    @Test func theEscaperEscapesWhatMustacheEscapes() {
        #expect(PortalHTMLContentType.escape(#"<a href="x">Tom & Jerry's</a>"#) == "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;")
        #expect(PortalHTMLContentType.escape("Írország – naïve café 🙂") == "Írország – naïve café 🙂")
        #expect(PortalHTMLContentType.escape("") == "")
        // Random strings over the special characters, ASCII, accented letters and emoji: always as the reference.
        let alphabet = Array("<>&\"'abc xyzÉőű🙂\u{301}{}\n\t=/")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let length = Int.random(in: 0..<40, using: &generator)
            let text = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
            #expect(PortalHTMLContentType.escape(text) == Self.reference(text), "escaping \(text.debugDescription)")
        }
    }

    @Test func textsAndConstantsAreWrittenInEscaped() throws {
        let constants = PageRenderer.Constants(text: ["agency_name": "Bits & <Bobs>"], markup: ["contact_html": "<dl>built</dl>"])
        let source = "<a>{{t.common.skip}}</a><b>{{c.agency_name}}</b>{{{c.contact_html}}}<i>{{name}}</i>{{#list}}{{.}}{{/list}}<u>{{t.common.braces}}</u>"
        let compiled = try PageRenderer.compile(source, bundle: Self.bundle, constants: constants, template: "test")
        #expect(compiled == "<a>Skip to &lt;main&gt; &amp; &quot;content&quot;</a><b>Bits &amp; &lt;Bobs&gt;</b><dl>built</dl><i>{{name}}</i>{{#list}}{{.}}{{/list}}<u>Not &#123;&#123;a tag&#125;&#125; &#123;x&#125;</u>")
    }

    @Test func aTemplateThatNamesWhatIsNotThereDoesNotLoad() {
        let constants = PageRenderer.Constants(text: ["agency_name": "A"], markup: ["contact_html": "<p></p>"])
        for source in [
            "{{t.common.missing}}",  // no such text
            "{{t.count}}",  // a plural message, not a text
            "{{c.nothing}}",  // no such constant
            "{{c.contact_html}}",  // markup with two braces
            "{{{c.agency_name}}}",  // text with three
            "{{t.common.skip",  // unclosed
        ] {
            #expect(throws: PortalSetupError.self, "\(source)") {
                try PageRenderer.compile(source, bundle: Self.bundle, constants: constants, template: "test")
            }
        }
    }

    @Test func placeholdersAreFilledInOnePass() {
        #expect(MessageBundle.fill("{a} and {b}", ["a": "1", "b": "2"]) == "1 and 2")
        // A value that looks like a placeholder is not filled again; unknown and unclosed braces stay.
        #expect(MessageBundle.fill("{a}-{b}", ["a": "{b}", "b": "x"]) == "{b}-x")
        #expect(MessageBundle.fill("{unknown} {a} {", ["a": "é"]) == "{unknown} é {")
        #expect(MessageBundle.fill("no braces", ["a": "1"]) == "no braces")
        #expect(Self.bundle.plural("count", count: 3) == "3 things")
    }

    @Test func formControlsEscapeEveryValue() {
        let hostile = #""><script>alert('x')</script>&"#
        let escaped = Self.reference(hostile)
        let input = FieldHTML.render([
            "kind": "field_input", "id": "f-name", "name": "f.name", "label": "Name <b>", "required": true, "optional_text": "",
            "hint": "Hint & tip", "error": "Wrong " + hostile, "error_prefix": "Error:", "described_by": "f-name-hint f-name-error",
            "value": hostile, "input_type": "text", "width": "width-full", "inputmode": false, "autocomplete": "name", "label_hidden": false,
        ])
        #expect(!input.contains("<script>"))
        #expect(input.contains("value=\"\(escaped)\""))
        #expect(input.contains("Wrong \(escaped)</p>"))
        #expect(input.contains(">Name &lt;b&gt;</label>"))
        #expect(input.contains("aria-invalid=\"true\""))
        #expect(input.contains("aria-required=\"true\""))
        #expect(input.contains("<div class=\"field field-has-error\">"))

        let area = FieldHTML.render([
            "kind": "field_textarea", "id": "f-reason", "name": "f.reason", "label": "Reason", "required": false, "optional_text": "(optional)",
            "value": "</textarea>" + hostile, "error": false, "hint": false, "described_by": false,
        ])
        #expect(!area.contains("</textarea><script>") && area.contains("&lt;/textarea&gt;"))
        #expect(area.contains("<span class=\"optional\">(optional)</span>"))
        #expect(!area.contains("aria-invalid"))

        let choice = FieldHTML.render([
            "kind": "field_choice", "id": "f-c", "name": "f.c", "label": "Pick", "required": true, "error": false, "hint": false,
            "described_by": false, "inline": true,
            "options": [["id": "f-c-0", "value": "a\"b", "label": "<A>", "checked": true], ["id": "f-c-1", "value": "b", "label": "B", "checked": false]],
        ])
        #expect(choice.contains("value=\"a&quot;b\" checked>"))
        #expect(choice.contains(">&lt;A&gt;</label>"))
        #expect(choice.contains("radios radios-inline"))
    }
}

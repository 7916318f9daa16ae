import Catalog
import Mustache
import Sodium

import Foundation

/// Templates, message files, the themed stylesheet and the agency's logo, loaded once at start.
struct PageRenderer: Sendable {
    /// Language code → the templates with that language's interface texts compiled in (see ``compileTexts``).
    let libraries: [String: MustacheLibrary]
    /// Language code → its messages.
    let bundles: [String: MessageBundle]
    /// The languages offered, in the agency's order (the first is the default).
    let languages: [String]
    let defaultLanguage: String
    let branding: Branding
    /// The agency's time zone (`time_zone:` in `branding.yaml`), which every date and time on the pages is in.
    let timeZone: TimeZone
    /// The stylesheet: the agency's colours as custom properties, then the portal's own rules.
    let stylesheet: [UInt8]
    /// Its content hash, so the page can name a version and the file can be cached.
    let stylesheetVersion: String
    let script: [UInt8]
    let scriptVersion: String
    let logo: [UInt8]
    let logoType: String
    /// Static text pages from the catalog folder (`accessibility.<language>.md`, `privacy.<language>.md`), rendered
    /// once: name → language → HTML.
    let textPages: [String: [String: String]]

    init(branding: Branding, catalogDirectory: String) async throws {
        guard let resources = Bundle.module.resourceURL else { throw PortalSetupError("the portal's resources are missing") }
        var bundles: [String: MessageBundle] = [:]
        let messageDirectory = resources.appendingPathComponent("Messages")
        for file in try FileManager.default.contentsOfDirectory(atPath: messageDirectory.path) where file.hasSuffix(".yaml") {
            let text = try String(contentsOf: messageDirectory.appendingPathComponent(file), encoding: .utf8)
            let bundle = try MessageBundle(yaml: text, file: file)
            bundles[bundle.language] = bundle
        }
        let wanted = branding.languages.filter { bundles[$0] != nil }
        guard let first = wanted.first else {
            throw PortalSetupError("none of the catalog's languages (\(branding.languages.joined(separator: ", "))) has a message file; the portal has \(bundles.keys.sorted().joined(separator: ", "))")
        }
        self.bundles = bundles.filter { wanted.contains($0.key) }
        let css = try String(contentsOf: resources.appendingPathComponent("Assets/portal.css"), encoding: .utf8)
        stylesheet = Array((Self.themeRules(branding) + css).utf8)
        stylesheetVersion = String(SHA256Digest.hash(stylesheet).hexString.prefix(12))
        script = Array(try String(contentsOf: resources.appendingPathComponent("Assets/portal.js"), encoding: .utf8).utf8)
        scriptVersion = String(SHA256Digest.hash(script).hexString.prefix(12))
        let (cssHref, jsHref) = ("/assets/portal.css?v=" + stylesheetVersion, "/assets/portal.js?v=" + scriptVersion)
        libraries = try Self.libraries(directory: resources.appendingPathComponent("Templates"), bundles: self.bundles) { bundle in
            Constants(
                text: [
                    "agency_name": branding.name(in: bundle.language), "agency_short_name": branding.shortName(in: bundle.language),
                    "css_href": cssHref, "js_href": jsHref,
                ],
                markup: ["contact_html": Self.contactHTML(branding, bundle)])
        }
        self.languages = wanted
        self.defaultLanguage = first
        self.branding = branding
        timeZone = TimeZone(identifier: branding.timeZone) ?? .gmt

        let logoPath = URL(fileURLWithPath: catalogDirectory).appendingPathComponent(branding.logoFile).path
        logo = FileManager.default.contents(atPath: logoPath).map { Array($0) } ?? []
        logoType = switch URL(fileURLWithPath: logoPath).pathExtension.lowercased() {
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "webp": "image/webp"
        default: "application/octet-stream"
        }

        var pages: [String: [String: String]] = [:]
        let pagesDirectory = URL(fileURLWithPath: catalogDirectory)
        for file in (try? FileManager.default.contentsOfDirectory(atPath: pagesDirectory.path)) ?? [] where file.hasSuffix(".md") {
            let parts = file.dropLast(3).split(separator: ".")
            guard parts.count == 2, ["accessibility", "privacy"].contains(parts[0]) else { continue }
            let text = (try? String(contentsOf: pagesDirectory.appendingPathComponent(file), encoding: .utf8)) ?? ""
            pages[String(parts[0]), default: [:]][String(parts[1])] = PlainText.html(text)
        }
        textPages = pages
    }

    /// One template library per language. Before a template is parsed, everything on it that is fixed for the
    /// language is written in: each `{{t.key}}` becomes that language's text and each `{{c.name}}` one of the
    /// installation's constants (the agency's name, the asset addresses), HTML-escaped; `{{{c.name_html}}}` is markup
    /// the server built once (the footer's contact list). Looking these up through the context stack on every page
    /// was most of the rendering time.
    static func libraries(directory: URL, bundles: [String: MessageBundle], constants: (MessageBundle) -> Constants) throws -> [String: MustacheLibrary] {
        var sources: [String: String] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) where file.hasSuffix(".mustache") {
            sources[String(file.dropLast(".mustache".count))] = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
        }
        MustacheContentTypes.register(PortalHTMLContentType(), named: PortalHTMLContentType.name)
        var libraries: [String: MustacheLibrary] = [:]
        for (language, bundle) in bundles {
            let fixed = constants(bundle)
            var library = MustacheLibrary()
            for (name, source) in sources {
                // Every template, partials included (a partial starts again with Mustache's own HTML escaping), escapes
                // with the portal's escaper; the result is the same, only faster.
                let compiled = "{{% CONTENT_TYPE: \(PortalHTMLContentType.name)}}\n" + (try compile(source, bundle: bundle, constants: fixed, template: name))
                do {
                    library.register(try MustacheTemplate(string: compiled), named: name)
                } catch {
                    throw PortalSetupError("template \(name).mustache does not parse (\(language)): \(error)")
                }
            }
            libraries[language] = library
        }
        return libraries
    }

    /// What is fixed per language besides the texts: `text` values are escaped where they are written in, `markup`
    /// values (names ending in `_html`) are written in as they are.
    struct Constants {
        var text: [String: String] = [:]
        var markup: [String: String] = [:]
    }

    /// `source` with each `{{t.key}}`, `{{c.name}}` and `{{{c.name_html}}}` written in (see ``libraries``); texts
    /// are escaped for HTML text and attribute values, with braces as character references so that no text can open
    /// a Mustache tag.
    /// - Throws: when a key has no plain text in the bundle (a plural message cannot be used this way) or a constant is
    ///   unknown or used with the wrong number of braces.
    static func compile(_ source: String, bundle: MessageBundle, constants: Constants, template: String) throws -> String {
        var out = ""
        out.reserveCapacity(source.utf8.count + source.utf8.count / 4)
        var rest = source[...]
        while let open = rest.range(of: "{{") {
            let tag = rest[open.upperBound...]
            let raw = tag.hasPrefix("{c.")
            guard raw || tag.hasPrefix("t.") || tag.hasPrefix("c.") else {
                out += rest[..<open.upperBound]
                rest = tag
                continue
            }
            let closing = raw ? "}}}" : "}}"
            guard let close = tag.range(of: closing) else { throw PortalSetupError("template \(template).mustache: an unclosed {{\(tag.prefix(12))… tag") }
            out += rest[..<open.lowerBound]
            let name = String(tag[tag.index(tag.startIndex, offsetBy: raw ? 3 : 2)..<close.lowerBound]).trimmingCharacters(in: .whitespaces)
            if raw {
                guard name.hasSuffix("_html"), let markup = constants.markup[name] else {
                    throw PortalSetupError("template \(template).mustache uses {{{c.\(name)}}}, which is not server-built markup")
                }
                out += markup
            } else if tag.hasPrefix("t.") {
                guard let text = bundle.texts[name] else {
                    throw PortalSetupError("template \(template).mustache uses t.\(name), which Messages/\(bundle.language).yaml has not as a text")
                }
                out += htmlEscaped(text)
            } else {
                guard let text = constants.text[name] else {
                    throw PortalSetupError("template \(template).mustache uses c.\(name), which is not a constant\(name.hasSuffix("_html") ? " (markup takes three braces)" : "")")
                }
                out += htmlEscaped(text)
            }
            rest = tag[close.upperBound...]
        }
        out += rest
        return out
    }

    /// Escapes `&`, `<`, `>`, `"`, `'` (as Mustache does) and `{`, `}` (so that the result is not Mustache markup).
    static func htmlEscaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "{": out += "&#123;"
            case "}": out += "&#125;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// The footer's contact list (`<div><dt>…</dt><dd>…</dd></div>` per way to reach the agency), built once per language.
    static func contactHTML(_ branding: Branding, _ t: MessageBundle) -> String {
        var out = HTMLOut()
        func item(_ label: String, _ value: String, href: String?) {
            out.raw("<div><dt>")
            out.text(label)
            out.raw("</dt><dd>")
            if let href {
                out.raw("<a href=\"")
                out.text(href)
                out.raw("\">")
                out.text(value)
                out.raw("</a>")
            } else {
                out.text(value)
            }
            out.raw("</dd></div>")
        }
        if let email = branding.contact.email { item(t.text("footer.email"), email, href: "mailto:" + email) }
        if let phone = branding.contact.phone { item(t.text("footer.phone"), phone, href: "tel:" + phone.filter { $0 != " " }) }
        if let address = branding.contact.address { item(t.text("footer.address"), address, href: nil) }
        return out.html
    }

    /// The agency's colours as CSS custom properties (design tokens), from `branding.yaml`.
    static func themeRules(_ branding: Branding) -> String {
        let defaults = ["primary": "#1F4E79", "secondary": "#F2A900", "accent": "#2E8540", "text": "#1A1A1A", "background": "#FFFFFF"]
        var lines = [":root {"]
        for name in ["primary", "secondary", "accent", "text", "background"] {
            // Colours were validated as #RRGGBB at catalog load; nothing else reaches the stylesheet.
            let value = branding.colors[name]?.hex ?? defaults[name]!
            lines.append("  --sr-\(name): \(value);")
        }
        lines.append("}\n")
        return lines.joined(separator: "\n")
    }

    /// Renders `page` inside the layout, for `visit`.
    func render(_ page: Page, visit: Visit) -> String {
        var model = page.model
        let t = visit.messages
        model["lang"] = visit.language
        model["page_title"] = page.title
        model["csrf"] = visit.csrfToken
        model["languages"] = languages.map { code in
            [
                "code": code, "name": bundles[code]?.name ?? code, "href": visit.path(withLanguage: code),
                "current": code == visit.language,
            ] as [String: Any]
        }
        if let notice = page.notice { model["notice"] = notice }
        if !page.errors.isEmpty {
            model["has_errors"] = true
            model["errors"] = page.errors
        }
        if let session = visit.session {
            model["signed_in"] = true
            model["signed_in_as"] = session.caller.kind == .staff ? "staff" : "citizen"
            let items: [(String, String, String)] = session.caller.kind == .staff ? [
                visit.staffScreens.contains("queue") ? ("staff", "/staff", t.text("staff.nav.queues")) : nil,
                visit.staffScreens.contains("search") ? ("search", "/staff/search", t.text("staff.nav.search")) : nil,
                visit.staffScreens.contains("review-break-glass") ? ("review", "/staff/break-glass", t.text("staff.nav.review")) : nil,
                visit.staffScreens.contains("people") ? ("people", "/staff/people", t.text("staff.nav.people")) : nil,
                visit.staffScreens.contains("audit") ? ("audit", "/staff/audit", t.text("staff.nav.audit")) : nil,
                visit.staffScreens.contains("keys") ? ("keys", "/staff/keys", t.text("staff.keys.nav")) : nil,
                ("purpose", "/staff/purpose", t.text("staff.nav.purpose")),
            ].compactMap { $0 } : [
                ("requests", "/requests", t.text("nav.requests")),
                ("start", "/", t.text("nav.services")),
                ("profile", "/profile", t.text("nav.profile")),
                ("privacy", "/privacy", t.text("nav.privacy")),
            ]
            // Staff see the purpose they work under on every page, with a way to change it.
            if session.caller.kind == .staff, let purpose = visit.staffPurpose {
                let key = "staff.purposes." + purpose.replacingOccurrences(of: "-", with: "_")
                model["staff_purpose"] = ["name": t.texts[key] ?? purpose] as [String: Any]
            }
            // While a break-glass grant lasts, every page says so, with the case and the time it ends.
            if !visit.breakGlassGrants.isEmpty {
                model["break_glass"] = [
                    "grants": visit.breakGlassGrants.map { grant -> [String: Any] in
                        let reference = grant.collection == "requests" ? Reference.text(grant.recordID) : grant.recordID
                        var item: [String: Any] = [
                            "text": t.text("staff.break_glass.banner_grant", ["reference": reference, "time": visit.format.time(grant.expiresAt)]),
                        ]
                        if grant.collection == "requests" { item["href"] = "/staff/cases/" + grant.recordID }
                        return item
                    },
                ] as [String: Any]
            }
            model["nav"] = items.map { id, href, text in
                ["href": href, "text": text, "current": id == page.section] as [String: Any]
            }
            let ends = visit.now.addingTimeInterval(Double(visit.idleSeconds))
            model["session"] = [
                "idle_minutes": String(visit.idleSeconds / 60),
                "text": t.text("session.ends_at", ["time": visit.format.time(ends), "minutes": String(visit.idleSeconds / 60)]),
                // Warn two minutes before the idle limit, counted from this page (the server's clock of the last use
                // may be up to a minute older, so the warning comes at least two minutes before the end).
                "warn_after_seconds": String(max(0, visit.idleSeconds - 180)),
                "expire_after_seconds": String(max(60, visit.idleSeconds - 60)),
                "return_path": PortalSecurity.localPath(visit.request.uri.path) ?? "/",
            ] as [String: Any]
        }
        guard let library = libraries[visit.language] ?? libraries[defaultLanguage] else { return "" }
        return library.render(model, withTemplate: page.template) ?? ""
    }
}

/// HTML escaping for values in templates: the five characters Mustache escapes (`&`, `<`, `>`, `"`, `'`), done over
/// the UTF-8 bytes, and a value that has none of them (most do not) is returned as it is, without a copy.
struct PortalHTMLContentType: MustacheContentType {
    static let name = "STRONGROOM_HTML"

    func escapeText(_ text: String) -> String { Self.escape(text) }

    static func escape(_ text: String) -> String {
        var special = false
        for byte in text.utf8 where byte == 0x26 || byte == 0x3C || byte == 0x3E || byte == 0x22 || byte == 0x27 {
            special = true
            break
        }
        guard special else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 16)
        for byte in text.utf8 {
            switch byte {
            case 0x26: out.append(contentsOf: [0x26, 0x61, 0x6D, 0x70, 0x3B])  // &amp;
            case 0x3C: out.append(contentsOf: [0x26, 0x6C, 0x74, 0x3B])  // &lt;
            case 0x3E: out.append(contentsOf: [0x26, 0x67, 0x74, 0x3B])  // &gt;
            case 0x22: out.append(contentsOf: [0x26, 0x71, 0x75, 0x6F, 0x74, 0x3B])  // &quot;
            case 0x27: out.append(contentsOf: [0x26, 0x23, 0x33, 0x39, 0x3B])  // &#39;
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

struct PortalSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

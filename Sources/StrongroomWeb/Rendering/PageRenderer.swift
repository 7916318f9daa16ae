import Catalog
import Mustache
import Sodium

import Foundation

/// Templates, message files, the themed stylesheet and the agency's logo, loaded once at start.
struct PageRenderer: Sendable {
    let library: MustacheLibrary
    /// Language code → its messages.
    let bundles: [String: MessageBundle]
    /// The languages offered, in the agency's order (the first is the default).
    let languages: [String]
    let defaultLanguage: String
    let branding: Branding
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
        library = try await MustacheLibrary(directory: resources.appendingPathComponent("Templates").path)
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
        self.languages = wanted
        self.defaultLanguage = first
        self.branding = branding

        let css = try String(contentsOf: resources.appendingPathComponent("Assets/portal.css"), encoding: .utf8)
        stylesheet = Array((Self.themeRules(branding) + css).utf8)
        stylesheetVersion = String(SHA256Digest.hash(stylesheet).hexString.prefix(12))
        script = Array(try String(contentsOf: resources.appendingPathComponent("Assets/portal.js"), encoding: .utf8).utf8)
        scriptVersion = String(SHA256Digest.hash(script).hexString.prefix(12))

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
        model["t"] = t.tree
        model["lang"] = visit.language
        model["agency_name"] = branding.name(in: visit.language)
        model["agency_short_name"] = branding.shortName(in: visit.language)
        model["page_title"] = page.title
        model["css_href"] = "/assets/portal.css?v=" + stylesheetVersion
        model["js_href"] = "/assets/portal.js?v=" + scriptVersion
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
            let items: [(String, String, String)] = [
                ("requests", "/requests", t.text("nav.requests")),
                ("start", "/", t.text("nav.services")),
                ("profile", "/profile", t.text("nav.profile")),
                ("privacy", "/privacy", t.text("nav.privacy")),
            ]
            model["nav"] = items.map { id, href, text in
                ["href": href, "text": text, "current": id == page.section] as [String: Any]
            }
            let ends = Date().addingTimeInterval(Double(visit.idleSeconds))
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
        model["footer_links"] = [
            ["href": "/accessibility", "text": t.text("footer.accessibility")],
            ["href": "/privacy-notice", "text": t.text("footer.privacy_notice")],
        ]
        var contact: [[String: String]] = []
        if let email = branding.contact.email { contact.append(["label": t.text("footer.email"), "value": email, "href": "mailto:" + email]) }
        if let phone = branding.contact.phone {
            contact.append(["label": t.text("footer.phone"), "value": phone, "href": "tel:" + phone.filter { $0 != " " }])
        }
        if let address = branding.contact.address { contact.append(["label": t.text("footer.address"), "value": address]) }
        model["contact"] = contact
        return library.render(model, withTemplate: page.template) ?? ""
    }
}

struct PortalSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

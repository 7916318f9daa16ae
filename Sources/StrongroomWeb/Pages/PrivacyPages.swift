import Catalog
import Hummingbird
import Strongroom
import StrongroomAPI

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// "Who has seen my data", the export, erasure, the agency's text pages and the portal's static files.
extension Portal {
    func registerPrivacyPages(on router: Router<StrongroomRequestContext>) {
        page(router, "/privacy", signedIn: true) { visit in
            .page(Page(template: "privacy", title: visit.messages.text("privacy.title"), section: "privacy"))
        }
        page(router, "/privacy/access", signedIn: true) { visit in try await accessPage(&visit) }
        page(router, "/privacy/export", signedIn: true) { visit in try await exportDownload(&visit) }
        page(router, "/privacy/erasure", signedIn: true) { visit in
            .page(Page(template: "erasure", title: visit.messages.text("erasure.title"), model: [
                "action": "/privacy/erasure",
            ], section: "privacy"))
        }
        action(router, "/privacy/erasure") { visit in
            guard visit.form?["confirm"] == "yes" else {
                var page = Page(template: "erasure", title: visit.messages.text("erasure.title"), status: .badRequest, model: [
                    "action": "/privacy/erasure", "error": visit.messages.text("erasure.confirm_missing"),
                ], section: "privacy")
                page.errors = [["href": "#confirm", "text": visit.messages.text("erasure.confirm_missing")]]
                return .page(page)
            }
            let effective = try await installation.records.requestErasure(caller: try visit.caller, access: access(visit))
            return .page(Page(template: "erasure_scheduled", title: visit.messages.text("erasure.scheduled_title"), model: [
                "erasure_body": visit.messages.text("erasure.scheduled_body", ["date": visit.format.date(effective)]),
            ], section: "privacy"))
        }
        page(router, "/accessibility") { visit in textPage(visit, name: "accessibility") }
        page(router, "/privacy-notice") { visit in textPage(visit, name: "privacy") }
    }

    func registerAssets(on router: Router<StrongroomRequestContext>) {
        let renderer = self.renderer
        router.get("/assets/portal.css") { _, _ in asset(renderer.stylesheet, type: "text/css; charset=utf-8") }
        router.get("/assets/portal.js") { _, _ in asset(renderer.script, type: "text/javascript; charset=utf-8") }
        router.get("/assets/logo") { _, _ in asset(renderer.logo, type: renderer.logoType) }
        router.get("/favicon.ico") { _, _ in Response(status: .noContent) }
    }

    func asset(_ bytes: [UInt8], type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        PortalSecurity.harden(&headers, cacheable: true, tls: tls)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    func textPage(_ visit: Visit, name: String) -> Outcome {
        let title = visit.messages.text("footer." + (name == "privacy" ? "privacy_notice" : name))
        let pages = renderer.textPages[name] ?? [:]
        guard let html = pages[visit.language] ?? pages[renderer.defaultLanguage] ?? pages.values.first else { return notFound(visit) }
        return .page(Page(template: "text_page", title: title, model: ["body_html": html, "has_heading": html.hasPrefix("<h1>")]))
    }

    // MARK: - Who has seen my data

    func accessPage(_ visit: inout Visit) async throws -> Outcome {
        let t = visit.messages
        let caller = try visit.caller
        let report = try await installation.records.accessReport(caller: caller, access: access(visit))
        let from = visit.query["from"].flatMap { CalendarDate($0) }
        let to = visit.query["to"].flatMap { CalendarDate($0) }
        let requestFilter = visit.query["request"].flatMap { $0.isEmpty ? nil : $0 }
        let zone = visit.format
        let rows = report.entries.reversed().filter { entry in
            let day = zone.day(of: entry.time)
            if let from, day < from { return false }
            if let to, day > to { return false }
            if let requestFilter, entry.recordID != requestFilter { return false }
            return true
        }.map { entry -> [String: Any] in
            let who: String = switch entry.accessorKind {
            case "system": t.text("access.who_system")
            case "payment-provider": t.text("access.who_payments")
            default:
                t.text("access.who_staff", ["role": roleName(entry.role, t), "office": entry.office ?? t.text("access.no_office")])
            }
            let service = entry.collection == "requests" ? entry.recordID.map { Reference.text($0) } : nil
            return [
                "when": visit.format.dateTime(entry.time), "iso": visit.format.isoDateTime(entry.time), "who": who,
                "what": actionName(entry.action, t),
                "record": service ?? (entry.collection == "profiles" ? t.text("access.profile") : (entry.collection ?? "")),
                "fields": entry.fields.isEmpty ? t.text("access.no_fields") : entry.fields.map { fieldName($0, t) }.joined(separator: ", "),
                "purpose": entry.purpose.map { purposeName($0, t) } ?? t.text("access.no_purpose"),
                "break_glass": entry.breakGlass,
                "refused": !entry.allowed,
                "entry": String(entry.auditSeq),
            ]
        }
        let ownRequests = try await installation.records.ownRequests(caller: caller, access: access(visit))
        let requestOptions = [["value": "", "label": t.text("access.all_requests"), "selected": requestFilter == nil] as [String: Any]]
            + ownRequests.map { item -> [String: Any] in
                let title = installation.catalog.service(item.serviceID)?.title(in: visit.language) ?? item.serviceID
                return ["value": item.id, "label": title + " (" + Reference.text(item.id) + ")", "selected": item.id == requestFilter]
            }
        return .page(Page(template: "access", title: t.text("access.title"), model: [
            "rows": rows, "none": rows.isEmpty, "count_text": t.plural("access.count", count: rows.count),
            "from": visit.query["from"] ?? "", "to": visit.query["to"] ?? "", "request_options": requestOptions,
            "generated": visit.format.dateTime(report.generatedAt),
        ], section: "privacy"))
    }

    static func utcDay(_ date: Date) -> CalendarDate {
        CalendarDate(daysSinceEpoch: Int((date.timeIntervalSince1970 / 86_400).rounded(.down)))
    }

    func roleName(_ role: String, _ t: MessageBundle) -> String {
        role.split(separator: "+").map { part in
            let key = "roles." + part.replacingOccurrences(of: "-", with: "_")
            let text = t.text(key)
            return text == key ? String(part) : text
        }.joined(separator: ", ")
    }

    func actionName(_ action: String, _ t: MessageBundle) -> String {
        let key = "actions." + action.replacingOccurrences(of: ".", with: "_").replacingOccurrences(of: "-", with: "_")
        let text = t.text(key)
        return text == key ? action : text
    }

    func fieldName(_ field: String, _ t: MessageBundle) -> String {
        if let definition = ProfileSchema.service.field(field) { return ProfileForm.label(definition, t) }
        for id in installation.catalog.serviceIDs {
            if let definition = installation.catalog.service(id)?.field(field) { return definition.label(in: t.language) }
        }
        return field
    }

    func purposeName(_ purpose: String, _ t: MessageBundle) -> String {
        let key = "purposes." + purpose.replacingOccurrences(of: "-", with: "_")
        let text = t.text(key)
        return text == key ? purpose : text
    }

    // MARK: - Export

    func exportDownload(_ visit: inout Visit) async throws -> Outcome {
        let export = try await installation.records.export(caller: try visit.caller, access: access(visit))
        let json = try ExportDocument.json(export)
        let day = Self.utcDay(export.generatedAt).description
        return .file(json, type: "application/json; charset=utf-8", filename: "my-data-\(day).json", isPublic: false)
    }
}

import Catalog
import Hummingbird
import Strongroom
import StrongroomAPI

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The start page, a service's own page, and the form: one step per page, check your answers, declaration, submit.
extension Portal {
    func registerServicePages(on router: Router<StrongroomRequestContext>) {
        page(router, "/") { visit in .page(startPage(visit)) }
        page(router, "/services/:service") { visit in try servicePage(visit) }
        action(router, "/services/:service/start") { visit in try await startRequest(&visit) }
        page(router, "/requests/:id/step/:step", signedIn: true) { visit in try await stepPage(&visit, typed: nil, errors: []) }
        action(router, "/requests/:id/step/:step") { visit in try await saveStep(&visit) }
        page(router, "/requests/:id/check", signedIn: true) { visit in try await checkPage(&visit, errors: []) }
        action(router, "/requests/:id/submit") { visit in try await submit(&visit) }
        page(router, "/requests/:id/submitted", signedIn: true) { visit in try await confirmationPage(&visit) }
    }

    // MARK: - Start page and service page

    func startPage(_ visit: Visit) -> Page {
        let t = visit.messages
        let catalog = installation.catalog
        var categories: [String] = []
        for id in catalog.serviceIDs { if let s = catalog.service(id), !categories.contains(s.category) { categories.append(s.category) } }
        let groups = categories.map { category -> [String: Any] in
            let services = catalog.serviceIDs.compactMap { catalog.service($0) }.filter { $0.category == category }
            return [
                "name": categoryName(category, t), "id": "category-" + category,
                "services": services.map { serviceSummary($0, visit: visit) },
            ]
        }
        return Page(template: "start", title: t.text("start.title"), model: ["categories": groups], section: "start")
    }

    func categoryName(_ category: String, _ t: MessageBundle) -> String {
        let key = "categories." + category
        let text = t.text(key)
        return text == key ? category.prefix(1).uppercased() + category.dropFirst() : text
    }

    func serviceSummary(_ service: Service, visit: Visit) -> [String: Any] {
        var item: [String: Any] = [
            "id": service.id, "href": "/services/" + service.id, "title": service.title(in: visit.language),
            "description": service.description(in: visit.language), "cost": feeText(service, visit: visit),
        ]
        if let needs = service.needs(in: visit.language) { item["needs"] = needs }
        if let duration = service.duration(in: visit.language) { item["duration"] = duration }
        return item
    }

    func feeText(_ service: Service, visit: Visit) -> String {
        let t = visit.messages
        guard let fee = service.fee else { return t.text("service.free") }
        let when = fee.due == .onSubmission ? t.text("service.due_on_submission") : t.text("service.due_on_approval")
        switch fee.amount {
        case .fixed(let money): return t.text("service.fee_fixed", ["amount": visit.format.money(money), "when": when])
        case .entered: return t.text("service.fee_entered", ["when": when])
        }
    }

    func service(_ visit: Visit) throws -> Service {
        guard let id = visit.context.parameters.get("service"), let service = installation.catalog.service(id) else {
            throw PortalFailure.notFound
        }
        return service
    }

    func servicePage(_ visit: Visit) throws -> Outcome {
        let service = try service(visit)
        var model = serviceSummary(service, visit: visit)
        model["automatic"] = service.decisionOn == .submission && !service.rules.isEmpty
        model["steps"] = visit.messages.plural("service.steps", count: service.pages().count)
        model["start_action"] = "/services/\(service.id)/start"
        model["sign_in_href"] = signInPath(returningTo: "/services/" + service.id)
        return .page(Page(template: "service", title: service.title(in: visit.language), model: model, section: "start"))
    }

    /// Starts a draft and opens its first step. Nothing is stored yet but the draft itself: the profile's values are
    /// offered on the step pages, and kept only once the person saves them.
    func startRequest(_ visit: inout Visit) async throws -> Outcome {
        let service = try service(visit)
        let view = try await installation.records.createRequest(
            serviceID: service.id, values: [:], submit: false, caller: try visit.caller, access: access(visit))
        return .redirect("/requests/\(view.id)/step/1")
    }

    // MARK: - Steps

    struct Draft {
        let view: RequestView
        let service: Service
        let pages: [[FieldDefinition]]
    }

    func requestID(_ visit: Visit) throws -> String {
        guard let id = visit.context.parameters.get("id"), id.count <= 64,
            id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
        else { throw PortalFailure.notFound }
        return id
    }

    func loadDraft(_ visit: Visit) async throws -> Draft {
        let view = try await installation.records.request(try requestID(visit), caller: try visit.caller, access: access(visit))
        guard let service = installation.catalog.service(view.serviceID) else { throw PortalFailure.notFound }
        return Draft(view: view, service: service, pages: service.pages(at: view.serviceVersion))
    }

    static func isEditable(_ status: String) -> Bool { status == "draft" || status == "info-requested" }

    func stepNumber(_ visit: Visit, count: Int) throws -> Int {
        guard let text = visit.context.parameters.get("step"), let n = Int(text), (1...max(1, count)).contains(n) else {
            throw PortalFailure.notFound
        }
        return n
    }

    func stepPage(_ visit: inout Visit, typed: FormBody?, errors: [StrongroomError.FieldProblem]) async throws -> Outcome {
        let draft = try await loadDraft(visit)
        guard Self.isEditable(draft.view.status) else { return .redirect("/requests/" + draft.view.id) }
        let n = try stepNumber(visit, count: draft.pages.count)
        let fields = draft.pages[n - 1]
        let t = visit.messages
        // Pre-fill from the profile what the draft does not hold yet (WCAG 2.2 3.3.7: nothing asked twice).
        var prefill: [String: FieldView] = [:]
        if typed == nil, fields.contains(where: { draft.view.record.fields[$0.id] == nil && Prefill.profileField(for: $0) != nil }) {
            let caller = try visit.caller
            let profile = try await installation.records.profile(of: caller.accountID, caller: caller, access: access(visit))
            prefill = Prefill.values(for: fields, profile: profile.fields, language: visit.language)
        }
        let problems = FieldErrors(errors, definitions: fields, visit: visit, page: nil)
        let controls = fields.map { definition in
            var control = FormControls.model(
                for: definition, label: definition.label(in: visit.language),
                stored: draft.view.record.fields[definition.id] ?? prefill[definition.id], typed: typed,
                error: problems.message(for: definition.id), partErrors: problems.partMessages(for: definition.id), visit: visit,
                autocomplete: Prefill.autocomplete(for: definition))
            // One question per page: the page's heading is the question, so the label is not shown twice.
            if fields.count == 1 { control["label_hidden"] = true }
            return control
        }
        let title = fields.count == 1 ? fields[0].label(in: visit.language) : draft.service.title(in: visit.language)
        var page = Page(template: "step", title: title, status: errors.isEmpty ? .ok : .badRequest, model: [
            "service_title": draft.service.title(in: visit.language),
            "progress": t.text("form.progress", ["step": String(n), "count": String(draft.pages.count)]),
            "single": fields.count == 1,
            "heading": title,
            "fields": controls.map { ["control_html": FieldHTML.render($0)] },
            "action": "/requests/\(draft.view.id)/step/\(n)",
            "back_href": n > 1 ? "/requests/\(draft.view.id)/step/\(n - 1)" : "/services/" + draft.service.id,
            "return": "/requests/\(draft.view.id)/step/\(n)",
            "info_requested": draft.view.status == "info-requested",
            "from_check": visit.query["from"] == "check" || typed?["from"] == "check",
        ], section: "requests")
        page.errors = problems.summary
        if visit.query["saved"] == "1" { page.notice = t.text("form.saved_for_later") }
        return .page(page)
    }

    func saveStep(_ visit: inout Visit) async throws -> Outcome {
        let draft = try await loadDraft(visit)
        guard Self.isEditable(draft.view.status) else { return .redirect("/requests/" + draft.view.id) }
        let n = try stepNumber(visit, count: draft.pages.count)
        guard let form = visit.form else { throw PortalFailure.badForm }
        let fields = draft.pages[n - 1]
        // An emptied control removes what was stored; a draft may leave required fields out until the check page.
        var values = FormControls.inputs(from: form, definitions: fields, removeEmpty: true)
        values = values.filter { $0.value != .null || draft.view.record.fields[$0.key] != nil }
        if !values.isEmpty {
            do {
                _ = try await installation.records.updateRequest(draft.view.id, values: values, caller: try visit.caller, access: access(visit))
            } catch let error as StrongroomError where error.kind == .invalidInput && !error.fields.isEmpty {
                return try await stepPage(&visit, typed: form, errors: error.fields)
            }
        }
        if form["action"] == "save-and-leave" { return .redirect("/requests?saved=" + draft.view.id) }
        if form["action"] == "stay" { return .redirect("/requests/\(draft.view.id)/step/\(n)?saved=1") }
        // Required fields left empty are reported here, on their own page, rather than only at the end.
        let missing = fields.filter { $0.required && values[$0.id] == nil && draft.view.record.fields[$0.id] == nil }
        if !missing.isEmpty {
            return try await stepPage(&visit, typed: form, errors: missing.map {
                .init(field: $0.id, code: "missing_required", message: "")
            })
        }
        if form["from"] == "check" || n == draft.pages.count { return .redirect("/requests/\(draft.view.id)/check") }
        return .redirect("/requests/\(draft.view.id)/step/\(n + 1)")
    }

    // MARK: - Check your answers, submit, confirmation

    func checkPage(_ visit: inout Visit, errors: [StrongroomError.FieldProblem]) async throws -> Outcome {
        let draft = try await loadDraft(visit)
        guard Self.isEditable(draft.view.status) else { return .redirect("/requests/" + draft.view.id) }
        let t = visit.messages
        var stepOf: [String: Int] = [:]
        for (index, page) in draft.pages.enumerated() { for field in page { stepOf[field.id] = index + 1 } }
        let rows = draft.pages.flatMap { $0 }.map { definition -> [String: Any] in
            let shown = draft.view.record.fields[definition.id].map { FieldDisplay.text($0, definition: definition, visit: visit) }
            return [
                "label": definition.label(in: visit.language), "value": shown ?? "", "empty": shown == nil,
                "empty_text": definition.required ? t.text("check.missing") : t.text("check.not_given"),
                "change_href": "/requests/\(draft.view.id)/step/\(stepOf[definition.id] ?? 1)?from=check",
                "change_text": t.text("check.change"),
            ]
        }
        let all = draft.pages.flatMap { $0 }
        let problems = FieldErrors(errors.filter { $0.field != "declaration" }, definitions: all, visit: visit, page: { field in
            "/requests/\(draft.view.id)/step/\(stepOf[field] ?? 1)"
        })
        var page = Page(template: "check", title: t.text("check.title"), status: errors.isEmpty ? .ok : .badRequest, model: [
            "service_title": draft.service.title(in: visit.language),
            "rows": rows,
            "action": "/requests/\(draft.view.id)/submit",
            "back_href": "/requests/\(draft.view.id)/step/\(max(1, draft.pages.count))",
            "fee": draft.service.fee != nil ? feeText(draft.service, visit: visit) : "",
            "has_fee": draft.service.fee != nil,
            "resubmit": draft.view.status == "info-requested",
        ], section: "requests")
        page.errors = problems.summary
        if errors.contains(where: { $0.field == "declaration" }) {
            page.errors.append(["href": "#declaration", "text": t.text("check.declaration_missing")])
            page.model["declaration_error"] = t.text("check.declaration_missing")
        }
        return .page(page)
    }

    func submit(_ visit: inout Visit) async throws -> Outcome {
        let id = try requestID(visit)
        guard visit.form?["declaration"] == "yes" else {
            return try await checkPage(&visit, errors: [.init(field: "declaration", code: "missing_required", message: "")])
        }
        do {
            _ = try await installation.records.submitRequest(id, caller: try visit.caller, access: access(visit))
        } catch let error as StrongroomError where error.kind == .invalidInput && !error.fields.isEmpty {
            return try await checkPage(&visit, errors: error.fields)
        }
        return .redirect("/requests/\(id)/submitted")
    }

    func confirmationPage(_ visit: inout Visit) async throws -> Outcome {
        let draft = try await loadDraft(visit)
        let t = visit.messages
        var model: [String: Any] = [
            "service_title": draft.service.title(in: visit.language),
            "reference": Reference.text(draft.view.id),
            "request_href": "/requests/" + draft.view.id,
        ]
        switch (draft.view.status, draft.view.outcome) {
        case ("decided", "approved"?):
            model["approved"] = true
            model["next"] = t.text("confirmation.approved")
        case ("decided", "rejected"?):
            model["rejected"] = true
            model["next"] = t.text("confirmation.rejected")
            if let reason = draft.view.decisionReason ?? decisionReason(draft, language: visit.language) { model["reason"] = reason }
        default:
            model["next"] = t.text("confirmation.review")
        }
        if let paymentID = draft.view.paymentID, draft.view.paymentStatus == "pending" {
            model["pay_href"] = "/payments/" + paymentID
        }
        return .page(Page(template: "confirmation", title: t.text("confirmation.title"), model: model, section: "requests"))
    }

    /// The reason of the automatic rule that decided, in the reader's language.
    func decisionReason(_ draft: Draft, language: String) -> String? {
        guard let rule = draft.view.decidedByRule else { return nil }
        return draft.service.rules.first { $0.id == rule }?.reason(in: language)
    }
}

/// A request's reference as people read it: the id's random tail in groups (`REQ-4F2A-91C0-77DE`).
enum Reference {
    static func text(_ id: String) -> String {
        let tail = id.split(separator: "_").last.map(String.init) ?? id
        let chars = Array(tail.suffix(12).uppercased())
        var groups: [String] = []
        var index = 0
        while index < chars.count {
            groups.append(String(chars[index..<min(index + 4, chars.count)]))
            index += 4
        }
        return "REQ-" + groups.joined(separator: "-")
    }
}

/// What the profile can fill in on a service form.
enum Prefill {
    /// The profile field whose value suits `definition`, if any. Only same-meaning fields: an email for an email, the
    /// person's name for a full name. A `postal_address` is filled only from a field named the same (a change of
    /// address asks for the new one).
    static func profileField(for definition: FieldDefinition) -> String? {
        switch (definition.id, definition.type) {
        case ("full_name", _), ("name", _): return "name"
        case (_, .email): return "email"
        case (_, .phone): return "phone"
        case ("national_id", _): return "national_id"
        case ("date_of_birth", _): return "date_of_birth"
        case ("postal_address", .postalAddress), ("address", .postalAddress): return "postal_address"
        default: return nil
        }
    }

    static func autocomplete(for definition: FieldDefinition) -> String? {
        switch profileField(for: definition) {
        case "name"?: "name"
        case "email"?: "email"
        case "phone"?: "tel"
        case "date_of_birth"?: "bday"
        default: nil
        }
    }

    static func values(for fields: [FieldDefinition], profile: [String: FieldView], language: String) -> [String: FieldView] {
        var out: [String: FieldView] = [:]
        for field in fields {
            guard let source = profileField(for: field) else { continue }
            if source == "name" {
                if let family = profile["family_name"]?.value, let given = profile["given_names"]?.value {
                    out[field.id] = .revealed(language == "hu" ? family + " " + given : given + " " + family)
                } else if let name = profile["name"]?.value {
                    out[field.id] = .revealed(name)
                }
            } else if let value = profile[source]?.value {
                out[field.id] = .revealed(value)
            }
        }
        return out
    }
}

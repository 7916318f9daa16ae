import Catalog
import Hummingbird
import Strongroom
import StrongroomAPI

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// My requests, one request with its history and messages, withdrawing, and paying a fee.
extension Portal {
    func registerRequestPages(on router: Router<StrongroomRequestContext>) {
        page(router, "/requests", signedIn: true) { visit in try await requestsPage(&visit) }
        page(router, "/requests/:id", signedIn: true) { visit in try await requestPage(&visit, messageError: nil, typed: nil) }
        action(router, "/requests/:id/messages") { visit in try await reply(&visit) }
        page(router, "/requests/:id/withdraw", signedIn: true) { visit in try await withdrawPage(&visit) }
        action(router, "/requests/:id/withdraw") { visit in
            let id = try requestID(visit)
            _ = try await installation.records.withdrawRequest(id, caller: try visit.caller, access: access(visit))
            return .redirect("/requests/\(id)?withdrawn=1")
        }
        action(router, "/requests/:id/delete-draft") { visit in
            // A draft nobody submitted is withdrawn too (the service keeps its audit trail; its fields expire with it).
            let id = try requestID(visit)
            _ = try await installation.records.withdrawRequest(id, caller: try visit.caller, access: access(visit))
            return .redirect("/requests")
        }
        page(router, "/payments/:payment", signedIn: true) { visit in try await paymentPage(&visit, error: nil) }
        action(router, "/payments/:payment/pay") { visit in try await pay(&visit) }
    }

    func statusText(_ status: String, outcome: String?, _ t: MessageBundle) -> String {
        if status == "decided", let outcome { return t.text("status.decided_" + outcome) }
        return t.text("status." + status.replacingOccurrences(of: "-", with: "_"))
    }

    func statusTone(_ status: String, outcome: String?) -> String {
        switch (status, outcome) {
        case ("decided", "approved"?): "positive"
        case ("decided", "rejected"?): "negative"
        case ("info-requested", _): "action"
        case ("draft", _): "neutral"
        case ("withdrawn", _), ("closed", _): "muted"
        default: "progress"
        }
    }

    // MARK: - My requests

    func requestsPage(_ visit: inout Visit) async throws -> Outcome {
        let caller = try visit.caller
        let t = visit.messages
        let items = try await installation.records.ownRequests(caller: caller, access: access(visit))
        func row(_ item: RequestSummary) -> [String: Any] {
            let service = installation.catalog.service(item.serviceID)
            let editable = Self.isEditable(item.status)
            return [
                "title": service?.title(in: visit.language) ?? item.serviceID,
                "reference": Reference.text(item.id),
                "status": statusText(item.status, outcome: item.outcome, t),
                "tone": statusTone(item.status, outcome: item.outcome),
                "updated": visit.format.dateTime(item.updatedAt),
                "updated_iso": visit.format.isoDateTime(item.updatedAt),
                "href": item.status == "draft" ? "/requests/\(item.id)/check" : "/requests/" + item.id,
                "action_text": item.status == "draft" ? t.text("requests.continue") : (editable ? t.text("requests.answer") : t.text("requests.view")),
            ]
        }
        let drafts = items.filter { $0.status == "draft" }.map(row)
        let active = items.filter { ["submitted", "in-review", "info-requested"].contains($0.status) }.map(row)
        let finished = items.filter { ["decided", "withdrawn", "closed"].contains($0.status) }.map(row)
        var page = Page(template: "requests", title: t.text("requests.title"), model: [
            "drafts": drafts, "active": active, "finished": finished, "none": items.isEmpty,
            "has_drafts": !drafts.isEmpty, "has_active": !active.isEmpty, "has_finished": !finished.isEmpty,
            "count_text": t.plural("requests.count", count: items.count),
        ], section: "requests")
        if visit.query["saved"] != nil { page.notice = t.text("requests.draft_saved") }
        return .page(page)
    }

    // MARK: - One request

    func requestPage(_ visit: inout Visit, messageError: String?, typed: String?) async throws -> Outcome {
        let caller = try visit.caller
        let t = visit.messages
        let id = try requestID(visit)
        let view = try await installation.records.request(id, caller: caller, access: access(visit))
        let service = installation.catalog.service(view.serviceID)
        let messages = view.status == "draft" ? [] : try await installation.records.messages(id, caller: caller, access: access(visit))

        // A plain-language history from the request's own times and its messages.
        var events: [(Date, String)] = [(view.createdAt, t.text("history.started"))]
        if let submitted = view.submittedAt { events.append((submitted, t.text("history.submitted"))) }
        for message in messages where message.kind == "info-request" { events.append((message.createdAt, t.text("history.info_requested"))) }
        if let decided = view.decidedAt {
            let key = view.outcome == "approved" ? "history.approved" : "history.rejected"
            events.append((decided, view.decidedByRule != nil ? t.text(key + "_automatically") : t.text(key)))
        }
        if view.status == "withdrawn" { events.append((view.updatedAt, t.text("history.withdrawn"))) }
        if view.status == "closed" { events.append((view.updatedAt, t.text("history.closed"))) }
        let history = events.sorted { $0.0 < $1.0 }.map { ["when": visit.format.dateTime($0.0), "iso": visit.format.isoDateTime($0.0), "what": $0.1] }

        let definitions = service?.fields(at: view.serviceVersion) ?? []
        let answers = definitions.compactMap { definition -> [String: Any]? in
            guard let field = view.record.fields[definition.id] else { return nil }
            return ["label": definition.label(in: visit.language), "value": FieldDisplay.text(field, definition: definition, visit: visit)]
        }
        let conversation = messages.map { message -> [String: Any] in
            [
                "mine": message.mine,
                "author": message.mine ? t.text("messages.you") : t.text("messages.agency"),
                "when": visit.format.dateTime(message.createdAt), "iso": visit.format.isoDateTime(message.createdAt),
                "body": message.body ?? t.text("messages.unreadable"),
                "is_info_request": message.kind == "info-request",
            ]
        }
        var model: [String: Any] = [
            "title": service?.title(in: visit.language) ?? view.serviceID,
            "reference": Reference.text(view.id),
            "status": statusText(view.status, outcome: view.outcome, t),
            "tone": statusTone(view.status, outcome: view.outcome),
            "history": history,
            "answers": answers,
            "has_answers": !answers.isEmpty,
            "messages": conversation,
            "has_messages": !conversation.isEmpty,
            "message_action": "/requests/\(view.id)/messages",
            "can_message": !["draft", "withdrawn", "closed"].contains(view.status),
            "info_requested": view.status == "info-requested",
            "answer_href": "/requests/\(view.id)/check",
            "can_withdraw": ["submitted", "in-review", "info-requested"].contains(view.status),
            "withdraw_href": "/requests/\(view.id)/withdraw",
            "is_draft": view.status == "draft",
            "continue_href": "/requests/\(view.id)/check",
            "typed": typed ?? "",
        ]
        if let messageError { model["message_error"] = messageError }
        if view.status == "decided" || (view.status == "closed" && view.outcome != nil) {
            model["decided"] = true
            model["decision"] = view.outcome == "approved" ? t.text("request.approved") : t.text("request.rejected")
            // A caseworker's standard reason (in the reader's language) comes first, then their own words.
            if let text = view.decisionReasonCode.flatMap({ service?.decisionReason($0)?.text(in: visit.language) }) { model["reason_code_text"] = text }
            if let reason = view.decisionReason { model["reason"] = reason }
            else if let rule = view.decidedByRule, let text = service?.rules.first(where: { $0.id == rule })?.reason(in: visit.language) { model["reason"] = text }
        }
        if let paymentID = view.paymentID, let status = view.paymentStatus {
            model["payment"] = [
                "status": t.text("payment.status_" + status), "href": "/payments/" + paymentID,
                "pay": status == "pending" || status == "failed",
            ] as [String: Any]
        }
        var page = Page(template: "request", title: service?.title(in: visit.language) ?? t.text("request.title"), model: model, section: "requests")
        if let messageError { page.errors = [["href": "#message", "text": messageError]] }
        if visit.query["sent"] == "1" { page.notice = t.text("messages.sent") }
        if visit.query["withdrawn"] == "1" { page.notice = t.text("request.withdrawn_notice") }
        if messageError != nil { page.status = .badRequest }
        return .page(page)
    }

    func reply(_ visit: inout Visit) async throws -> Outcome {
        let id = try requestID(visit)
        let text = (visit.form?["message"] ?? "").trimmingWhitespaceAtEnds
        guard !text.isEmpty else { return try await requestPage(&visit, messageError: visit.messages.text("messages.empty"), typed: nil) }
        do {
            _ = try await installation.records.postMessage(id, body: text, caller: try visit.caller, access: access(visit))
        } catch let error as StrongroomError where error.kind == .invalidInput {
            return try await requestPage(&visit, messageError: visit.messages.text("messages.invalid"), typed: text)
        }
        return .redirect("/requests/\(id)?sent=1#messages")
    }

    func withdrawPage(_ visit: inout Visit) async throws -> Outcome {
        let id = try requestID(visit)
        let view = try await installation.records.request(id, caller: try visit.caller, access: access(visit))
        let service = installation.catalog.service(view.serviceID)
        return .page(Page(template: "withdraw", title: visit.messages.text("withdraw.title"), model: [
            "service_title": service?.title(in: visit.language) ?? view.serviceID, "reference": Reference.text(id),
            "action": "/requests/\(id)/withdraw", "back_href": "/requests/" + id,
        ], section: "requests"))
    }

    // MARK: - Fees

    func paymentID(_ visit: Visit) throws -> String {
        guard let id = visit.context.parameters.get("payment"), id.count <= 64,
            id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
        else { throw PortalFailure.notFound }
        return id
    }

    func paymentPage(_ visit: inout Visit, error: String?) async throws -> Outcome {
        let t = visit.messages
        let payment = try await installation.records.payment(try paymentID(visit), caller: try visit.caller, access: access(visit))
        let amount = Currency(code: payment.currency).map { visit.format.money(Money(minorUnits: payment.amountMinor, currency: $0)) }
            ?? "\(payment.amountMinor) \(payment.currency)"
        var model: [String: Any] = [
            "amount": amount, "status": t.text("payment.status_" + payment.status),
            "request_href": "/requests/" + payment.requestID, "reference": Reference.text(payment.requestID),
            "can_pay": payment.status == "pending" || payment.status == "failed",
            "pay_action": "/payments/\(payment.id)/pay",
            "test_provider": installation.records.paysWithTestProvider,
            "refunded": payment.status == "refunded",
        ]
        if let receipt = payment.receipt {
            model["receipt"] = [
                "number": receipt.number, "paid_at": visit.format.dateTime(receipt.paidAt),
                "amount": Currency(code: receipt.currency).map { visit.format.money(Money(minorUnits: receipt.amountMinor, currency: $0)) } ?? "",
            ]
        }
        if let refunded = payment.refundedAt { model["refunded_at"] = visit.format.dateTime(refunded) }
        if let error { model["error"] = error }
        var page = Page(template: "payment", title: t.text("payment.title"), status: error == nil ? .ok : .badRequest, model: model, section: "requests")
        if let error { page.errors = [["href": "#instrument-0", "text": error]] }
        if visit.query["paid"] == "1" { page.notice = t.text("payment.paid_notice") }
        // A declined card is for the person to act on: an error (summary, title prefix, message at the choice), not a notice.
        if visit.query["declined"] == "1", error == nil, payment.status == "failed" {
            page.errors = [["href": "#instrument-0", "text": t.text("payment.declined_notice")]]
            page.model["error"] = t.text("payment.declined_notice")
        }
        return .page(page)
    }

    func pay(_ visit: inout Visit) async throws -> Outcome {
        let id = try paymentID(visit)
        guard let instrument = visit.form?["instrument"], !instrument.isEmpty, instrument.count <= 200 else {
            return try await paymentPage(&visit, error: visit.messages.text("payment.choose"))
        }
        let view: PaymentView
        do {
            view = try await installation.records.pay(id, instrument: instrument, caller: try visit.caller, access: access(visit))
        } catch let error as StrongroomError where error.kind == .invalidInput {
            return try await paymentPage(&visit, error: visit.messages.text("payment.refused"))
        }
        return .redirect("/payments/\(id)" + (view.status == "paid" ? "?paid=1" : "?declined=1"))
    }
}

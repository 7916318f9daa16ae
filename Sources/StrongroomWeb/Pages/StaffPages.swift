import AuditLog
import Catalog
import Hummingbird
import Policy
import Strongroom
import StrongroomAPI

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The staff side's first screens: sign-in with a one-time code, the purpose of use chosen once per task, the work
/// queues of one's office, and the case page with claim, request for information, messages and decision.
///
/// Every screen calls the same service methods as `/v1/cases`: the gate decides with the chosen purpose, masks what
/// the policies mask, and audits each access. A citizen's session sees none of these pages (404), and a staff
/// session none of the citizen's.
extension Portal {
    /// The purpose of use for this browser's current task (a declared purpose the caller's roles may use).
    static let purposeCookie = "__Host-sr-purpose"

    func registerStaffPages(on router: Router<StrongroomRequestContext>) {
        page(router, "/staff/sign-in") { visit in
            .page(staffSignInPage(visit, login: "", errors: [], expired: visit.query["expired"] == "1"))
        }
        action(router, "/staff/sign-in", signedIn: false) { visit in try await staffSignIn(&visit) }
        staffPage(router, "/staff") { visit, caller in try await staffQueuePage(&visit, caller) }
        staffPage(router, "/staff/purpose", needsPurpose: false) { visit, caller in .page(purposePage(visit, caller, error: false)) }
        staffAction(router, "/staff/purpose", needsPurpose: false) { visit, caller in
            let chosen = visit.form?["purpose"] ?? ""
            guard allowedPurposes(caller).contains(chosen) else { return .page(purposePage(visit, caller, error: true)) }
            visit.setCookies.append(PortalSecurity.cookie(Self.purposeCookie, chosen))
            return .redirect(PortalSecurity.localPath(visit.form?["return"]).flatMap { $0.hasPrefix("/staff") ? $0 : nil } ?? "/staff")
        }
        staffPage(router, "/staff/cases/:id") { visit, caller in try await casePage(&visit, caller, errors: [:], typed: [:]) }
        // Break the glass: a written justification opens a time-limited grant on one record (where a rule allows it).
        staffAction(router, "/staff/cases/:id/break-glass") { visit, caller in
            let id = try requestID(visit)
            let t = visit.messages
            let justification = (visit.form?["justification"] ?? "").trimmingWhitespaceAtEnds
            var access = access(visit)
            access.justification = justification
            guard AccessContext.isSubstantive(justification) else {
                return .page(breakGlassPage(visit, id: id, error: t.text("staff.break_glass.too_short"), typed: justification))
            }
            do {
                _ = try await installation.records.request(id, caller: caller, access: access)
            } catch let error as StrongroomError where error.kind == .invalidInput {
                return .page(breakGlassPage(visit, id: id, error: t.text("staff.break_glass.too_short"), typed: justification))
            }
            return .redirect("/staff/cases/\(id)?done=opened")
        }
        // Break-glass accesses waiting for review (auditors, supervisors), and the review form.
        staffPage(router, "/staff/break-glass") { visit, caller in try await breakGlassReviewPage(&visit, caller, error: nil) }
        staffAction(router, "/staff/break-glass/:seq/review") { visit, caller in
            guard let seq = visit.context.parameters.get("seq").flatMap(UInt64.init) else { throw PortalFailure.notFound }
            guard let finding = (visit.form?["finding"]).flatMap(BreakGlassFinding.init(rawValue:)) else {
                return try await breakGlassReviewPage(&visit, caller, error: (seq, visit.messages.text("staff.review.finding_missing")))
            }
            _ = try await installation.records.reviewBreakGlass(auditSeq: seq, finding: finding, caller: caller, access: access(visit))
            return .redirect("/staff/break-glass?done=reviewed")
        }
        // Show one masked field in full: its own audited access; the value is on this POST's answer only.
        staffAction(router, "/staff/cases/:id/reveal") { visit, caller in
            let id = try requestID(visit)
            let field = visit.form?["field"] ?? ""
            do {
                guard let shown = try await installation.records.reveal(id, field: field, caller: caller, access: access(visit)),
                      let value = shown.value else {
                    return try await casePage(&visit, caller, errors: ["answers": visit.messages.text("staff.case.reveal_nothing")], typed: [:])
                }
                return try await casePage(&visit, caller, errors: [:], typed: [:], revealed: [field: value])
            } catch let error as StrongroomError where error.kind == .invalidInput {
                return try await casePage(&visit, caller, errors: ["answers": visit.messages.text("staff.case.reveal_refused")], typed: [:])
            }
        }
        // Give a case back to the office's queue (only its assignee); close a decided case (nothing more happens on
        // it; the citizen still reads it and its decision). A step the life cycle refuses is said beside its button.
        for (step, done) in [("release", "released"), ("close", "closed")] {
            staffAction(router, RouterPath("/staff/cases/:id/\(step)")) { visit, caller in
                let id = try requestID(visit)
                do {
                    if step == "release" {
                        _ = try await installation.records.release(id, caller: caller, access: access(visit))
                    } else {
                        _ = try await installation.records.closeRequest(id, caller: caller, access: access(visit))
                    }
                } catch let error as StrongroomError where error.kind == .conflict {
                    return try await casePage(&visit, caller, errors: [step: visit.messages.text("staff.case.\(step)_refused")], typed: [:])
                }
                return .redirect("/staff/cases/\(id)?done=\(done)")
            }
        }
        staffAction(router, "/staff/cases/:id/claim") { visit, caller in
            let id = try requestID(visit)
            _ = try await installation.records.claim(id, caller: caller, access: access(visit))
            return .redirect("/staff/cases/\(id)?done=claimed")
        }
        // A supervisor assigns or reassigns an open case to a caseworker or supervisor of its office.
        staffAction(router, "/staff/cases/:id/assign") { visit, caller in
            let id = try requestID(visit)
            let chosen = visit.form?["assignee"] ?? ""
            guard !chosen.isEmpty else {
                return try await casePage(&visit, caller, errors: ["assignee": visit.messages.text("staff.case.assignee_missing")], typed: [:])
            }
            do {
                _ = try await installation.records.assign(id, to: chosen, caller: caller, access: access(visit))
            } catch let error as StrongroomError where error.kind == .invalidInput {
                return try await casePage(&visit, caller, errors: ["assignee": visit.messages.text("staff.case.assignee_missing")], typed: [:])
            }
            return .redirect("/staff/cases/\(id)?done=assigned")
        }
        // An internal note between staff (sealed, never shown to the citizen).
        staffAction(router, "/staff/cases/:id/notes") { visit, caller in
            let id = try requestID(visit)
            let text = (visit.form?["note"] ?? "").trimmingWhitespaceAtEnds
            guard !text.isEmpty else {
                return try await casePage(&visit, caller, errors: ["note": visit.messages.text("staff.case.note_missing")], typed: [:])
            }
            do {
                _ = try await installation.records.postNote(id, body: text, caller: caller, access: access(visit))
            } catch let error as StrongroomError where error.kind == .invalidInput {
                return try await casePage(&visit, caller, errors: ["note": visit.messages.text("staff.case.text_invalid")], typed: ["note": text])
            }
            return .redirect("/staff/cases/\(id)?done=noted#notes")
        }
        // Search by a blind-indexed field: the value goes in a POST body (never in a URL), the answer is rendered at
        // once, and each hit shows only what the search decision reveals.
        staffPage(router, "/staff/search") { visit, caller in
            guard visit.staffScreens.contains("search") else { throw PortalFailure.notFound }
            return .page(searchPage(visit, field: nil, value: "", hits: nil, errors: [:]))
        }
        staffAction(router, "/staff/search") { visit, caller in
            guard visit.staffScreens.contains("search") else { throw PortalFailure.notFound }
            let t = visit.messages
            let field = visit.form?["field"] ?? ""
            let value = (visit.form?["value"] ?? "").trimmingWhitespaceAtEnds
            var errors: [String: String] = [:]
            if !searchableFields(visit.language).contains(where: { $0.id == field }) { errors["field"] = t.text("staff.search.field_missing") }
            if value.isEmpty { errors["value"] = t.text("staff.search.value_missing") }
            guard errors.isEmpty else { return .page(searchPage(visit, field: field, value: value, hits: nil, errors: errors)) }
            do {
                let hits = try await installation.records.search(field: field, value: value, caller: caller, access: access(visit))
                return .page(searchPage(visit, field: field, value: value, hits: hits, errors: [:]))
            } catch let error as StrongroomError where error.kind == .invalidInput {
                return .page(searchPage(visit, field: field, value: value, hits: nil, errors: ["value": t.text("staff.search.value_invalid")]))
            }
        }
        // Staff administration (administrators): the accounts, a new member of staff with the enrolment shown once,
        // and disabling an account (its sessions end).
        staffPage(router, "/staff/people") { visit, caller in
            guard visit.staffScreens.contains("people") else { throw PortalFailure.notFound }
            return try await Self.hidingRefusals { try await peoplePage(&visit, caller, errors: [:], typed: [:]) }
        }
        staffAction(router, "/staff/people") { visit, caller in
            guard visit.staffScreens.contains("people") else { throw PortalFailure.notFound }
            return try await Self.hidingRefusals { try await addPerson(&visit, caller) }
        }
        staffAction(router, "/staff/people/disable") { visit, caller in
            guard visit.staffScreens.contains("people") else { throw PortalFailure.notFound }
            let login = visit.form?["login"] ?? ""
            return try await Self.hidingRefusals {
                do {
                    try await installation.disableStaff(login: login, caller: caller, access: access(visit))
                } catch let error as StrongroomError where error.kind == .notFound || error.kind == .invalidInput {
                    return try await peoplePage(&visit, caller, errors: ["people": visit.messages.text("staff.people.unknown")], typed: [:])
                }
                return .redirect("/staff/people?done=disabled")
            }
        }
        // A new authenticator secret for a colleague who lost theirs: shown once on this POST's answer; their sessions end.
        staffAction(router, "/staff/people/reset-mfa") { visit, caller in
            guard visit.staffScreens.contains("people") else { throw PortalFailure.notFound }
            return try await Self.hidingRefusals { try await resetSecondFactor(&visit, caller) }
        }
        registerStaffAuditPages(on: router)
        staffAction(router, "/staff/cases/:id/request-info") { visit, caller in
            let id = try requestID(visit)
            let question = (visit.form?["question"] ?? "").trimmingWhitespaceAtEnds
            guard !question.isEmpty else {
                return try await casePage(&visit, caller, errors: ["question": visit.messages.text("staff.case.question_missing")], typed: [:])
            }
            do {
                _ = try await installation.records.requestInformation(id, question: question, caller: caller, access: access(visit))
            } catch let error as StrongroomError where error.kind == .invalidInput {
                return try await casePage(&visit, caller, errors: ["question": visit.messages.text("staff.case.text_invalid")], typed: ["question": question])
            }
            return .redirect("/staff/cases/\(id)?done=asked")
        }
        staffAction(router, "/staff/cases/:id/decision") { visit, caller in
            let id = try requestID(visit)
            let t = visit.messages
            let outcome = (visit.form?["outcome"]).flatMap(RecordService.ReviewOutcome.init(rawValue:))
            let reason = (visit.form?["reason"] ?? "").trimmingWhitespaceAtEnds
            let code = (visit.form?["reason_code"]).flatMap { $0.isEmpty ? nil : $0 }
            let typed = ["reason": reason, "reason_code": code ?? ""]
            var errors: [String: String] = [:]
            if outcome == nil { errors["outcome"] = t.text("staff.case.outcome_missing") }
            if reason.isEmpty && code == nil { errors["reason"] = t.text("staff.case.reason_missing") }
            guard let outcome, errors.isEmpty else { return try await casePage(&visit, caller, errors: errors, typed: typed) }
            do {
                _ = try await installation.records.decideRequest(
                    id, outcome: outcome, reasonCode: code, reason: reason, caller: caller, access: access(visit))
            } catch let error as StrongroomError where error.kind == .invalidInput {
                // A standard reason that does not fit the outcome, or text that cannot be stored: said beside the
                // control concerned.
                let field = error.code == "unknown_reason_code" ? "reason_code" : "reason"
                let key = field == "reason_code" ? "staff.case.reason_code_invalid" : "staff.case.text_invalid"
                return try await casePage(&visit, caller, errors: [field: t.text(key)], typed: typed)
            }
            return .redirect("/staff/cases/\(id)?done=decided")
        }
        staffAction(router, "/staff/cases/:id/messages") { visit, caller in
            let id = try requestID(visit)
            let text = (visit.form?["message"] ?? "").trimmingWhitespaceAtEnds
            guard !text.isEmpty else {
                return try await casePage(&visit, caller, errors: ["message": visit.messages.text("messages.empty")], typed: [:])
            }
            do {
                _ = try await installation.records.postMessage(id, body: text, caller: caller, access: access(visit))
            } catch let error as StrongroomError where error.kind == .invalidInput {
                return try await casePage(&visit, caller, errors: ["message": visit.messages.text("messages.invalid")], typed: ["message": text])
            }
            return .redirect("/staff/cases/\(id)?done=sent#messages")
        }
    }

    // MARK: - The staff pipeline

    /// A staff GET page: the session must be a staff account's (else the staff sign-in, or 404 for a citizen), and,
    /// when `needsPurpose`, a purpose must have been chosen for this task (else the purpose page, coming back here).
    func staffPage(
        _ router: Router<StrongroomRequestContext>, _ path: RouterPath, needsPurpose: Bool = true,
        _ body: @escaping @Sendable (inout Visit, AuthenticatedCaller) async throws -> Outcome
    ) {
        page(router, path) { visit in
            let caller = try staffCaller(&visit, needsPurpose: needsPurpose)
            if needsPurpose, visit.staffPurpose == nil {
                return .redirect("/staff/purpose?return=" + FormBody.encode(PortalSecurity.localPath(visit.request.uri.path) ?? "/staff"))
            }
            await loadBreakGlassGrants(&visit, caller)
            return try await Self.hidingRefusals { try await body(&visit, caller) }
        }
    }

    /// A staff form POST (CSRF and cross-site checks as for every portal form); without a chosen purpose it changes
    /// nothing and goes to the purpose page.
    func staffAction(
        _ router: Router<StrongroomRequestContext>, _ path: RouterPath, needsPurpose: Bool = true,
        _ body: @escaping @Sendable (inout Visit, AuthenticatedCaller) async throws -> Outcome
    ) {
        action(router, path, signedIn: false) { visit in
            let caller = try staffCaller(&visit, needsPurpose: needsPurpose)
            if needsPurpose, visit.staffPurpose == nil { return .redirect("/staff/purpose") }
            await loadBreakGlassGrants(&visit, caller)
            return try await Self.hidingRefusals { try await body(&visit, caller) }
        }
    }

    /// The caller's break-glass grants in force, for the banner (only for roles a break-glass rule names; a failed
    /// lookup shows no banner rather than failing the page).
    func loadBreakGlassGrants(_ visit: inout Visit, _ caller: AuthenticatedCaller) async {
        guard mayBreakGlass(caller) else { return }
        visit.breakGlassGrants = (try? await installation.records.openBreakGlassGrants(of: caller)) ?? []
    }

    /// A screen the policies do not open to this person is, for them, not there: 404, never a hint of its data.
    static func hidingRefusals(_ body: () async throws -> Outcome) async throws -> Outcome {
        do {
            return try await body()
        } catch let error as StrongroomError where error.kind == .forbidden {
            throw PortalFailure.notFound
        }
    }

    /// Whether a permit rule lets one of the caller's roles do `action` (the screens offered follow from it; the
    /// gate still decides every access on them).
    func rolesMay(_ caller: AuthenticatedCaller, _ action: String) -> Bool {
        installation.policies.current.rules.contains { rule in
            rule.effect == .permit && rule.actions.contains(action) && (rule.roles.map { !$0.isDisjoint(with: caller.roles) } ?? true)
        }
    }

    /// The staff caller of this visit, with the purpose cookie read (and dropped when the caller may not use it).
    func staffCaller(_ visit: inout Visit, needsPurpose: Bool) throws -> AuthenticatedCaller {
        guard let session = visit.session else { throw PortalFailure.signInNeeded }
        // A citizen's session: these pages do not exist for them.
        guard session.caller.kind == .staff else { throw PortalFailure.notFound }
        if let purpose = visit.request.cookies[Self.purposeCookie]?.value, allowedPurposes(session.caller).contains(purpose) {
            visit.staffPurpose = purpose
        }
        visit.staffScreens = Set(["queue", "search", "review-break-glass"].filter { rolesMay(session.caller, $0) })
        if rolesMay(session.caller, "manage-staff") { visit.staffScreens.insert("people") }
        if rolesMay(session.caller, "read-audit") { visit.staffScreens.insert("audit") }
        if rolesMay(session.caller, "rotate-keys") { visit.staffScreens.insert("keys") }
        return session.caller
    }

    /// The purposes the policies in force let `caller`'s roles use, in the schema's order.
    func allowedPurposes(_ caller: AuthenticatedCaller) -> [String] {
        let set = installation.policies.current
        var allowed = Set<String>()
        for rule in set.rules where rule.effect == .permit {
            guard let purposes = rule.purposes else { continue }
            if let roles = rule.roles, roles.isDisjoint(with: caller.roles) { continue }
            allowed.formUnion(purposes)
        }
        return set.schema.purposes.filter { allowed.contains($0) && $0 != "citizen-self-service" }
    }

    func staffPurposeName(_ purpose: String, _ t: MessageBundle) -> String {
        let key = "staff.purposes." + purpose.replacingOccurrences(of: "-", with: "_")
        let text = t.text(key)
        return text == key ? purpose : text
    }

    // MARK: - Sign in

    func staffSignInPage(_ visit: Visit, login: String, errors: [[String: String]], expired: Bool) -> Page {
        var page = Page(template: "staff_sign_in", title: visit.messages.text("staff.sign_in.title"), status: errors.isEmpty ? .ok : .badRequest, model: [
            "login": login, "return": PortalSecurity.localPath(visit.query["return"]).flatMap { $0.hasPrefix("/staff") ? $0 : nil } ?? "",
        ], section: "staff")
        page.errors = errors
        if expired { page.notice = visit.messages.text("sign_in.expired") }
        for error in errors where error["href"] == "#login" { page.model["login_error"] = error["text"] }
        return page
    }

    func staffSignIn(_ visit: inout Visit) async throws -> Outcome {
        let t = visit.messages
        let login = (visit.form?["login"] ?? "").trimmingWhitespaceAtEnds
        // Form text: this String is the password's only copy here (no arrays, no logs); the account service copies it
        // once into guarded memory for Argon2id (SECURITY.md, "Passwords ... in memory").
        let password = visit.form?["password"] ?? ""
        let code = (visit.form?["code"] ?? "").filter { !$0.isWhitespace }
        let refused = [["href": "#login", "text": t.text("staff.sign_in.refused")]]
        guard !login.isEmpty, !password.isEmpty, !code.isEmpty else {
            return .page(staffSignInPage(visit, login: login, errors: [["href": "#login", "text": t.text("staff.sign_in.all_three")]], expired: false))
        }
        do {
            let session = try await installation.accounts.logIn(
                login: login, password: password, oneTimeCode: code, address: clientAddress(visit), context: access(visit))
            guard session.caller.kind == .staff else {
                // A citizen's account: the same words as for a wrong password, and the session is ended at once.
                try? await installation.accounts.logOut(token: session.token, context: access(visit))
                return .page(staffSignInPage(visit, login: login, errors: refused, expired: false))
            }
            visit.signIn(token: session.token, caller: session.caller)
            // A new sign-in is a new task: the purpose is chosen again.
            visit.setCookies.append(PortalSecurity.expiredCookie(Self.purposeCookie))
            let back = PortalSecurity.localPath(visit.form?["return"]).flatMap { $0.hasPrefix("/staff") ? $0 : nil } ?? "/staff"
            return .redirect("/staff/purpose?return=" + FormBody.encode(back))
        } catch let error as StrongroomError where error.kind == .unauthenticated {
            return .page(staffSignInPage(visit, login: login, errors: refused, expired: false))
        } catch let error as StrongroomError where error.kind == .tooManyRequests {
            var page = staffSignInPage(
                visit, login: login, errors: [["href": "#login", "text": waitText(error.retryAfterSeconds, t, prefix: "staff.sign_in")]],
                expired: false)
            page.status = .tooManyRequests
            page.retryAfterSeconds = error.retryAfterSeconds
            return .page(page)
        }
    }

    // MARK: - Purpose

    func purposePage(_ visit: Visit, _ caller: AuthenticatedCaller, error: Bool) -> Page {
        let t = visit.messages
        let current = visit.staffPurpose
        let options = allowedPurposes(caller).enumerated().map { index, purpose -> [String: Any] in
            ["id": "purpose-\(index)", "value": purpose, "label": staffPurposeName(purpose, t), "checked": purpose == current]
        }
        var page = Page(template: "staff_purpose", title: t.text("staff.purpose.title"), status: error ? .badRequest : .ok, model: [
            "options": options, "none": options.isEmpty,
            "return": PortalSecurity.localPath(visit.query["return"] ?? visit.form?["return"]).flatMap { $0.hasPrefix("/staff") ? $0 : nil } ?? "/staff",
        ], section: "purpose")
        if error {
            page.errors = [["href": "#purpose-0", "text": t.text("staff.purpose.missing")]]
            page.model["purpose_error"] = t.text("staff.purpose.missing")
        }
        return page
    }

    // MARK: - Work queues

    /// The tabs of the work queues, in order. `ready` (mine, not waiting for the citizen) and `overdue` (open past the
    /// service's `decide_within:`) are derived from the others, so one page reads four queues.
    static let queues = ["unassigned", "mine", "ready", "waiting", "overdue", "open", "recent"]
    static let readQueues = ["unassigned", "mine", "waiting", "open", "recent"]
    /// The statuses the status filter offers (every state a case can be in once submitted).
    static let filterStatuses = ["submitted", "in-review", "info-requested", "decided", "closed", "withdrawn"]
    /// "Recently handled by me": cases assigned to the caller that changed within this many days, finished ones too.
    static let recentDays = 14
    /// The age filter's choices, in days since submission.
    static let ages = [3, 7, 14, 30]

    func queueFilter(_ name: String, _ caller: AuthenticatedCaller) -> CaseQueueFilter {
        switch name {
        case "unassigned": CaseQueueFilter(statuses: ["submitted", "in-review"], assignee: .unassigned, limit: 500)
        case "mine": CaseQueueFilter(statuses: ["submitted", "in-review", "info-requested"], assignee: .account(caller.accountID), limit: 500)
        case "waiting": CaseQueueFilter(statuses: ["info-requested"], limit: 500)
        case "recent": CaseQueueFilter(statuses: Self.filterStatuses, assignee: .account(caller.accountID), updatedWithinDays: Self.recentDays, limit: 100)
        default: CaseQueueFilter(limit: 500)
        }
    }

    func staffQueuePage(_ visit: inout Visit, _ caller: AuthenticatedCaller) async throws -> Outcome {
        let t = visit.messages
        // Roles without casework start on their own screen, or on a page that says where their tools are.
        guard visit.staffScreens.contains("queue") else {
            if visit.staffScreens.contains("review-break-glass") { return .redirect("/staff/break-glass") }
            if visit.staffScreens.contains("people") { return .redirect("/staff/people") }
            if visit.staffScreens.contains("keys") { return .redirect("/staff/keys") }
            return .page(Page(template: "staff_home", title: t.text("staff.home.title"), model: [:], section: "staff"))
        }
        let chosen = visit.query["queue"].flatMap { Self.queues.contains($0) ? $0 : nil } ?? "unassigned"
        let service = visit.query["service"].flatMap { installation.catalog.service($0) != nil ? $0 : nil }
        let age = visit.query["age"].flatMap(Int.init).flatMap { Self.ages.contains($0) ? $0 : nil }
        let status = visit.query["status"].flatMap { Self.filterStatuses.contains($0) ? $0 : nil }
        let now = visit.now
        var lists: [String: [CaseSummary]] = [:]
        for name in Self.readQueues {
            var filter = queueFilter(name, caller)
            filter.serviceID = service
            filter.minimumAgeDays = age
            lists[name] = try await installation.records.queue(filter, caller: caller, access: access(visit))
        }
        lists["ready"] = (lists["mine"] ?? []).filter { $0.status != "info-requested" }
        lists["overdue"] = (lists["open"] ?? []).filter { item in dueDate(item).map { now.timeIntervalSince1970 >= $0 } ?? false }
        if let status { lists = lists.mapValues { $0.filter { $0.status == status } } }
        let counts = lists.mapValues(\.count)
        let shown = lists[chosen] ?? []
        let rows = shown.map { item -> [String: Any] in
            let days = item.submittedAt.map { max(0, Int(now.timeIntervalSince($0) / 86_400)) }
            let due = dueDate(item)
            return [
                "href": "/staff/cases/" + item.id, "reference": Reference.text(item.id),
                "service": installation.catalog.service(item.serviceID)?.title(in: visit.language) ?? item.serviceID,
                "status": statusText(item.status, outcome: nil, t), "tone": statusTone(item.status, outcome: nil),
                "submitted": item.submittedAt.map { visit.format.date($0) } ?? "",
                "age": days.map { $0 == 0 ? t.text("staff.queue.age_today") : t.plural("staff.queue.age_days", count: $0) } ?? "",
                "assignee": item.assigneeID == nil ? t.text("staff.queue.nobody") : (item.assigneeID == caller.accountID ? t.text("staff.queue.me") : t.text("staff.queue.colleague")),
                "fee": item.paymentStatus.map { t.text("payment.status_" + $0) } ?? "",
                "overdue": due.map { now.timeIntervalSince1970 >= $0 } ?? false,
                "due": due.map { visit.format.date(Date(timeIntervalSince1970: $0 - 1)) } ?? "",
            ]
        }
        let tabs = Self.queues.map { name -> [String: Any] in
            var href = "/staff?queue=" + name
            if let service { href += "&service=" + FormBody.encode(service) }
            if let age { href += "&age=" + String(age) }
            if let status { href += "&status=" + status }
            return ["href": href, "text": t.text("staff.queue.tab_" + name), "count": String(counts[name] ?? 0), "current": name == chosen]
        }
        let services = installation.catalog.serviceIDs.compactMap { installation.catalog.service($0) }.map { s -> [String: Any] in
            ["value": s.id, "label": s.title(in: visit.language), "selected": s.id == service]
        }
        var page = Page(template: "staff_queue", title: t.text("staff.queue.title"), model: [
            "tabs": tabs, "rows": rows, "none": rows.isEmpty, "queue": chosen,
            "queue_title": t.text("staff.queue.tab_" + chosen),
            "services": services, "office": caller.office ?? "",
            "statuses": Self.filterStatuses.map { value -> [String: Any] in
                ["value": value, "label": statusText(value, outcome: nil, t), "selected": value == status]
            },

            "ages": Self.ages.map { days -> [String: Any] in
                ["value": String(days), "label": t.plural("staff.queue.age_at_least", count: days), "selected": days == age]
            },
        ], section: "staff")
        // (A section opens on any value, an empty string included: the hint is given only where it applies.)
        if chosen == "recent" { page.model["recent_hint"] = t.plural("staff.queue.recent_hint", count: Self.recentDays) }
        return .page(page)
    }

    /// The case history as people read it: the messages read with a page view join that view's line, and the same
    /// line repeated in a row (the same person opening the page again) is one line with a count.
    static func collapsed(_ rows: [[String: Any]], _ t: MessageBundle) -> [[String: Any]] {
        func text(_ row: [String: Any], _ key: String) -> String { row[key] as? String ?? "" }
        func same(_ a: [String: Any], _ b: [String: Any], _ keys: [String]) -> Bool { keys.allSatisfy { text(a, $0) == text(b, $0) } }
        // 1. A page view reads the request and then its messages: one line.
        var views: [[String: Any]] = []
        for row in rows {
            if text(row, "action") == "message.read", var last = views.last, text(last, "action") == "request.read",
               same(row, last, ["who", "purpose"]), last["messages_joined"] == nil {
                last["data"] = text(last, "data") + ", " + text(row, "data")
                last["messages_joined"] = true
                views[views.count - 1] = last
            } else {
                views.append(row)
            }
        }
        // 2. The same line again and again: once, with a count.
        var result: [[String: Any]] = []
        for row in views {
            if var last = result.last, same(row, last, ["who", "what", "data", "purpose"]),
               (row["refused"] as? Bool) == (last["refused"] as? Bool), (row["break_glass"] as? Bool) == (last["break_glass"] as? Bool) {
                let count = (last["count"] as? Int ?? 1) + 1
                last["count"] = count
                last["times"] = t.plural("staff.case.history_times", count: count)
                result[result.count - 1] = last
            } else {
                result.append(row)
            }
        }
        return result
    }

    /// The end of a queued request's time to decide (epoch seconds), when its service has one.
    func dueDate(_ item: CaseSummary) -> Double? {
        guard let submitted = item.submittedAt else { return nil }
        return installation.catalog.service(item.serviceID)?.decisionDue(submittedAtEpochSeconds: submitted.timeIntervalSince1970)
    }

    // MARK: - Staff administration

    static let officeRoles: Set<String> = ["caseworker", "supervisor"]

    func peoplePage(_ visit: inout Visit, _ caller: AuthenticatedCaller, errors: [String: String], typed: [String: String]) async throws -> Outcome {
        let t = visit.messages
        let people = try await installation.staffAccounts(caller: caller, access: access(visit))
        let rows = people.map { person -> [String: Any] in
            [
                "login": person.login, "roles": roleName(person.roles.joined(separator: "+"), t),
                "office": person.office ?? t.text("staff.people.no_office"),
                "active": person.status == "active", "status": t.text("staff.people.status_" + (person.status == "active" ? "active" : "disabled")),
                "created": visit.format.date(person.createdAt), "you": person.accountID == caller.accountID,
            ]
        }
        let chosen = Set((typed["roles"] ?? "").split(separator: ",").map(String.init))
        let roles = AccountService.staffRoles.sorted().enumerated().map { index, role -> [String: Any] in
            ["id": index == 0 ? "roles" : "roles-" + role, "value": role, "label": roleName(role, t), "checked": chosen.contains(role)]
        }
        var model: [String: Any] = [
            "rows": rows, "roles": roles, "typed_login": typed["login"] ?? "", "typed_office": typed["office"] ?? "",
            "count_text": t.plural("staff.people.count", count: rows.count),
        ]
        for (name, text) in errors { model[name + "_error"] = text }
        var page = Page(template: "staff_people", title: t.text("staff.people.title"), status: errors.isEmpty ? .ok : .badRequest,
                        model: model, section: "people")
        page.errors = errors.keys.sorted().map { ["href": "#" + $0, "text": errors[$0] ?? ""] }
        if visit.query["done"] == "disabled" { page.notice = t.text("staff.people.done_disabled") }
        return .page(page)
    }

    func addPerson(_ visit: inout Visit, _ caller: AuthenticatedCaller) async throws -> Outcome {
        let t = visit.messages
        let login = (visit.form?["login"] ?? "").trimmingWhitespaceAtEnds
        let office = (visit.form?["office"] ?? "").trimmingWhitespaceAtEnds
        let roles = Set((visit.form?.all("roles") ?? []).filter { AccountService.staffRoles.contains($0) })
        let typed = ["login": login, "office": office, "roles": roles.sorted().joined(separator: ",")]
        var errors: [String: String] = [:]
        if login.isEmpty { errors["login"] = t.text("staff.people.login_missing") }
        if roles.isEmpty { errors["roles"] = t.text("staff.people.roles_missing") }
        if office.isEmpty, !roles.isDisjoint(with: Self.officeRoles) { errors["office"] = t.text("staff.people.office_missing") }
        guard errors.isEmpty else { return try await peoplePage(&visit, caller, errors: errors, typed: typed) }
        let enrolment: AccountService.StaffEnrolment
        do {
            enrolment = try await installation.addStaff(
                login: login, roles: roles, office: office.isEmpty ? nil : office, caller: caller, access: access(visit))
        } catch let error as StrongroomError where error.kind == .invalidInput || error.kind == .conflict {
            let field = error.code == "login_taken" || error.code.contains("login") ? "login" : (error.code == "office_required" ? "office" : "roles")
            let text = error.code == "login_taken" ? t.text("staff.people.login_taken")
                : field == "login" ? t.text("staff.people.login_invalid") : t.text("staff.people.office_missing")
            return try await peoplePage(&visit, caller, errors: [field: text], typed: typed)
        }
        // Shown once, on the answer to the POST itself (never behind a URL), and not cached.
        return .page(Page(template: "staff_enrolment", title: t.text("staff.people.enrolment_title"), model: [
            "login": enrolment.login, "password": enrolment.password, "uri": enrolment.oneTimeCodeURI,
            "secret": enrolment.oneTimeCodeURI.components(separatedBy: "secret=").last?.components(separatedBy: "&").first ?? "",
        ], section: "people"))
    }

    func resetSecondFactor(_ visit: inout Visit, _ caller: AuthenticatedCaller) async throws -> Outcome {
        let t = visit.messages
        let login = (visit.form?["login"] ?? "").trimmingWhitespaceAtEnds
        guard !login.isEmpty else { return try await peoplePage(&visit, caller, errors: ["people": t.text("staff.people.reset_missing")], typed: [:]) }
        let reset: AccountService.SecondFactorReset
        do {
            reset = try await installation.resetStaffSecondFactor(login: login, caller: caller, access: access(visit))
        } catch let error as StrongroomError where error.kind == .notFound || error.kind == .invalidInput {
            let text = error.code == "own_account" ? t.text("staff.people.reset_own") : t.text("staff.people.unknown")
            return try await peoplePage(&visit, caller, errors: ["people": text], typed: [:])
        }
        // Shown once, on the answer to the POST itself (never behind a URL), and not cached.
        return .page(Page(template: "staff_people_reset", title: t.text("staff.people.reset_title"), model: [
            "login": reset.login, "uri": reset.oneTimeCodeURI,
            "secret": reset.oneTimeCodeURI.components(separatedBy: "secret=").last?.components(separatedBy: "&").first ?? "",
        ], section: "people"))
    }

    // MARK: - Search

    /// The fields staff can search by (blind-indexed in some current service), with their label in `language`.
    func searchableFields(_ language: String) -> [(id: String, label: String)] {
        var seen = Set<String>()
        var result: [(id: String, label: String)] = []
        for id in installation.catalog.serviceIDs {
            guard let service = installation.catalog.service(id) else { continue }
            for field in service.fields where field.hasBlindIndex && seen.insert(field.id).inserted {
                result.append((field.id, field.label(in: language)))
            }
        }
        return result
    }

    func searchPage(_ visit: Visit, field: String?, value: String, hits: [SearchHit]?, errors: [String: String]) -> Page {
        let t = visit.messages
        let fields = searchableFields(visit.language)
        let results = (hits ?? []).map { hit -> [String: Any] in
            let service = installation.catalog.service(hit.serviceID)
            let shown = (service?.fields ?? []).compactMap { definition -> [String: Any]? in
                guard let view = hit.record.fields[definition.id] else { return nil }
                return ["label": definition.label(in: visit.language), "value": FieldDisplay.text(view, definition: definition, visit: visit),
                        "masked": view.masked != nil]
            }
            return [
                "href": "/staff/cases/" + hit.id, "reference": Reference.text(hit.id),
                "service": service?.title(in: visit.language) ?? hit.serviceID,
                "status": statusText(hit.status, outcome: nil, t), "tone": statusTone(hit.status, outcome: nil),
                "fields": shown,
            ].merging(hit.submittedAt.map { ["submitted": visit.format.date($0)] } ?? [:]) { first, _ in first }
        }
        var model: [String: Any] = [
            "fields": fields.enumerated().map { index, item -> [String: Any] in
                ["id": index == 0 ? "field" : "field-" + item.id, "value": item.id, "label": item.label,
                 "checked": item.id == field || (field == nil && index == 0)]
            },
            "value": value, "searched": hits != nil, "results": results, "none": hits?.isEmpty == true,
            "count_text": t.plural("staff.search.count", count: results.count),
        ]
        for (name, text) in errors { model[name + "_error"] = text }
        var page = Page(template: "staff_search", title: t.text("staff.search.title"), status: errors.isEmpty ? .ok : .badRequest,
                        model: model, section: "search")
        page.errors = errors.keys.sorted().map { ["href": "#" + $0, "text": errors[$0] ?? ""] }
        return page
    }

    // MARK: - Break-glass

    /// Whether a break-glass rule names one of the caller's roles.
    func mayBreakGlass(_ caller: AuthenticatedCaller) -> Bool {
        installation.policies.current.rules.contains { rule in
            rule.effect == .permit && rule.breakGlassLimit != nil && (rule.roles.map { !$0.isDisjoint(with: caller.roles) } ?? true)
        }
    }

    /// The shortest time limit among the break-glass rules that name one of the caller's roles (what a grant they
    /// open lasts at most), in whole minutes.
    func breakGlassMinutes(_ caller: AuthenticatedCaller) -> Int? {
        installation.policies.current.rules.compactMap { rule -> Duration? in
            guard rule.effect == .permit, rule.roles.map({ !$0.isDisjoint(with: caller.roles) }) ?? true else { return nil }
            return rule.breakGlassLimit
        }.min().map { Int($0.components.seconds / 60) }
    }

    func breakGlassPage(_ visit: Visit, id: String, error: String?, typed: String) -> Page {
        let t = visit.messages
        let limit = visit.session.flatMap { breakGlassMinutes($0.caller) }.map { minutes in
            minutes % 60 == 0 ? t.plural("staff.break_glass.limit_hours", count: minutes / 60) : t.plural("staff.break_glass.limit_minutes", count: minutes)
        }
        var page = Page(template: "staff_break_glass", title: t.text("staff.break_glass.title"), status: error == nil ? .notFound : .badRequest, model: [
            "reference": Reference.text(id), "action": "/staff/cases/\(id)/break-glass", "typed": typed,
            "limit": limit ?? t.text("staff.break_glass.limit_unknown"),
            "minimum": t.text("staff.break_glass.hint", ["count": String(AccessContext.minimumJustificationCharacters)]),
        ], section: "staff")
        if let error {
            page.model["justification_error"] = error
            page.errors = [["href": "#justification", "text": error]]
        }
        return page
    }

    func breakGlassReviewPage(_ visit: inout Visit, _ caller: AuthenticatedCaller, error: (UInt64, String)?) async throws -> Outcome {
        let t = visit.messages
        let all = visit.query["all"] == "1"
        let items = try await installation.records.breakGlassAccesses(includeReviewed: all, caller: caller, access: access(visit))
        let rows = items.reversed().map { item -> [String: Any] in
            var row: [String: Any] = [
                "seq": String(item.auditSeq), "when": visit.format.dateTime(item.time), "iso": visit.format.isoDateTime(item.time),
                "role": item.role, "office": item.office ?? "", "action": item.action,
                "record": item.recordID.map { item.collection == "requests" ? Reference.text($0) : $0 } ?? "",
                "fields": item.fields.isEmpty ? t.text("access.no_fields") : item.fields.joined(separator: ", "),
                "justification": item.grant?.justification ?? t.text("staff.review.justification_gone"),
                "review_action": "/staff/break-glass/\(item.auditSeq)/review",
                "reviewed": item.review != nil,
                "finding": item.review.map { t.text("staff.review.finding_" + $0.finding) } ?? "",
                "options": BreakGlassFinding.allCases.map { finding in
                    ["id": "finding-\(item.auditSeq)-\(finding.rawValue)", "value": finding.rawValue, "label": t.text("staff.review.finding_" + finding.rawValue)]
                },
            ]
            if let error, error.0 == item.auditSeq { row["finding_error"] = error.1 }
            return row
        }
        var page = Page(template: "staff_break_glass_review", title: t.text("staff.review.title"), status: error == nil ? .ok : .badRequest, model: [
            "rows": rows, "none": rows.isEmpty, "all": all,
        ], section: "review")
        if let error { page.errors = [["href": "#finding-\(error.0)-justified", "text": error.1]] }
        if visit.query["done"] == "reviewed" { page.notice = t.text("staff.review.done") }
        return .page(page)
    }

    // MARK: - A case

    /// - Parameter revealed: a field the caller just asked to see in full (its own audited access), shown in place of
    ///   the masked value on this answer only (a POST's answer, never stored, never in a URL).
    func casePage(
        _ visit: inout Visit, _ caller: AuthenticatedCaller, errors: [String: String], typed: [String: String],
        revealed: [String: String] = [:]
    ) async throws -> Outcome {
        let t = visit.messages
        let id = try requestID(visit)
        let view: RequestView
        do {
            view = try await installation.records.request(id, caller: caller, access: access(visit))
        } catch let error as StrongroomError where error.kind == .notFound && mayBreakGlass(caller) {
            // Not open to this purpose (sealed, another office) or not there at all: the same page either way, with
            // the emergency access a rule gives this person's roles.
            return .page(breakGlassPage(visit, id: id, error: nil, typed: ""))
        }
        let service = installation.catalog.service(view.serviceID)
        let messages = (try? await installation.records.messages(id, caller: caller, access: access(visit))) ?? []
        let definitions = service?.fields(at: view.serviceVersion) ?? []
        let answers = definitions.map { definition -> [String: Any] in
            let field = revealed[definition.id].map(FieldView.revealed) ?? view.record.fields[definition.id]
            let withheld = field == nil && view.record.omitted.contains(definition.id)
            return [
                "label": definition.label(in: visit.language), "field": definition.id,
                "value": field.map { FieldDisplay.text($0, definition: definition, visit: visit) } ?? "",
                "masked": field?.masked != nil, "withheld": withheld, "empty": field == nil && !withheld,
                "revealed": revealed[definition.id] != nil,
                "can_reveal": field?.masked != nil && view.revealable.contains(definition.id),
            ]
        }
        let history = Self.collapsed(((try? await installation.records.caseTimeline(id, caller: caller, access: access(visit))) ?? []).map { event -> [String: Any] in
            let who: String
            switch event.actorKind {
            case "citizen": who = t.text("staff.case.history_citizen")
            case "payment-provider": who = t.text("access.who_payments")
            case "system": who = t.text("access.who_system")
            default:
                who = event.byCaller ? t.text("staff.case.history_you")
                    : t.text("access.who_staff", ["role": roleName(event.role, t), "office": event.office ?? t.text("access.no_office")])
            }
            return [
                "when": visit.format.dateTime(event.time), "iso": visit.format.isoDateTime(event.time), "who": who,
                "what": actionName(event.action, t), "refused": !event.allowed, "break_glass": event.breakGlass,
                "data": event.fields.isEmpty ? t.text("access.no_fields") : event.fields.map { $0 == "body" ? t.text("staff.case.history_body") : fieldName($0, t) }.joined(separator: ", "),
                "purpose": event.purpose.map { staffPurposeName($0, t) } ?? t.text("access.no_purpose"),
                "action": event.action,
            ]
        }, t)
        let notes = messages.filter { $0.kind == MessageKind.note.rawValue }.map { note -> [String: Any] in
            [
                "author": note.mine ? t.text("staff.case.you") : t.text("staff.case.colleague_role", ["role": note.authorRole]),
                "when": visit.format.dateTime(note.createdAt), "iso": visit.format.isoDateTime(note.createdAt),
                "body": note.body ?? t.text("messages.unreadable"), "mine": note.mine,
            ]
        }
        let conversation = messages.filter { $0.kind != MessageKind.note.rawValue }.map { message -> [String: Any] in
            [
                "author": message.mine ? t.text("staff.case.you") : (message.authorRole == "citizen" ? t.text("staff.case.citizen") : t.text("messages.agency")),
                "when": visit.format.dateTime(message.createdAt), "iso": visit.format.isoDateTime(message.createdAt),
                "body": message.body ?? t.text("messages.unreadable"), "is_info_request": message.kind == "info-request",
                "mine": message.mine,
            ]
        }
        let open = ["submitted", "in-review", "info-requested"].contains(view.status)
        let mine = view.assigneeID == caller.accountID
        // Who the case can go to, for those whose rules let them assign it (the listing is itself gated and audited).
        var assignees: [RecordService.Assignee] = []
        if open && rolesMay(caller, "assign") {
            assignees = (try? await installation.records.assignees(for: id, caller: caller, access: access(visit))) ?? []
        }
        let assigneeName = view.assigneeID.flatMap { assigned in assignees.first { $0.accountID == assigned }?.login }
        var model: [String: Any] = [
            "title": service?.title(in: visit.language) ?? view.serviceID,
            "reference": Reference.text(view.id),
            "status": statusText(view.status, outcome: view.outcome, t), "tone": statusTone(view.status, outcome: view.outcome),
            "assignee": view.assigneeID == nil ? t.text("staff.queue.nobody")
                : (mine ? t.text("staff.queue.me") : assigneeName ?? t.text("staff.queue.colleague")),
            "can_assign": !assignees.isEmpty, "assign_action": "/staff/cases/\(id)/assign",
            "assignees": assignees.map { person -> [String: Any] in
                ["id": person.accountID, "login": person.login, "selected": person.accountID == view.assigneeID,
                 "you": person.accountID == caller.accountID]
            },
            "submitted": view.submittedAt.map { visit.format.dateTime($0) } ?? "",
            "answers": answers, "has_revealable": !view.revealable.isEmpty,
            "messages": conversation, "has_messages": !conversation.isEmpty,
            "history": history, "has_history": !history.isEmpty,
            "notes": notes, "has_notes": !notes.isEmpty, "note_action": "/staff/cases/\(id)/notes", "typed_note": typed["note"] ?? "",
            "can_claim": open && view.assigneeID == nil,
            "can_act": open && mine && view.status != "info-requested",
            "can_message": open,
            "can_release": mine && view.status == "in-review", "release_action": "/staff/cases/\(id)/release",
            "can_close": view.status == "decided" && (mine || rolesMay(caller, "assign")), "close_action": "/staff/cases/\(id)/close",
            "claim_action": "/staff/cases/\(id)/claim", "info_action": "/staff/cases/\(id)/request-info",
            "reveal_action": "/staff/cases/\(id)/reveal",
            "decision_action": "/staff/cases/\(id)/decision", "message_action": "/staff/cases/\(id)/messages",
            "typed_question": typed["question"] ?? "", "typed_reason": typed["reason"] ?? "", "typed_message": typed["message"] ?? "",
            "reason_groups": DecisionReasonCode.Outcome.allCases.compactMap { outcome -> [String: Any]? in
                let reasons = service?.decisionReasons(for: outcome) ?? []
                guard !reasons.isEmpty else { return nil }
                return [
                    "label": t.text(outcome == .approve ? "staff.case.approve" : "staff.case.reject"),
                    "options": reasons.map { reason -> [String: Any] in
                        ["value": reason.id, "label": reason.text(in: visit.language), "selected": reason.id == typed["reason_code"]]
                    },
                ]
            },
            "has_reason_codes": !(service?.decisionReasons.isEmpty ?? true),
        ]
        if let rule = view.decidedByRule, view.status != "decided" { model["referred_by"] = rule }
        if let paymentStatus = view.paymentStatus { model["fee"] = t.text("payment.status_" + paymentStatus) }
        if view.status == "decided" || (view.status == "closed" && view.outcome != nil) {
            model["decision"] = view.outcome == "approved" ? t.text("request.approved") : t.text("request.rejected")
            model["reason"] = view.decisionReason ?? ""
            if let code = view.decisionReasonCode { model["reason_code_text"] = service?.decisionReason(code)?.text(in: visit.language) ?? code }
        }
        for (field, text) in errors { model[field + "_error"] = text }
        var page = Page(template: "staff_case", title: service?.title(in: visit.language) ?? t.text("staff.case.title"),
                        status: errors.isEmpty ? .ok : .badRequest, model: model, section: "staff")
        page.errors = errors.keys.sorted().map { ["href": "#" + $0, "text": errors[$0] ?? ""] }
        if let done = visit.query["done"], ["claimed", "assigned", "asked", "decided", "sent", "noted", "opened", "closed", "released"].contains(done) { page.notice = t.text("staff.case.done_" + done) }
        return .page(page)
    }
}

import Catalog
import HTTPTypes
import Hummingbird
import Strongroom
import StrongroomAPI

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Sign up, sign in, sign out, staying signed in, and the profile.
extension Portal {
    func registerAccountPages(on router: Router<StrongroomRequestContext>) {
        page(router, "/sign-in") { visit in
            // The session-timeout script sends every page here; staff pages have their own sign-in.
            if let back = PortalSecurity.localPath(visit.query["return"]), back.hasPrefix("/staff") {
                return .redirect("/staff/sign-in?" + (visit.request.uri.query ?? ""))
            }
            if visit.session != nil { return .redirect(PortalSecurity.localPath(visit.query["return"]) ?? "/requests") }
            return .page(signInPage(visit, login: "", errors: [], expired: visit.query["expired"] == "1"))
        }
        action(router, "/sign-in", signedIn: false) { visit in try await signIn(&visit) }
        page(router, "/sign-up") { visit in
            if visit.session != nil { return .redirect("/requests") }
            return .page(signUpPage(visit, login: "", errors: []))
        }
        action(router, "/sign-up", signedIn: false) { visit in try await signUp(&visit) }
        page(router, "/signed-up") { visit in
            let login = visit.query["login"] ?? ""
            return .page(Page(template: "signed_up", title: visit.messages.text("sign_up.done_title"), model: [
                "sign_in_href": "/sign-in" + (login.isEmpty ? "" : "?login=" + FormBody.encode(login)),
            ]))
        }
        action(router, "/sign-out", signedIn: false) { visit in
            if let session = visit.session {
                try? await installation.accounts.logOut(token: session.token, context: access(visit))
            }
            visit.signOut()
            return .redirect("/signed-out")
        }
        page(router, "/signed-out") { visit in
            .page(Page(template: "signed_out", title: visit.messages.text("sign_out.title")))
        }
        action(router, "/session/extend") { visit in
            // Authenticating the session (done for this request already) records the use, which restarts the idle
            // time; nothing else changes.
            .redirect((PortalSecurity.localPath(visit.form?["return"]) ?? "/") + "")
        }
        page(router, "/profile", signedIn: true) { visit in try await profilePage(&visit) }
        page(router, "/profile/edit", signedIn: true) { visit in try await profileEditPage(&visit, typed: nil, errors: []) }
        action(router, "/profile/edit") { visit in try await saveProfile(&visit) }
    }

    // MARK: - Sign in

    func signInPage(
        _ visit: Visit, login: String, errors: [[String: String]], expired: Bool, carrying: (path: String, pairs: [(name: String, value: String)])? = nil
    ) -> Page {
        let t = visit.messages
        // Answers carried through sign-in: from the expired form, or from the sign-in form that carried them before.
        var resume = carrying?.path
        var carried = carrying?.pairs ?? []
        if resume == nil, let form = visit.form, let path = PortalSecurity.localPath(form["resume"]), path.hasPrefix("/requests/") {
            resume = path
            carried = form.pairs.filter { $0.name.hasPrefix("f.") }
        }
        var page = Page(template: "sign_in", title: t.text("sign_in.title"), status: errors.isEmpty ? .ok : .badRequest, model: [
            "login": login.isEmpty ? (visit.query["login"] ?? "") : login,
            "return": resume ?? PortalSecurity.localPath(visit.query["return"] ?? visit.form?["return"]) ?? "",
            "resume": resume ?? "",
            "carried": carried.map { ["name": $0.name, "value": $0.value] },
            "carrying": !carried.isEmpty,
        ])
        if expired { page.notice = t.text("sign_in.expired") }
        page.errors = errors
        if let error = errors.first { page.model["error"] = error["text"] }
        return page
    }

    func signIn(_ visit: inout Visit) async throws -> Outcome {
        let t = visit.messages
        let login = (visit.form?["login"] ?? "").trimmingWhitespaceAtEnds
        // Form text: this String is the password's only copy here (no arrays, no logs); the account service copies it
        // once into guarded memory for Argon2id (SECURITY.md, "Passwords ... in memory").
        let password = visit.form?["password"] ?? ""
        let code = visit.form?["code"].flatMap { $0.isEmpty ? nil : $0 }
        guard !login.isEmpty, !password.isEmpty else {
            var errors: [[String: String]] = []
            if login.isEmpty { errors.append(["href": "#login", "text": t.text("sign_in.login_missing")]) }
            if password.isEmpty { errors.append(["href": "#password", "text": t.text("sign_in.password_missing")]) }
            return .page(signInPage(visit, login: login, errors: errors, expired: false))
        }
        do {
            let session = try await installation.accounts.logIn(
                login: login, password: password, oneTimeCode: code, address: clientAddress(visit), context: access(visit))
            // These are the citizens' pages; a staff account's session is ended at once (the staff pages are their own).
            guard session.caller.kind == .citizen else {
                try? await installation.accounts.logOut(token: session.token, context: access(visit))
                return .page(signInPage(visit, login: login, errors: [["href": "#login", "text": t.text("sign_in.staff_account")]], expired: false))
            }
            // A new session id at every sign-in (the old cookie, if any, is replaced).
            visit.signIn(token: session.token, caller: session.caller)
            // The language in the profile comes before the one this browser remembers (it is the person's choice
            // wherever they sign in); a switch on any page still changes it from then on.
            if let preferred = try? await installation.records.profile(of: session.caller.accountID, caller: session.caller, access: access(visit))
                .fields["language"]?.value, renderer.bundles[preferred] != nil {
                visit.remember(language: preferred)
            }
            if let resumed = await saveCarriedAnswers(&visit) { return .redirect(resumed) }
            return .redirect(PortalSecurity.localPath(visit.form?["return"]) ?? "/requests")
        } catch let error as StrongroomError where error.kind == .unauthenticated {
            // The same words whether the login exists or the password is wrong.
            return .page(signInPage(visit, login: login, errors: [["href": "#login", "text": t.text("sign_in.bad_credentials")]], expired: false))
        } catch let error as StrongroomError where error.kind == .tooManyRequests {
            // How long to wait, in words (the same for every login: the wait never tells whether one exists).
            var page = signInPage(
                visit, login: login, errors: [["href": "#login", "text": waitText(error.retryAfterSeconds, t, prefix: "sign_in")]], expired: false)
            page.status = .tooManyRequests
            page.retryAfterSeconds = error.retryAfterSeconds
            return .page(page)
        }
    }

    /// "Wait 40 seconds" / "Wait 2 minutes", from the `wait_seconds` / `wait_minutes` messages under `prefix`; the
    /// general words when no wait is known.
    func waitText(_ seconds: Int?, _ t: MessageBundle, prefix: String) -> String {
        guard let seconds else { return t.text("errors.throttled_body") }
        if seconds < 60 { return t.plural(prefix + ".wait_seconds", count: max(1, seconds)) }
        return t.plural(prefix + ".wait_minutes", count: (seconds + 59) / 60)
    }

    /// Saves the answers a sign-in form carried from a form page whose session had ended, as the person now signed
    /// in (the service refuses them when the request is not theirs), and returns that page to go back to.
    func saveCarriedAnswers(_ visit: inout Visit) async -> String? {
        guard let form = visit.form, let path = PortalSecurity.localPath(form["resume"]) else { return nil }
        let parts = path.split(separator: "/")
        guard parts.count == 4, parts[0] == "requests", parts[2] == "step", let step = Int(parts[3]), let caller = visit.session?.caller
        else { return nil }
        let id = String(parts[1])
        guard let view = try? await installation.records.request(id, caller: caller, access: access(visit)),
            let service = installation.catalog.service(view.serviceID), Self.isEditable(view.status)
        else { return "/requests" }
        let pages = service.pages(at: view.serviceVersion)
        guard (1...pages.count).contains(step) else { return "/requests/" + id }
        var values = FormControls.inputs(from: form, definitions: pages[step - 1], removeEmpty: true)
        values = values.filter { $0.value != .null || view.record.fields[$0.key] != nil }
        if !values.isEmpty {
            // Answers that do not pass validation are shown again on the step page as stored, with nothing lost
            // that was valid before; the person sees the page and can type them again.
            _ = try? await installation.records.updateRequest(id, values: values, caller: caller, access: access(visit))
        }
        return path + "?saved=1"
    }

    // MARK: - Sign up

    func signUpPage(_ visit: Visit, login: String, errors: [[String: String]]) -> Page {
        var page = Page(template: "sign_up", title: visit.messages.text("sign_up.title"), status: errors.isEmpty ? .ok : .badRequest, model: [
            "login": login,
        ])
        page.errors = errors
        for error in errors {
            if error["href"] == "#login" { page.model["login_error"] = error["text"] }
            if error["href"] == "#password" { page.model["password_error"] = error["text"] }
            if error["href"] == "#password-confirm" { page.model["confirm_error"] = error["text"] }
        }
        return page
    }

    func signUp(_ visit: inout Visit) async throws -> Outcome {
        let t = visit.messages
        let login = (visit.form?["login"] ?? "").trimmingWhitespaceAtEnds
        // Form text: this String is the password's only copy here (no arrays, no logs); the account service copies it
        // once into guarded memory for Argon2id (SECURITY.md, "Passwords ... in memory").
        let password = visit.form?["password"] ?? ""
        let confirm = visit.form?["password_confirm"] ?? ""
        var errors: [[String: String]] = []
        if login.isEmpty { errors.append(["href": "#login", "text": t.text("sign_up.login_missing")]) }
        if password.isEmpty {
            errors.append(["href": "#password", "text": t.text("sign_up.password_missing")])
        } else if password != confirm {
            errors.append(["href": "#password-confirm", "text": t.text("sign_up.password_mismatch")])
        }
        guard errors.isEmpty else { return .page(signUpPage(visit, login: login, errors: errors)) }
        do {
            try await installation.accounts.signUp(login: login, password: password, address: clientAddress(visit), context: access(visit))
        } catch let error as StrongroomError where error.kind == .invalidInput {
            let text = switch error.code {
            case "weak_password": t.text("sign_up.weak_password")
            case "invalid_login": t.text("sign_up.invalid_login")
            default: t.text("sign_up.invalid")
            }
            let href = error.code == "weak_password" ? "#password" : "#login"
            return .page(signUpPage(visit, login: login, errors: [["href": href, "text": text]]))
        }
        // The same page whether the login was free or taken: sign-up never tells who has an account.
        return .redirect("/signed-up?login=" + FormBody.encode(login))
    }

    func clientAddress(_ visit: Visit) -> String {
        visit.context.resolvedClientAddress(visit.request, using: installation.clientAddress)
    }

    // MARK: - Profile

    func profilePage(_ visit: inout Visit) async throws -> Outcome {
        let caller = try visit.caller
        let view = try await installation.records.profile(of: caller.accountID, caller: caller, access: access(visit))
        var rows = ProfileForm.fields.compactMap { definition -> [String: Any]? in
            let display = view.fields[definition.id].map { FieldDisplay.text($0, definition: definition, visit: visit) }
            return [
                "label": ProfileForm.label(definition, visit.messages), "value": display ?? "",
                "empty": display == nil, "empty_text": visit.messages.text("profile.not_given"),
            ]
        }
        let language = view.fields["language"]?.value.flatMap { renderer.bundles[$0]?.name }
        rows.append([
            "label": visit.messages.text("profile.fields.language"), "value": language ?? "",
            "empty": language == nil, "empty_text": visit.messages.text("profile.not_given"),
        ])
        var page = Page(template: "profile", title: visit.messages.text("profile.title"), model: ["rows": rows], section: "profile")
        if visit.query["saved"] == "1" { page.notice = visit.messages.text("profile.saved") }
        return .page(page)
    }

    func profileEditPage(_ visit: inout Visit, typed: FormBody?, errors: [StrongroomError.FieldProblem]) async throws -> Outcome {
        let caller = try visit.caller
        var stored: [String: FieldView] = [:]
        if typed == nil {
            stored = try await installation.records.profile(of: caller.accountID, caller: caller, access: access(visit)).fields
        }
        let definitions = ProfileForm.fields + [ProfileForm.language(renderer)]
        let problems = FieldErrors(errors, definitions: definitions, visit: visit, page: nil)
        let controls = definitions.map { definition in
            FormControls.model(
                for: definition, label: ProfileForm.label(definition, visit.messages), stored: stored[definition.id], typed: typed,
                error: problems.message(for: definition.id), partErrors: problems.partMessages(for: definition.id), visit: visit,
                autocomplete: ProfileForm.autocomplete[definition.id])
        }
        var page = Page(
            template: "profile_edit", title: visit.messages.text("profile.edit_title"), status: errors.isEmpty ? .ok : .badRequest,
            model: ["fields": controls.map { ["control_html": FieldHTML.render($0)] }], section: "profile")
        page.errors = problems.summary
        return .page(page)
    }

    func saveProfile(_ visit: inout Visit) async throws -> Outcome {
        let caller = try visit.caller
        guard let form = visit.form else { throw PortalFailure.badForm }
        var values = FormControls.inputs(from: form, definitions: ProfileForm.fields, removeEmpty: true)
        // The language: one the agency offers, or none (then the browser's choice applies).
        let chosen = (form[FormControls.name("language")] ?? "").trimmingWhitespaceAtEnds
        if chosen.isEmpty {
            values["language"] = .null
        } else if renderer.bundles[chosen] != nil {
            values["language"] = .string(chosen)
        } else {
            return try await profileEditPage(&visit, typed: form, errors: [
                StrongroomError.FieldProblem(field: "language", code: "not_an_allowed_choice", message: "choose one of the languages offered"),
            ])
        }
        do {
            _ = try await installation.records.updateProfile(values, caller: caller, access: access(visit))
        } catch let error as StrongroomError where error.kind == .invalidInput && !error.fields.isEmpty {
            return try await profileEditPage(&visit, typed: form, errors: error.fields)
        }
        if !chosen.isEmpty { visit.remember(language: chosen) }
        return .redirect("/profile?saved=1")
    }
}

/// The profile's fields as the portal asks for them: family name and given names apart (so that Hungarian order,
/// family name first, and English order both come out right), then contact details and the postal address.
enum ProfileForm {
    static var fields: [FieldDefinition] {
        ["family_name", "given_names", "email", "phone", "postal_address", "date_of_birth", "national_id"].compactMap {
            ProfileSchema.service.field($0)
        }
    }

    /// The preferred language as a choice between the languages the portal offers, each named in itself
    /// ("Magyar", "English"), with its label in every language.
    static func language(_ renderer: PageRenderer) -> FieldDefinition {
        var constraints = FieldConstraints()
        constraints.options = renderer.languages.map { code in
            let name = renderer.bundles[code]?.name ?? code
            return ChoiceOption(value: code, label: LocalizedText(name))
        }
        var labels: [String: String] = [:]
        for (code, bundle) in renderer.bundles { labels[code] = bundle.text("profile.fields.language") }
        let label = LocalizedText(labels[renderer.defaultLanguage] ?? "Preferred language", translations: labels)
        return FieldDefinition(
            id: "language", label: label, help: nil, page: nil, type: .choice, required: false, sensitivity: .personal, constraints: constraints)
    }

    static let autocomplete = [
        "family_name": "family-name", "given_names": "given-name", "email": "email", "phone": "tel", "postal_address": "address",
        "date_of_birth": "bday",
    ]

    static func label(_ definition: FieldDefinition, _ messages: MessageBundle) -> String {
        let key = "profile.fields." + definition.id
        let text = messages.text(key)
        return text == key ? definition.label : text
    }
}

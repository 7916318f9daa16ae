import HTTPTypes
import Hummingbird
import Strongroom
import StrongroomAPI

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One request through the portal: who is signed in, in which language, and the cookies the answer sets.
struct Visit {
    struct SignedIn {
        let token: String
        let caller: AuthenticatedCaller
    }

    let request: Request
    let context: StrongroomRequestContext
    let language: String
    let messages: MessageBundle
    let format: LocaleFormat
    /// The query string's values.
    let query: FormBody
    var session: SignedIn?
    /// The anonymous CSRF value (from its cookie, or new).
    private(set) var anonymousToken: String
    var setCookies: [String] = []
    /// The submitted form of a POST, once its CSRF token was checked.
    var form: FormBody?
    /// The idle limit of the signed-in account, for the timeout warning.
    let idleSeconds: Int

    /// The purpose of use a staff member chose for this task (staff pages only; read from its cookie and checked
    /// against the policies for the caller's roles).
    var staffPurpose: String?
    /// The staff screens the policies give this person's roles (`queue`, `review-break-glass`), for the navigation.
    var staffScreens: Set<String> = []
    /// The staff caller's break-glass grants still in force (the banner on every page while one lasts).
    var breakGlassGrants: [OpenBreakGlassGrant] = []

    /// When the request came, by the installation's clock (the session's end shown on the page counts from it).
    let now: Date

    init(request: Request, context: StrongroomRequestContext, portal: Portal) async {
        self.now = portal.installation.clock.now
        self.request = request
        self.context = context
        let query = FormBody(encoded: request.uri.query ?? "") ?? FormBody(pairs: [])
        self.query = query
        let cookies = request.cookies
        var setCookies: [String] = []

        // Language: an explicit switch (`?lang=`), then the cookie it set, then the browser's preference.
        let renderer = portal.renderer
        var language = renderer.defaultLanguage
        if let asked = query["lang"], renderer.bundles[asked] != nil {
            language = asked
            setCookies.append(PortalSecurity.cookie(PortalSecurity.languageCookie, asked, maxAge: 365 * 86_400))
        } else if let saved = cookies[PortalSecurity.languageCookie]?.value, renderer.bundles[saved] != nil {
            language = saved
        } else if let accepted = request.headers[.acceptLanguage] {
            language = Self.negotiate(accepted, available: renderer.languages) ?? language
        }
        self.language = language
        self.messages = renderer.bundles[language] ?? renderer.bundles[renderer.defaultLanguage]!
        self.format = LocaleFormat(language: language, timeZone: renderer.timeZone)

        // Session: the cookie holds the same token the API takes as a bearer token.
        var session: SignedIn?
        var idle = Int(portal.installation.configuration.sessionIdleSeconds)
        if let token = cookies[PortalSecurity.sessionCookie]?.value, !token.isEmpty {
            if let caller = try? await portal.installation.accounts.authenticate(token: token) {
                session = SignedIn(token: token, caller: caller)
                if caller.kind == .staff { idle = Int(portal.installation.configuration.staffSessionIdleSeconds) }
            } else {
                setCookies.append(PortalSecurity.expiredCookie(PortalSecurity.sessionCookie))
            }
        }
        self.session = session
        self.idleSeconds = idle

        if let existing = cookies[PortalSecurity.csrfCookie]?.value, existing.utf8.count == 64,
            existing.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) })
        {
            anonymousToken = existing
        } else {
            anonymousToken = PortalSecurity.newAnonymousToken()
            setCookies.append(PortalSecurity.cookie(PortalSecurity.csrfCookie, anonymousToken))
        }
        self.setCookies = setCookies
    }

    /// The token this visit's forms must carry: the session's, or the anonymous one before sign-in.
    var csrfToken: String { session.map { PortalSecurity.csrfToken(forSession: $0.token) } ?? anonymousToken }

    /// The signed-in caller (handlers registered with `signedIn: true` always have one).
    var caller: AuthenticatedCaller {
        get throws {
            guard let session else { throw PortalFailure.signInNeeded }
            return session.caller
        }
    }

    /// The path of this page, to come back to after signing in (GET pages), or the page a form was on (POST).
    var returnPathAfterSignIn: String? {
        if request.method == .get { return PortalSecurity.localPath(request.uri.path) }
        return PortalSecurity.localPath(form?["return"] ?? request.uri.path)
    }

    /// The current path with `lang` set to `code`, for the language switch.
    func path(withLanguage code: String) -> String {
        var pairs = query.pairs.filter { $0.name != "lang" }
        pairs.append(("lang", code))
        return request.uri.path + "?" + pairs.map { FormBody.encode($0.name) + "=" + FormBody.encode($0.value) }.joined(separator: "&")
    }

    mutating func signIn(token: String, caller: AuthenticatedCaller) {
        session = SignedIn(token: token, caller: caller)
        setCookies.append(PortalSecurity.cookie(PortalSecurity.sessionCookie, token))
    }

    /// Keeps `code` as this browser's language from the next page on (after a sign-in or a saved profile).
    mutating func remember(language code: String) {
        setCookies.append(PortalSecurity.cookie(PortalSecurity.languageCookie, code, maxAge: 365 * 86_400))
    }

    mutating func signOut() {
        session = nil
        setCookies.append(PortalSecurity.expiredCookie(PortalSecurity.sessionCookie))
    }

    /// The best of `available` for an `Accept-Language` header, by quality then order.
    static func negotiate(_ header: String, available: [String]) -> String? {
        var best: (language: String, quality: Double)?
        for item in header.split(separator: ",").prefix(20) {
            let parts = item.split(separator: ";")
            let tag = parts[0].trimmingCharacters(in: .whitespaces).lowercased()
            let primary = String(tag.split(separator: "-").first ?? "")
            var quality = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.trimmingCharacters(in: .whitespaces)
                if pair.hasPrefix("q="), let q = Double(pair.dropFirst(2)) { quality = q }
            }
            guard quality > 0, available.contains(primary) else { continue }
            if best == nil || quality > best!.quality { best = (primary, quality) }
        }
        return best?.language
    }
}

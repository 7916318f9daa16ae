import Catalog
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Strongroom
import StrongroomAPI
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The citizen web portal: server-rendered pages over the same feature services as the JSON API.
///
/// Every page handler reads the session cookie, calls one service method (which gates, seals or opens, and
/// audits, exactly as for the API) and renders a template. No page reads storage itself.
public struct Portal: Sendable {
    let installation: Installation
    let renderer: PageRenderer
    /// Whether the portal is reached over TLS (adds HSTS). Cookies are `Secure` either way: browsers keep `Secure`
    /// cookies for `http://127.0.0.1` and `localhost`, and nothing else should serve the portal without TLS.
    let tls: Bool
    /// The paths registered as pages and as form actions, so that an action's address reopened with GET (a reload, a
    /// restored tab) gets the portal's own page rather than the router's bare 404.
    let registered = RegisteredPaths()

    /// Loads templates, message files and the stylesheet.
    /// - Parameter tls: the portal's public address is `https` (HSTS is sent).
    public init(installation: Installation, tls: Bool = false) async throws {
        self.installation = installation
        self.renderer = try await PageRenderer(branding: installation.catalog.branding, catalogDirectory: installation.configuration.catalogDirectory)
        self.tls = tls
    }

    /// The registration to pass to `buildRouter` / `buildApplication`.
    public var routes: RouteRegistration { { router in register(on: router) } }

    public func register(on router: Router<StrongroomRequestContext>) {
        registerAssets(on: router)
        registerAccountPages(on: router)
        registerServicePages(on: router)
        registerRequestPages(on: router)
        registerPrivacyPages(on: router)
        registerStaffPages(on: router)
        registerStaffKeyPages(on: router)
        // A form's address without a page of its own, reopened with GET: the portal's "page not found", with its
        // headers (the router would otherwise answer the API's JSON 404, as the path exists for POST only).
        for path in registered.actionsWithoutPages {
            router.get(RouterPath(stringLiteral: path)) { request, context in
                await handle(request, context, signedIn: false, isPost: false) { visit in notFound(visit) }
            }
        }
        // Any other address a browser asks for gets the portal's own "page not found" (the API keeps its JSON 404).
        router.get("**") { request, context in
            if request.uri.path.hasPrefix("/v1/") || request.uri.path == "/v1" { throw HTTPError(.notFound) }
            return await handle(request, context, signedIn: false, isPost: false) { visit in notFound(visit) }
        }
    }

    // MARK: - The pipeline every page goes through

    /// A GET page. `signedIn`: a visitor without a session is sent to sign in and brought back afterwards.
    func page(
        _ router: Router<StrongroomRequestContext>, _ path: RouterPath, signedIn: Bool = false,
        _ body: @escaping @Sendable (inout Visit) async throws -> Outcome
    ) {
        registered.note(page: path.description)
        router.get(path) { request, context in
            await handle(request, context, signedIn: signedIn, isPost: false, body)
        }
    }

    /// A state-changing form POST: refused with 403 when cross-site or without the right CSRF token.
    func action(
        _ router: Router<StrongroomRequestContext>, _ path: RouterPath, signedIn: Bool = true,
        _ body: @escaping @Sendable (inout Visit) async throws -> Outcome
    ) {
        registered.note(action: path.description)
        router.post(path) { request, context in
            await handle(request, context, signedIn: signedIn, isPost: true, body)
        }
    }

    func handle(
        _ request: Request, _ context: StrongroomRequestContext, signedIn: Bool, isPost: Bool,
        _ body: @Sendable (inout Visit) async throws -> Outcome
    ) async -> Response {
        var visit = await Visit(request: request, context: context, portal: self)
        var outcome: Outcome
        do {
            if isPost, PortalSecurity.isCrossSite(request) { throw PortalFailure.crossSite }
            if signedIn, visit.session == nil {
                if isPost, let carried = await answersToCarry(request, context) {
                    // The session ended while the person was typing: the answers go back to their own browser inside
                    // the sign-in form and are saved once they are signed in again.
                    return finish(.page(signInPage(visit, login: "", errors: [], expired: true, carrying: carried)), visit: visit)
                }
                throw PortalFailure.signInNeeded
            }
            // The citizen's signed-in pages are not for staff accounts: they have their own.
            if signedIn, visit.session?.caller.kind == .staff { return finish(.redirect("/staff"), visit: visit) }
            if isPost {
                visit.form = try await Self.readForm(request, context: context)
                guard PortalSecurity.tokensMatch(visit.form?[PortalSecurity.csrfField], visit.csrfToken) else {
                    throw PortalFailure.badToken
                }
            }
            outcome = try await body(&visit)
        } catch {
            outcome = failure(error, visit: &visit, isPost: isPost)
        }
        return finish(outcome, visit: visit)
    }

    /// The answers of a form page sent after its session ended, when they can be trusted to be the person's own: the
    /// form carries the CSRF token of the session its cookie still names (so it came from this site's page, not
    /// another site's), and it is a step of a service form. `nil` otherwise.
    func answersToCarry(_ request: Request, _ context: StrongroomRequestContext) async -> (path: String, pairs: [(name: String, value: String)])? {
        guard let path = PortalSecurity.localPath(request.uri.path), path.hasPrefix("/requests/"), path.contains("/step/"),
            let token = request.cookies[PortalSecurity.sessionCookie]?.value, !token.isEmpty,
            let form = try? await Self.readForm(request, context: context),
            PortalSecurity.tokensMatch(form[PortalSecurity.csrfField], PortalSecurity.csrfToken(forSession: token))
        else { return nil }
        return (path, form.pairs.filter { $0.name.hasPrefix("f.") })
    }

    static func readForm(_ request: Request, context: StrongroomRequestContext) async throws -> FormBody {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        guard type.hasPrefix("application/x-www-form-urlencoded") else { throw PortalFailure.badForm }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: context.maxUploadSize)
        } catch {
            throw PortalFailure.tooLarge
        }
        guard let form = FormBody(encoded: String(buffer: buffer)) else { throw PortalFailure.badForm }
        return form
    }

    /// Turns an error into the page a person should see, without anything they should not.
    func failure(_ error: any Error, visit: inout Visit, isPost: Bool) -> Outcome {
        let t = visit.messages
        switch error {
        case PortalFailure.signInNeeded:
            return .redirect(signInPath(returningTo: visit.returnPathAfterSignIn))
        case PortalFailure.crossSite, PortalFailure.badToken:
            return .page(Page(template: "error", title: t.text("errors.forbidden_title"), status: .forbidden, model: [
                "heading": t.text("errors.forbidden_title"), "body": t.text("errors.forbidden_body"),
            ]))
        case PortalFailure.badForm:
            return .page(Page(template: "error", title: t.text("errors.bad_form_title"), status: .badRequest, model: [
                "heading": t.text("errors.bad_form_title"), "body": t.text("errors.bad_form_body"),
            ]))
        case PortalFailure.tooLarge:
            return .page(Page(template: "error", title: t.text("errors.too_large_title"), status: .contentTooLarge, model: [
                "heading": t.text("errors.too_large_title"), "body": t.text("errors.too_large_body"),
            ]))
        case PortalFailure.notFound:
            return notFound(visit)
        default:
            break
        }
        let known = (error as? StrongroomError).map { StrongroomError.recognized($0) ?? $0 } ?? StrongroomError.recognized(error)
        guard let known, known.kind != .internalFailure else {
            visit.context.logger.error("portal page failed", metadata: [
                "request_id": .string(visit.context.requestID), "type": .string(Self.describe((error as? StrongroomError)?.cause ?? error)),
            ])
            return .page(Page(template: "error", title: t.text("errors.internal_title"), status: .internalServerError, model: [
                "heading": t.text("errors.internal_title"), "body": t.text("errors.internal_body", ["id": visit.context.requestID]),
            ]))
        }
        switch known.kind {
        case .unauthenticated:
            visit.signOut()
            return .redirect(signInPath(returningTo: visit.returnPathAfterSignIn, expired: true))
        case .notFound:
            return notFound(visit)
        case .forbidden:
            return .page(Page(template: "error", title: t.text("errors.forbidden_title"), status: .forbidden, model: [
                "heading": t.text("errors.forbidden_title"), "body": t.text("errors.not_allowed_body"),
            ]))
        case .tooManyRequests:
            return .page(Page(template: "error", title: t.text("errors.throttled_title"), status: .tooManyRequests, model: [
                "heading": t.text("errors.throttled_title"), "body": t.text("errors.throttled_body"),
            ]))
        case .unavailable:
            return .page(Page(template: "error", title: t.text("errors.unavailable_title"), status: .serviceUnavailable, model: [
                "heading": t.text("errors.unavailable_title"), "body": t.text("errors.unavailable_body"),
            ]))
        case .conflict:
            let body = known.code == "subject_erased" ? t.text("errors.erased_body") : t.text("errors.conflict_body")
            return .page(Page(template: "error", title: t.text("errors.conflict_title"), status: .conflict, model: [
                "heading": t.text("errors.conflict_title"), "body": body,
            ]))
        case .invalidInput, .payloadTooLarge, .internalFailure:
            return .page(Page(template: "error", title: t.text("errors.bad_form_title"), status: .badRequest, model: [
                "heading": t.text("errors.bad_form_title"), "body": t.text("errors.bad_form_body"),
            ]))
        }
    }

    func notFound(_ visit: Visit) -> Outcome {
        .page(Page(template: "error", title: visit.messages.text("errors.not_found_title"), status: .notFound, model: [
            "heading": visit.messages.text("errors.not_found_title"), "body": visit.messages.text("errors.not_found_body"),
        ]))
    }

    func signInPath(returningTo path: String?, expired: Bool = false) -> String {
        var query: [String] = []
        if let path { query.append("return=" + FormBody.encode(path)) }
        if expired { query.append("expired=1") }
        let page = path?.hasPrefix("/staff") == true ? "/staff/sign-in" : "/sign-in"
        return page + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }

    func finish(_ outcome: Outcome, visit: Visit) -> Response {
        var headers = HTTPFields()
        var status = HTTPResponse.Status.ok
        var body = ByteBuffer()
        var cacheable = false
        var streamed: ResponseBody?
        switch outcome {
        case .page(let page):
            status = page.status
            headers[.contentType] = "text/html; charset=utf-8"
            if let seconds = page.retryAfterSeconds { headers[.retryAfter] = String(seconds) }
            body = ByteBuffer(string: renderer.render(page, visit: visit))
        case .redirect(let location):
            // 303: the browser follows with a GET, so a reload never re-submits the form (POST-redirect-GET).
            status = .seeOther
            headers[.location] = location
        case .file(let bytes, let type, let filename, let isPublic):
            headers[.contentType] = type
            if let filename { headers[Self.contentDisposition] = "attachment; filename=\"\(filename)\"" }
            body = ByteBuffer(bytes: bytes)
            cacheable = isPublic
        case .temporaryFile(let path, let directory, let type, let filename):
            headers[.contentType] = type
            headers[Self.contentDisposition] = "attachment; filename=\"\(filename)\""
            streamed = TemporaryDownload.body(path: path, directory: directory)
        }
        for cookie in visit.setCookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        headers[Self.contentLanguage] = visit.language
        headers[Self.vary] = "Cookie, Accept-Language"
        PortalSecurity.harden(&headers, cacheable: cacheable, tls: tls)
        return Response(status: status, headers: headers, body: streamed ?? .init(byteBuffer: body))
    }

    static let contentDisposition = HTTPField.Name("Content-Disposition")!
    static let contentLanguage = HTTPField.Name("Content-Language")!
    static let vary = HTTPField.Name("Vary")!

    static func describe(_ error: any Error) -> String { String(reflecting: type(of: error)) }

    /// The access context of a page request: the request id, and no purpose for a citizen (none is needed for their
    /// own data).
    /// On staff pages, the purpose the staff member chose for the task.
    func access(_ visit: Visit) -> AccessContext { AccessContext(purpose: visit.staffPurpose, requestID: visit.context.requestID) }
}

/// What a page handler produces.
enum Outcome {
    case page(Page)
    case redirect(String)
    /// A download or an asset.
    case file([UInt8], type: String, filename: String?, isPublic: Bool)
    /// A download too large to hold in memory: a file the handler wrote in a private temporary directory, streamed
    /// and then removed with its directory (also when the client goes away).
    case temporaryFile(path: String, directory: String, type: String, filename: String)
}

/// One rendered page: its template, `<title>` and the template's values.
struct Page {
    var template: String
    var title: String
    var status: HTTPResponse.Status = .ok
    var model: [String: Any] = [:]
    /// Error summary entries (`href` to the field, `text`); the title then starts with "Error:".
    var errors: [[String: String]] = []
    /// A short confirmation shown at the top ("Your changes are saved").
    var notice: String? = nil
    /// The main navigation item to mark as current.
    var section: String? = nil
    /// For a 429 page: the `Retry-After` header, in seconds.
    var retryAfterSeconds: Int? = nil
}

/// Failures of the portal's own checks.
enum PortalFailure: Error {
    case signInNeeded
    case crossSite
    case badToken
    case badForm
    case tooLarge
    case notFound
}

/// Which paths the portal registered as pages and as actions (registration happens once, at start).
final class RegisteredPaths: Sendable {
    private let paths = Mutex<(pages: Set<String>, actions: [String])>((pages: [], actions: []))

    func note(page path: String) { paths.withLock { _ = $0.pages.insert(path) } }
    func note(action path: String) { paths.withLock { $0.actions.append(path) } }

    var actionsWithoutPages: [String] {
        paths.withLock { state in
            var seen = Set<String>()
            return state.actions.filter { !state.pages.contains($0) && seen.insert($0).inserted }
        }
    }
}

import HTTPTypes
import Hummingbird
import Sodium

/// Cookies, CSRF tokens, request-origin checks and the headers every portal response carries.
enum PortalSecurity {
    /// The session cookie: the same bearer token the API takes, in an `HttpOnly` cookie bound to this host.
    static let sessionCookie = "__Host-sr-session"
    /// The anonymous CSRF cookie (sign-in and sign-up forms, before there is a session).
    static let csrfCookie = "__Host-sr-csrf"
    /// The chosen language.
    static let languageCookie = "__Host-sr-lang"
    /// The form field every state-changing form carries.
    static let csrfField = "csrf"

    /// The CSRF token of a session: a keyed hash of the session token, so it changes with every sign-in, needs no
    /// storage, and reveals nothing of the token (a page can show it; the cookie stays `HttpOnly`).
    static func csrfToken(forSession token: String) -> String {
        let digest = (try? BLAKE2b.hash(Array("strongroom-portal-csrf-v1\u{0}".utf8) + Array(token.utf8), outputByteCount: 32)) ?? []
        return digest.hexString
    }

    /// A fresh anonymous CSRF value.
    static func newAnonymousToken() -> String { SecureRandom.bytes(count: 32).hexString }

    /// Whether `submitted` equals `expected`, in constant time for equal lengths.
    static func tokensMatch(_ submitted: String?, _ expected: String) -> Bool {
        guard let submitted, submitted.utf8.count == expected.utf8.count, !expected.isEmpty else { return false }
        return constantTimeEquals(Array(submitted.utf8), Array(expected.utf8))
    }

    /// Whether a state-changing request says it came from another site: `Sec-Fetch-Site` other than same-origin
    /// (or a typed address, `none`), or an `Origin` that is not this host.
    static func isCrossSite(_ request: Request) -> Bool {
        if let site = request.headers[secFetchSite]?.lowercased() {
            return site != "same-origin" && site != "none"
        }
        if let origin = request.headers[.origin] {
            guard let host = request.head.authority else { return true }
            return origin != "http://" + host && origin != "https://" + host
        }
        return false
    }

    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
    static let contentSecurityPolicy = HTTPField.Name("Content-Security-Policy")!
    static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let frameOptions = HTTPField.Name("X-Frame-Options")!
    static let openerPolicy = HTTPField.Name("Cross-Origin-Opener-Policy")!
    static let resourcePolicy = HTTPField.Name("Cross-Origin-Resource-Policy")!
    static let permissionsPolicy = HTTPField.Name("Permissions-Policy")!
    static let strictTransportSecurity = HTTPField.Name("Strict-Transport-Security")!

    static let policy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
        + "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    /// Adds the headers every portal answer carries. Pages (anything but a static asset) are never stored by a
    /// cache: they may show personal data.
    static func harden(_ headers: inout HTTPFields, cacheable: Bool, tls: Bool) {
        headers[contentSecurityPolicy] = policy
        headers[contentTypeOptions] = "nosniff"
        headers[referrerPolicy] = "same-origin"
        headers[frameOptions] = "DENY"
        headers[openerPolicy] = "same-origin"
        headers[resourcePolicy] = "same-origin"
        headers[permissionsPolicy] = "camera=(), microphone=(), geolocation=(), payment=()"
        headers[.cacheControl] = cacheable ? "public, max-age=3600" : "no-store"
        if tls { headers[strictTransportSecurity] = "max-age=31536000; includeSubDomains" }
    }

    /// A `Set-Cookie` value with this portal's fixed attributes: host-only, secure, HTTP only, `SameSite=Lax`.
    static func cookie(_ name: String, _ value: String, maxAge: Int? = nil) -> String {
        var text = "\(name)=\(value); Path=/; Secure; HttpOnly; SameSite=Lax"
        if let maxAge { text += "; Max-Age=\(maxAge)" }
        return text
    }

    /// A `Set-Cookie` value that deletes `name`.
    static func expiredCookie(_ name: String) -> String { "\(name)=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0" }

    /// A path inside the portal to go back to after sign-in or a language switch; `nil` for anything that could lead
    /// elsewhere (another host, a scheme, the API, odd characters).
    static func localPath(_ text: String?) -> String? {
        guard let text, text.utf8.count <= 512, text.hasPrefix("/"), !text.hasPrefix("//"), !text.hasPrefix("/v1"),
            text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0 != "\\" && $0 != "\"" && $0 != "<" && $0 != ">" })
        else { return nil }
        return text
    }
}

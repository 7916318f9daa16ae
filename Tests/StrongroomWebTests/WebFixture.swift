import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Strongroom
import StrongroomAPI
import StrongroomWeb
import TestSupport
import Testing

/// An installation on temporary directories with this repository's catalog and policies, serving the API and the
/// portal from one router, as `serve` does.
struct WebFixture {
    let keys: TestKeys
    let data: TemporaryDirectory
    let installation: Installation
    let portal: Portal

    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var webSources: String { repositoryRoot + "/Sources/StrongroomWeb" }

    init(clock: (any ServiceClock)? = nil, _ configure: (inout StrongroomConfiguration) -> Void = { _ in }) async throws {
        keys = try TestKeys()
        data = TemporaryDirectory(prefix: "strongroom-web")
        var configuration = StrongroomConfiguration(
            keys: keys.directory, dataDirectory: data.path,
            catalogDirectory: Self.repositoryRoot + "/Catalog", policyDirectory: Self.repositoryRoot + "/Policies")
        configuration.passwordLimits = .minimumForTesting
        configure(&configuration)
        if let clock {
            installation = try Installation(configuration: configuration, clock: clock, paymentProvider: try OfflinePaymentProvider())
        } else {
            installation = try Installation(configuration: configuration, paymentProvider: try OfflinePaymentProvider())
        }
        portal = try await Portal(installation: installation)
    }

    /// Whether `text` appears, as UTF-8, in any file of the data directory (the database, its WAL): a sealed value
    /// must not.
    func databaseBytesContain(_ text: String) throws -> Bool {
        let needle = Data(text.utf8)
        let files = FileManager.default.enumerator(atPath: data.path)?.compactMap { $0 as? String } ?? []
        for name in files {
            let path = data.path + "/" + name
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            if try Data(contentsOf: URL(fileURLWithPath: path)).range(of: needle) != nil { return true }
        }
        return false
    }

    func application() -> some ApplicationProtocol {
        Application(router: buildRouter(installation: installation, additionalRoutes: [portal.routes]))
    }
}

/// A browser's cookie jar and the last page's CSRF token, over the in-process test client.
struct Browser {
    var cookies: [String: String] = [:]
    var csrf: String = ""

    struct Page {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let body: String
        var location: String? { headers[.location] }
    }

    mutating func get(_ client: some TestClientProtocol, _ uri: String, headers extra: HTTPFields = [:]) async throws -> Page {
        try await send(client, .get, uri, form: nil, headers: extra)
    }

    /// Posts a form; the CSRF token of the last page is added unless `csrf` is given (`""` sends none).
    mutating func post(
        _ client: some TestClientProtocol, _ uri: String, _ fields: [(String, String)], csrf: String? = nil, headers extra: HTTPFields = [:]
    ) async throws -> Page {
        var pairs = fields
        let token = csrf ?? self.csrf
        if !token.isEmpty { pairs.insert(("csrf", token), at: 0) }
        return try await send(client, .post, uri, form: pairs, headers: extra)
    }

    private mutating func send(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, form: [(String, String)]?, headers extra: HTTPFields
    ) async throws -> Page {
        var headers = extra
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ") }
        var body: ByteBuffer?
        if let form {
            headers[.contentType] = "application/x-www-form-urlencoded"
            body = ByteBuffer(string: form.map { FormBody.encode($0.0) + "=" + FormBody.encode($0.1) }.joined(separator: "&"))
        }
        let page = try await client.execute(uri: uri, method: method, headers: headers, body: body) { response in
            Page(status: response.status, headers: response.headers, body: String(buffer: response.body))
        }
        for cookie in page.headers[values: .setCookie] {
            let pair = cookie.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pair[0]), value = pair.count > 1 ? String(pair[1]) : ""
            if value.isEmpty || cookie.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        if let token = Self.csrfToken(in: page.body) { csrf = token }
        return page
    }

    static func csrfToken(in html: String) -> String? {
        guard let range = html.range(of: #"name="csrf" value=""#) else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    /// Signs up and signs in through the pages.
    mutating func signUpAndIn(_ client: some TestClientProtocol, login: String, password: String = "correct horse battery staple") async throws {
        _ = try await get(client, "/sign-up")
        let signedUp = try await post(client, "/sign-up", [("login", login), ("password", password), ("password_confirm", password)])
        #expect(signedUp.status == .seeOther)
        _ = try await get(client, "/sign-in")
        let signedIn = try await post(client, "/sign-in", [("login", login), ("password", password), ("return", "")])
        #expect(signedIn.status == .seeOther, "sign-in should redirect")
        _ = try await get(client, "/requests")
    }
}

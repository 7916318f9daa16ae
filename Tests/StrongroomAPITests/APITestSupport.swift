import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Strongroom
import StrongroomAPI
import TestSupport
import Testing

/// An installation on temporary directories with this repository's catalog and policies, and its router.
struct APIFixture {
    let keys: TestKeys
    let data: TemporaryDirectory
    let installation: Installation
    /// The installation's payment provider (a repeated idempotency key gets the first charge's signed event back).
    let provider: OfflinePaymentProvider

    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    init(clock: (any ServiceClock)? = nil, _ configure: (inout StrongroomConfiguration) -> Void = { _ in }) throws {
        keys = try TestKeys()
        data = TemporaryDirectory(prefix: "strongroom-api")
        var configuration = StrongroomConfiguration(
            keys: keys.directory, dataDirectory: data.path,
            catalogDirectory: Self.repositoryRoot + "/Catalog", policyDirectory: Self.repositoryRoot + "/Policies")
        configuration.passwordLimits = .minimumForTesting
        configure(&configuration)
        provider = try OfflinePaymentProvider()
        installation = try Installation(configuration: configuration, clock: clock ?? SystemServiceClock(), paymentProvider: provider)
    }

    func application() -> some ApplicationProtocol {
        Application(router: buildRouter(installation: installation))
    }
}

extension TestClientProtocol {
    /// Sends JSON and returns status and decoded JSON object (or nil when the body is not an object).
    @discardableResult
    func json(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, purpose: String? = nil, body: String? = nil
    ) async throws -> (status: HTTPResponse.Status, json: [String: Any], headers: HTTPFields) {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let purpose { headers[HTTPField.Name("Strongroom-Purpose")!] = purpose }
        return try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            let data = Data(buffer: response.body)
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
            return (response.status, object, response.headers)
        }
    }

    /// Signs up (if needed) and signs in a citizen; returns the token.
    func citizenToken(_ login: String, password: String = "correct horse battery staple") async throws -> String {
        let signUp = try await json(.post, "/v1/accounts", body: #"{"login":"\#(login)","password":"\#(password)"}"#)
        #expect(signUp.status == .accepted)
        let session = try await json(.post, "/v1/sessions", body: #"{"login":"\#(login)","password":"\#(password)"}"#)
        #expect(session.status == .created)
        return try #require(session.json["token"] as? String)
    }
}

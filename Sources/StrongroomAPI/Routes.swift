import Catalog
import HTTPTypes
import Hummingbird
import NIOCore
import Strongroom

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Every `/v1` route. Each handler: authenticate → service call (which gates, seals or opens, and audits) → JSON.
struct Routes: Sendable {
    let installation: Installation

    func register(on router: Router<StrongroomRequestContext>) {
        router.get("/healthz") { _, _ in try JSONCoding.response(["status": "ok"]) }
        router.get("/openapi.yaml") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/yaml; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.text)))
        }
        let v1 = router.group("v1")
        v1.get("branding", use: branding)
        v1.get("services", use: services)
        v1.get("services/:id", use: service)
        v1.post("accounts", use: signUp)
        v1.post("sessions", use: signIn)
        v1.delete("sessions/current", use: signOut)
        v1.delete("sessions", use: signOutEverywhere)
        v1.post("me/password", use: changePassword)
        v1.get("me/profile", use: readProfile)
        v1.patch("me/profile", use: updateProfile)
        v1.post("me/erasure", use: requestErasure)
        v1.get("requests", use: listRequests)
        v1.post("requests", use: createRequest)
        v1.get("requests/:id", use: readRequest)
        v1.patch("requests/:id", use: updateRequest)
        v1.post("requests/:id/submit", use: submitRequest)
        v1.post("requests/:id/withdraw", use: withdrawRequest)
        registerCasework(on: v1)
        registerPaymentsAndPrivacy(on: v1)
    }

    // MARK: - Catalog

    @Sendable func branding(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let branding = installation.catalog.branding
        return try JSONCoding.response([
            "name": branding.name, "short_name": branding.shortName, "logo": branding.logoFile, "locale": branding.locale,
            "currency": branding.currency.code, "contact_email": branding.contact.email ?? "", "contact_web": branding.contact.web ?? "",
        ])
    }

    @Sendable func services(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let items = installation.catalog.serviceIDs.compactMap { installation.catalog.service($0) }.map(ServiceSummaryBody.init)
        return try JSONCoding.response(ListBody(items: items))
    }

    @Sendable func service(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        guard let id = context.parameters.get("id"), let service = installation.catalog.service(id) else {
            throw StrongroomError(.notFound, code: "unknown_service", message: "there is no e-service with this id; list them with GET /v1/services")
        }
        return try JSONCoding.response(ServiceBody(service))
    }

    // MARK: - Accounts and sessions

    @Sendable func signUp(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let body = try await JSONCoding.object(request, context: context, allowed: ["login", "password"])
        // The password is text (a JSON string); this String is its only copy here: no Array(...utf8), no log. The
        // account service copies it once into guarded memory for Argon2id (SECURITY.md, "Passwords ... in memory").
        guard let login = body["login"]?.string, let password = body["password"]?.string else {
            throw StrongroomError.invalid("missing_credentials", "send `login` (an email address) and `password` as strings")
        }
        try await installation.accounts.signUp(
            login: login, password: password,
            address: clientAddress(request, context),
            context: access(request, context))
        return try JSONCoding.response(
            ["status": "accepted", "message": "if this login was free, the account now exists; sign in with POST /v1/sessions"],
            status: .accepted)
    }

    @Sendable func signIn(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let body = try await JSONCoding.object(request, context: context, allowed: ["login", "password", "code"])
        // The password is text (a JSON string); this String is its only copy here: no Array(...utf8), no log. The
        // account service copies it once into guarded memory for Argon2id (SECURITY.md, "Passwords ... in memory").
        guard let login = body["login"]?.string, let password = body["password"]?.string else {
            throw StrongroomError.invalid("missing_credentials", "send `login` and `password` as strings (and `code` for staff)")
        }
        let session = try await installation.accounts.logIn(
            login: login, password: password, oneTimeCode: body["code"]?.string,
            address: clientAddress(request, context),
            context: access(request, context))
        return try JSONCoding.response(
            SessionBody(
                token: session.token, expires_at: session.expiresAt, account_id: session.accountID,
                kind: session.caller.kind.rawValue, roles: session.caller.roles.sorted(), office: session.caller.office),
            status: .created)
    }

    @Sendable func signOut(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        guard let token = bearerToken(request) else { throw StrongroomError.unauthenticated }
        _ = try await installation.accounts.authenticate(token: token)
        try await installation.accounts.logOut(token: token, context: access(request, context))
        return Response(status: .noContent)
    }

    @Sendable func signOutEverywhere(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        guard let token = bearerToken(request) else { throw StrongroomError.unauthenticated }
        try await installation.accounts.logOutEverywhere(token: token, context: access(request, context))
        return Response(status: .noContent)
    }

    @Sendable func changePassword(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        guard let token = bearerToken(request) else { throw StrongroomError.unauthenticated }
        let body = try await JSONCoding.object(request, context: context, allowed: ["current_password", "new_password"])
        // The password is text (a JSON string); this String is its only copy here: no Array(...utf8), no log. The
        // account service copies it once into guarded memory for Argon2id (SECURITY.md, "Passwords ... in memory").
        guard let current = body["current_password"]?.string, let new = body["new_password"]?.string else {
            throw StrongroomError.invalid("missing_passwords", "send `current_password` and `new_password` as strings")
        }
        try await installation.accounts.changePassword(token: token, current: current, new: new, context: access(request, context))
        return Response(status: .noContent)
    }

    /// The address sign-in and sign-up throttling count against (trusted proxies resolved, see ``ClientAddress``).
    func clientAddress(_ request: Request, _ context: StrongroomRequestContext) -> String {
        context.resolvedClientAddress(request, using: installation.clientAddress)
    }

    // MARK: - Profile

    @Sendable func readProfile(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let view = try await installation.records.profile(of: caller.accountID, caller: caller, access: access(request, context))
        return try JSONCoding.response(RecordBody(view))
    }

    @Sendable func updateProfile(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let body = try await JSONCoding.object(request, context: context, allowed: ["fields"])
        let view = try await installation.records.updateProfile(
            try JSONValue.fields(body["fields"]), caller: caller, access: access(request, context))
        return try JSONCoding.response(RecordBody(view))
    }

    @Sendable func requestErasure(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let effective = try await installation.records.requestErasure(caller: caller, access: access(request, context))
        return try JSONCoding.response(
            ["status": "scheduled", "effective_at": effective.formatted(.iso8601),
             "message": "your data will be erased on this date; contact the agency before then to cancel"],
            status: .accepted)
    }

    // MARK: - Requests

    @Sendable func listRequests(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let items = try await installation.records.ownRequests(caller: caller, access: access(request, context))
        return try JSONCoding.response(ListBody(items: items.map(RequestSummaryBody.init)))
    }

    @Sendable func createRequest(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let body = try await JSONCoding.object(request, context: context, allowed: ["service", "fields", "submit"])
        guard let serviceID = body["service"]?.string else {
            throw StrongroomError.invalid("missing_service", "send `service` with the id of an e-service (GET /v1/services)")
        }
        if let submit = body["submit"], submit.bool == nil {
            throw StrongroomError.invalid("invalid_submit", "`submit` must be true or false")
        }
        let view = try await installation.records.createRequest(
            serviceID: serviceID, values: try JSONValue.fields(body["fields"]), submit: body["submit"]?.bool ?? false,
            caller: caller, access: access(request, context))
        return try JSONCoding.response(RequestBody(view), status: .created)
    }

    @Sendable func readRequest(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let view = try await installation.records.request(try requestID(context), caller: caller, access: access(request, context))
        return try JSONCoding.response(RequestBody(view))
    }

    @Sendable func updateRequest(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let body = try await JSONCoding.object(request, context: context, allowed: ["fields"])
        let view = try await installation.records.updateRequest(
            try requestID(context), values: try JSONValue.fields(body["fields"]), caller: caller, access: access(request, context))
        return try JSONCoding.response(RequestBody(view))
    }

    @Sendable func submitRequest(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let view = try await installation.records.submitRequest(try requestID(context), caller: caller, access: access(request, context))
        return try JSONCoding.response(RequestBody(view))
    }

    @Sendable func withdrawRequest(_ request: Request, context: StrongroomRequestContext) async throws -> Response {
        let caller = try await authenticate(request)
        let view = try await installation.records.withdrawRequest(try requestID(context), caller: caller, access: access(request, context))
        return try JSONCoding.response(RequestBody(view))
    }

    // MARK: - Helpers

    func authenticate(_ request: Request) async throws -> AuthenticatedCaller {
        guard let token = bearerToken(request) else { throw StrongroomError.unauthenticated }
        return try await installation.accounts.authenticate(token: token)
    }

    func bearerToken(_ request: Request) -> String? {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return nil }
        let token = header.dropFirst("Bearer ".count).trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    func access(_ request: Request, _ context: StrongroomRequestContext) -> AccessContext {
        func header(_ name: HTTPField.Name, limit: Int) -> String? {
            guard let value = request.headers[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
            return String(value.prefix(limit))
        }
        return AccessContext(
            purpose: header(.purpose, limit: 64), justification: header(.justification, limit: 2000), requestID: context.requestID)
    }

    func requestID(_ context: StrongroomRequestContext) throws -> String {
        guard let id = context.parameters.get("id"), id.count <= 64, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw StrongroomError.notFound("record")
        }
        return id
    }
}

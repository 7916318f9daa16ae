import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Strongroom

/// The JSON body of every error: `{ "error": code, "message": text, "fields": [...], "request_id": id }`.
struct ErrorBody: Encodable {
    let error: String
    let message: String
    let fields: [StrongroomError.FieldProblem]?
    let request_id: String
}

/// Turns every error into a deliberate JSON answer.
///
/// Service errors keep their code and message (which never contain field values); Hummingbird's own errors
/// (body too large, bad route) become their status; anything else is a 500 with the request id and nothing else,
/// while the operator log gets the error's type and the request id.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = StrongroomRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            var response = try await next(request, context)
            response.headers[.requestID] = context.requestID
            return response
        } catch let error as StrongroomError {
            if let recognized = StrongroomError.recognized(error) { return Self.response(for: recognized, requestID: context.requestID) }
            if error.kind == .internalFailure {
                context.logger.error("internal failure", metadata: ["request_id": .string(context.requestID), "cause": .string(Self.describe(error.cause))])
            }
            return Self.response(for: error, requestID: context.requestID)
        } catch let error as HTTPError {
            let (code, message): (String, String) = switch error.status.code {
            case 413: ("payload_too_large", "the request body is larger than \(context.maxUploadSize) bytes")
            case 404: ("not_found", "no such route")
            case 405: ("method_not_allowed", "this route does not accept that method")
            case 400: ("invalid_request", "the request is malformed: \(error.body ?? "check the JSON body and headers")")
            default: ("http_\(error.status.code)", error.body ?? error.status.reasonPhrase)
            }
            return Self.json(ErrorBody(error: code, message: message, fields: nil, request_id: context.requestID), status: error.status, requestID: context.requestID)
        } catch {
            if let recognized = StrongroomError.recognized(error) { return Self.response(for: recognized, requestID: context.requestID) }
            context.logger.error("unexpected error", metadata: ["request_id": .string(context.requestID), "type": .string(Self.describe(error))])
            return Self.json(
                ErrorBody(error: "internal", message: "internal error; quote this request id to the operator", fields: nil, request_id: context.requestID),
                status: .internalServerError, requestID: context.requestID)
        }
    }

    static func response(for error: StrongroomError, requestID: String) -> Response {
        let status: HTTPResponse.Status = switch error.kind {
        case .invalidInput: .badRequest
        case .unauthenticated: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .tooManyRequests: .tooManyRequests
        case .payloadTooLarge: .contentTooLarge
        case .internalFailure: .internalServerError
        case .unavailable: .serviceUnavailable
        }
        let message = error.kind == .internalFailure ? "internal error; quote this request id to the operator" : error.message
        var response = json(
            ErrorBody(error: error.code, message: message, fields: error.fields.isEmpty ? nil : error.fields, request_id: requestID),
            status: status, requestID: requestID)
        if error.kind == .unauthenticated { response.headers[.wwwAuthenticate] = "Bearer" }
        if error.kind == .tooManyRequests, let seconds = error.retryAfterSeconds { response.headers[.retryAfter] = String(seconds) }
        return response
    }

    static func json(_ body: some Encodable, status: HTTPResponse.Status, requestID: String) -> Response {
        let data = (try? JSONCoding.encoder.encode(body)) ?? Data()
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.requestID] = requestID
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The error's type name, and for our own errors their message: never a field value (none of our messages
    /// carry one), never SQL arguments.
    static func describe(_ error: (any Error)?) -> String {
        guard let error else { return "none" }
        switch error {
        case let error as any CustomStringConvertible where String(describing: type(of: error)).hasSuffix("Error") &&
            ["StorageError", "SealingError", "KeyringError", "SodiumError", "AuditError", "StrongroomError"].contains(String(describing: type(of: error))):
            return "\(type(of: error)): \(error.description)"
        default:
            return String(describing: type(of: error))
        }
    }
}

extension HTTPField.Name {
    static let requestID = Self("Strongroom-Request-ID")!
    static let purpose = Self("Strongroom-Purpose")!
    static let justification = Self("Strongroom-Justification")!
}

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

import HTTPTypes
import Hummingbird
import NIOCore
import Strongroom

/// Per-request state: the request id, the client address and, once authenticated, the caller.
public struct StrongroomRequestContext: RequestContext, Sendable {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``AuthenticationMiddleware`` for routes that need a session.
    public var caller: AuthenticatedCaller?
    /// The client's address, for sign-in throttling.
    public let clientAddress: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Request bodies are small JSON documents; anything larger is refused with 413 before it is read.
    public var maxUploadSize: Int { 64 * 1024 }

    /// The id Hummingbird gave this request, echoed in `Strongroom-Request-ID` and in audit entries.
    public var requestID: String { id }
}

extension StrongroomRequestContext {
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let forwarded = HTTPField.Name("Forwarded")!

    /// The address sign-in and sign-up throttling count against, for the API and the portal alike: the socket peer,
    /// or behind a trusted proxy the client it names (see ``ClientAddress``).
    public func resolvedClientAddress(_ request: Request, using resolver: ClientAddress) -> String {
        resolver.resolve(
            peer: clientAddress, forwardedFor: request.headers[values: Self.forwardedFor],
            forwarded: request.headers[values: Self.forwarded])
    }
}

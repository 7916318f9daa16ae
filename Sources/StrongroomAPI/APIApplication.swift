import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle
import Strongroom

/// Registers more routes on the API's router (the web portal, from `StrongroomWeb`).
public typealias RouteRegistration = @Sendable (Router<StrongroomRequestContext>) -> Void

/// Builds the HTTP router for an installation. Tests drive it in process with `app.test(.router)`.
///
/// - Parameter additionalRoutes: registrations run after the API's own, for the web portal.
public func buildRouter(installation: Installation, additionalRoutes: [RouteRegistration] = []) -> Router<StrongroomRequestContext> {
    let router = Router(context: StrongroomRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    Routes(installation: installation).register(on: router)
    for register in additionalRoutes { register(router) }
    return router
}

/// Builds the HTTP application: router, bind address, and the long-lived services that run beside it.
///
/// - Parameter deadlines: how long a client may take to send a request's head and body (slow clients are cut off).
public func buildApplication(
    installation: Installation, host: String, port: Int, services: [any Service] = [], logger: Logger,
    deadlines: RequestDeadlines = .standard, additionalRoutes: [RouteRegistration] = [], onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    Application(
        router: buildRouter(installation: installation, additionalRoutes: additionalRoutes),
        // A connection that sends nothing for 30 s is closed, and one that sends too slowly misses its deadline, so
        // idle or trickling clients cannot hold file descriptors forever.
        server: .http1(configuration: .init(
            additionalChannelHandlers: [RequestDeadlineHandler(deadlines: deadlines)], idleTimeout: .seconds(30))),
        configuration: .init(address: .hostname(host, port: port), serverName: "Strongroom"),
        services: services,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
        logger: logger)
}

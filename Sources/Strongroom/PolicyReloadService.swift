import Logging
import Policy
import ServiceLifecycle
import UnixSignals

/// Reloads the access policies when the server receives SIGHUP. Loading is all or nothing: a broken file keeps
/// the previous set in force, and the error (file:line:column) goes to the operator log.
public struct PolicyReloadService: Service {
    let installation: Installation
    let logger: Logger

    public init(installation: Installation, logger: Logger) {
        self.installation = installation
        self.logger = logger
    }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            reload()
        }
    }

    /// Reloads now; returns whether the new set is in force.
    @discardableResult
    public func reload() -> Bool {
        switch installation.reloadPolicies() {
        case .success(let set):
            logger.notice("policies reloaded", metadata: ["rules": .stringConvertible(set.rules.count)])
            return true
        case .failure(let error):
            logger.error("policy reload refused; the previous policies stay in force", metadata: ["errors": .string("\(error)")])
            return false
        }
    }
}

extension Installation {
    /// Reloads `Policies/` against the catalog's fields. On failure the previous set stays in force.
    @discardableResult
    public func reloadPolicies() -> Result<PolicySet, PolicyLoadError> {
        policies.reload(
            directory: configuration.policyDirectory, loader: PolicyLoader(fields: FieldCatalog(serviceFields: catalog.serviceFieldIDs)))
    }
}

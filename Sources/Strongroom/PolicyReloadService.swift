import AuditLog
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
            await reload()
        }
    }

    /// Reloads now; returns whether the new set is in force.
    @discardableResult
    public func reload() async -> Bool {
        switch await installation.reloadPolicies() {
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
    /// Reloads `Policies/` against the catalog's fields and records the outcome in the audit log (`policies.reload`,
    /// with the digest of every file, or refused). On failure the previous set stays in force.
    ///
    /// The new set is put in force only once its entry has committed: an edit to `Policies/` never takes effect
    /// without a trace. If the entry cannot be written (the log is locked), the previous set stays in force.
    @discardableResult
    public func reloadPolicies() async -> Result<PolicySet, PolicyLoadError> {
        let loader = PolicyLoader(fields: FieldCatalog(serviceFields: catalog.serviceFieldIDs))
        let loaded = Result { () throws(PolicyLoadError) -> PolicySet in try loader.load(directory: configuration.policyDirectory) }
        let draft: AuditEntryDraft = switch loaded {
        case .success(let set): RulesInForce.policyEntry(set, trigger: "reload")
        case .failure(let error): RulesInForce.refusedReload(error)
        }
        let audit = self.audit
        do {
            try await writer.write { db in try audit.record(draft, in: db) }
        } catch {
            logger.error("policy reload not recorded in the audit log; the previous policies stay in force", metadata: ["error": .string("\(error)")])
            return .failure(PolicyLoadError.unrecorded)
        }
        if case .success(let set) = loaded { policies.install(set) }
        return loaded
    }
}

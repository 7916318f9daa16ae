import Synchronization

/// Holds the policy set in force. Reloading is all or nothing: a broken file leaves the previous set in
/// force and the error is returned (and kept in ``lastError``).
///
/// A lock, not an actor, so that ``gate`` is a cheap synchronous read on every request.
public final class PolicyStore: Sendable {
    private struct State {
        var current: PolicySet
        var lastError: PolicyLoadError?
    }

    private let state: Mutex<State>

    /// Starts with an already-loaded set.
    public init(_ initial: PolicySet) {
        state = Mutex(State(current: initial, lastError: nil))
    }

    /// Loads a directory; throws if it does not load, since there is no previous set to fall back on.
    public convenience init(directory: String, loader: PolicyLoader) throws(PolicyLoadError) {
        self.init(try loader.load(directory: directory))
    }

    /// The set in force.
    public var current: PolicySet { state.withLock { $0.current } }

    /// Whether the schema in force declares `purpose` (checked under the lock, without copying the set).
    public func declares(purpose: String) -> Bool { state.withLock { $0.current.schema.purposes.contains(purpose) } }

    /// A gate over the set in force.
    public var gate: Gate { Gate(current) }

    /// The error of the last failed reload, cleared by a successful one.
    public var lastError: PolicyLoadError? { state.withLock { $0.lastError } }

    /// Decides with the set in force.
    public func decide(_ principal: Principal, _ action: Action, _ resource: Resource, _ context: Context) -> Decision {
        gate.decide(principal, action, resource, context)
    }

    /// Reloads from a directory. On failure the previous set stays in force.
    /// - Returns: the new set, or the load error.
    @discardableResult
    public func reload(directory: String, loader: PolicyLoader) -> Result<PolicySet, PolicyLoadError> {
        let result = Result { () throws(PolicyLoadError) -> PolicySet in try loader.load(directory: directory) }
        install(result)
        return result
    }

    /// Reloads from sources in memory. On failure the previous set stays in force.
    @discardableResult
    public func reload(schema: PolicySource, policies: [PolicySource], loader: PolicyLoader) -> Result<PolicySet, PolicyLoadError> {
        let result = Result { () throws(PolicyLoadError) -> PolicySet in try loader.load(schema: schema, policies: policies) }
        install(result)
        return result
    }

    /// Puts `set` in force (after its load was recorded).
    public func install(_ set: PolicySet) { install(.success(set)) }

    private func install(_ result: Result<PolicySet, PolicyLoadError>) {
        state.withLock { state in
            switch result {
            case .success(let set):
                state.current = set
                state.lastError = nil
            case .failure(let error):
                state.lastError = error
            }
        }
    }
}

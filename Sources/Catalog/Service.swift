/// One e-service an agency offers: its fields (with their history), fee, retention and automatic decision rules.
public struct Service: Sendable, Hashable, Identifiable {
    /// When a decision is made.
    public enum DecisionPoint: String, Sendable, Hashable {
        /// Automatic rules run at submission; whatever they do not decide goes to review.
        case submission
        /// No automatic decision: every request goes to a caseworker.
        case review
    }

    /// Stable kebab-case identifier (`change-of-address`).
    public let id: String
    /// Title shown to citizens.
    public let title: String
    /// Longer description shown before starting a request.
    public let description: String
    /// Current version of the field definitions; new requests are stored under it.
    public let version: Int
    /// Grouping for menus (`benefits`, `payments`...).
    public let category: String
    /// When a decision is made.
    public let decisionOn: DecisionPoint
    /// How long a request and its data are kept after it closes.
    public let retention: RetentionPeriod
    /// The fee, or `nil` when the service is free.
    public let fee: Fee?
    /// Every definition of every field across versions, in catalog order.
    public let allFieldDefinitions: [FieldDefinition]
    /// Automatic decision rules, tried in order; the first that matches decides.
    public let rules: [DecisionRule]
    /// Which office a submitted request goes to (`routing:`), tried in order.
    public let routing: [RoutingRule]
    /// The file the service came from (relative to the catalog directory).
    public let sourceFile: String
    /// The highest sensitivity among the current version's fields (`.public` when it has none). Derived once: the
    /// gate asks for it on every access.
    public let highestSensitivity: Sensitivity
    /// Whether any field, in any version, is stored unsealed; when not, no request of this service has public values.
    public let storesOpenFields: Bool

    /// Creates a service; the loader is the usual source.
    public init(
        id: String, title: String, description: String, version: Int, category: String,
        decisionOn: DecisionPoint, retention: RetentionPeriod, fee: Fee?,
        fields: [FieldDefinition], rules: [DecisionRule], routing: [RoutingRule] = [], sourceFile: String
    ) {
        self.routing = routing
        self.id = id
        self.title = title
        self.description = description
        self.version = version
        self.category = category
        self.decisionOn = decisionOn
        self.retention = retention
        self.fee = fee
        self.allFieldDefinitions = fields
        self.rules = rules
        self.sourceFile = sourceFile
        self.highestSensitivity = fields.filter { $0.isActive(at: version) }.map(\.sensitivity).max() ?? .public
        self.storesOpenFields = fields.contains { !$0.isSealed }
    }

    /// The fields of the current version, in catalog order.
    public var fields: [FieldDefinition] { fields(at: version) }

    /// The field definitions as they were at `version`, so a request stored then stays readable
    /// after fields are removed or retyped.
    ///
    /// ```swift
    /// let asStored = service.fields(at: request.serviceVersion)
    /// ```
    public func fields(at version: Int) -> [FieldDefinition] {
        allFieldDefinitions.filter { $0.isActive(at: version) }
    }

    /// The definition of field `id` at `version` (default: current), or `nil`.
    public func field(_ id: String, at version: Int? = nil) -> FieldDefinition? {
        let v = version ?? self.version
        return allFieldDefinitions.first { $0.id == id && $0.isActive(at: v) }
    }

    /// The ids of every field that ever existed in this service (for the policy schema).
    public var allFieldIDs: Set<String> { Set(allFieldDefinitions.map(\.id)) }

    /// How long field `id` is kept: its own period if set, else the service's.
    public func retention(ofField id: String, at version: Int? = nil) -> RetentionPeriod {
        field(id, at: version)?.retention ?? retention
    }
}

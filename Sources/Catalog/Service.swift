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
    /// Title shown to citizens, in the default language; ``title(in:)`` for another.
    public let title: String
    /// Longer description shown before starting a request, in the default language; ``description(in:)`` for another.
    public let description: String
    /// What the citizen needs before starting (documents, numbers), in the default language; `nil` when not given.
    public let needs: String?
    /// How long a request takes to fill in ("About 5 minutes"), in the default language; `nil` when not given.
    public let duration: String?
    let titleText: LocalizedText
    let descriptionText: LocalizedText
    let needsText: LocalizedText?
    let durationText: LocalizedText?
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
    /// How long staff have to decide a request after it is submitted (`decide_within:`); a request still open after
    /// it is overdue in the work queues. `nil`: no time limit.
    public let decideWithin: RetentionPeriod?
    /// Every definition of every field across versions, in catalog order.
    public let allFieldDefinitions: [FieldDefinition]
    /// Automatic decision rules, tried in order; the first that matches decides.
    public let rules: [DecisionRule]
    /// Which office a submitted request goes to (`routing:`), tried in order.
    public let routing: [RoutingRule]
    /// The standard reasons a caseworker can give with a decision (`decision_reasons:`), in catalog order: a decision
    /// names one that fits its outcome, or gives the caseworker's own words, or both.
    public let decisionReasons: [DecisionReasonCode]
    /// The file the service came from (relative to the catalog directory).
    public let sourceFile: String
    /// The highest sensitivity among the current version's fields (`.public` when it has none). Derived once: the
    /// gate asks for it on every access.
    public let highestSensitivity: Sensitivity
    /// Whether any field, in any version, is stored unsealed; when not, no request of this service has public values.
    public let storesOpenFields: Bool

    /// Creates a service with its texts in one language; the loader is the usual source.
    public init(
        id: String, title: String, description: String, version: Int, category: String,
        decisionOn: DecisionPoint, retention: RetentionPeriod, fee: Fee?,
        fields: [FieldDefinition], rules: [DecisionRule], routing: [RoutingRule] = [], sourceFile: String
    ) {
        self.init(id: id, title: LocalizedText(title), description: LocalizedText(description), needs: nil, duration: nil,
                  version: version, category: category, decisionOn: decisionOn, retention: retention, fee: fee,
                  fields: fields, rules: rules, routing: routing, sourceFile: sourceFile)
    }

    /// Creates a service with translated texts; the loader is the usual source.
    public init(
        id: String, title: LocalizedText, description: LocalizedText, needs: LocalizedText?, duration: LocalizedText?,
        version: Int, category: String, decisionOn: DecisionPoint, retention: RetentionPeriod, fee: Fee?,
        fields: [FieldDefinition], rules: [DecisionRule], routing: [RoutingRule] = [], sourceFile: String,
        decideWithin: RetentionPeriod? = nil, decisionReasons: [DecisionReasonCode] = []
    ) {
        self.routing = routing
        self.decisionReasons = decisionReasons
        self.decideWithin = decideWithin
        self.id = id
        self.title = title.defaultText
        self.description = description.defaultText
        self.needs = needs?.defaultText
        self.duration = duration?.defaultText
        titleText = title
        descriptionText = description
        needsText = needs
        durationText = duration
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

    /// When a request submitted at `submitted` becomes overdue, or `nil` without a time limit: the end of the
    /// `decide_within:` period counted in whole calendar days (UTC) from the submission day, at the end of that day.
    public func decisionDue(submittedAtEpochSeconds submitted: Double) -> Double? {
        guard let period = decideWithin else { return nil }
        let day = CalendarDate(daysSinceEpoch: Int((submitted / 86_400).rounded(.down)))
        return Double(period.end(startingOn: day).daysSinceEpoch + 1) * 86_400
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

    /// The standard reasons for `outcome`, in catalog order.
    public func decisionReasons(for outcome: DecisionReasonCode.Outcome) -> [DecisionReasonCode] {
        decisionReasons.filter { $0.outcome == outcome }
    }

    /// The standard reason `id`, or `nil`.
    public func decisionReason(_ id: String) -> DecisionReasonCode? { decisionReasons.first { $0.id == id } }

    /// The ids of every field that ever existed in this service (for the policy schema).
    public var allFieldIDs: Set<String> { Set(allFieldDefinitions.map(\.id)) }

    /// How long field `id` is kept: its own period if set, else the service's.
    public func retention(ofField id: String, at version: Int? = nil) -> RetentionPeriod {
        field(id, at: version)?.retention ?? retention
    }

    /// The title in `language` (BCP 47, e.g. `hu` or `en-IE`); the default language's when there is none in it.
    public func title(in language: String) -> String { titleText.text(in: language) }

    /// The description in `language` (BCP 47); the default language's when there is none in it.
    public func description(in language: String) -> String { descriptionText.text(in: language) }

    /// What the citizen needs before starting, in `language` (BCP 47); `nil` when the service does not say.
    public func needs(in language: String) -> String? { needsText.text(in: language) }

    /// How long a request takes to fill in, in `language` (BCP 47); `nil` when the service does not say.
    public func duration(in language: String) -> String? { durationText.text(in: language) }

    /// The fields of `version` (default: current) grouped into the steps of a multi-step form, in catalog order:
    /// consecutive fields with the same ``FieldDefinition/page`` share a step, every field without one is a step of
    /// its own.
    ///
    /// ```swift
    /// for (number, step) in service.pages().enumerated() { render(step, number: number + 1) }
    /// ```
    public func pages(at version: Int? = nil) -> [[FieldDefinition]] {
        var pages: [[FieldDefinition]] = []
        for field in fields(at: version ?? self.version) {
            if let page = field.page, let last = pages.last?.last, last.page == page {
                pages[pages.count - 1].append(field)
            } else {
                pages.append([field])
            }
        }
        return pages
    }
}

/// A standard reason a caseworker can give with a decision (`decision_reasons:` in a service file): an id the
/// agency's statistics and the audit log can count, a text the citizen reads in their language, and the outcome it
/// belongs to. A caseworker picks one and may add their own words.
public struct DecisionReasonCode: Sendable, Hashable, Identifiable {
    /// Which outcome a reason explains.
    public enum Outcome: String, Sendable, Hashable, CaseIterable {
        case approve, reject
    }

    /// Stable kebab-case id (`income-above-threshold`), unique within the service.
    public let id: String
    public let outcome: Outcome
    let text: LocalizedText

    public init(id: String, outcome: Outcome, text: LocalizedText) {
        self.id = id
        self.outcome = outcome
        self.text = text
    }

    /// The reason as the citizen reads it, in `language` (the catalog's default language when not translated).
    public func text(in language: String) -> String { text.text(in: language) }
}

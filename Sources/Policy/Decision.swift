/// Permit or deny.
public enum Effect: String, Sendable, Hashable, Codable, CustomStringConvertible {
    case permit, deny
    public var description: String { rawValue }
}

/// Why a decision came out as it did, one entry per rule that mattered.
public enum DecisionReason: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A forbid matched; it beats every permit.
    case forbidden(rule: String)
    /// A permit matched and contributed to the field plan.
    case permitted(rule: String)
    /// A permit matched except for its purpose requirement.
    case purposeUnmet(rule: String, declared: String?, required: [String])
    /// A break-glass permit matched but the context carries no written justification.
    case justificationMissing(rule: String)
    /// No permit matched.
    case defaultDeny

    public var description: String {
        switch self {
        case .forbidden(let rule): return "forbidden by rule \(rule)"
        case .permitted(let rule): return "permitted by rule \(rule)"
        case .purposeUnmet(let rule, let declared, let required):
            let list = required.joined(separator: ", ")
            if let declared {
                return "rule \(rule) does not apply: purpose `\(declared)` is not one of [\(list)]"
            }
            return "rule \(rule) does not apply: no purpose declared, it requires one of [\(list)]"
        case .justificationMissing(let rule):
            return "rule \(rule) does not apply: break-glass needs a written justification"
        case .defaultDeny: return "no permit matched (default deny)"
        }
    }

    /// The description without anything the caller typed (the declared purpose is free text: the audit log records
    /// it separately, and only when the schema declares it).
    public var recordableDescription: String {
        if case .purposeUnmet(let rule, let declared, let required) = self {
            let list = required.joined(separator: ", ")
            return declared == nil
                ? "rule \(rule) does not apply: no purpose declared, it requires one of [\(list)]"
                : "rule \(rule) does not apply: the declared purpose is not one of [\(list)]"
        }
        return description
    }
}

/// The outcome of ``Gate/decide(_:_:_:_:)``: effect, deciding rules, field plan, obligations, purpose
/// and reasons. Contains no personal data, so it can go into the audit log as is.
public struct Decision: Sendable, Hashable, Codable {
    public let effect: Effect
    /// The forbids that denied, or the permits that granted; empty for a default deny.
    public let ruleIDs: [String]
    /// Which fields may be decrypted and how they are shown; empty when denied.
    public let fieldPlan: FieldPlan
    public let obligations: Obligations
    /// The purpose declared in the context, recorded with the decision.
    public let purpose: String?
    public let reasons: [DecisionReason]

    init(
        effect: Effect, ruleIDs: [String], fieldPlan: FieldPlan, obligations: Obligations, purpose: String?,
        reasons: [DecisionReason]
    ) {
        self.effect = effect
        self.ruleIDs = ruleIDs
        self.fieldPlan = fieldPlan
        self.obligations = obligations
        self.purpose = purpose
        self.reasons = reasons
    }

    /// True when the effect is permit.
    public var isPermitted: Bool { effect == .permit }

    /// Shorthand for `fieldPlan.disposition(of:)`.
    public func disposition(of field: String) -> FieldDisposition { fieldPlan.disposition(of: field) }

    /// The reasons as readable sentences.
    public var explanation: [String] { reasons.map(\.description) }
}

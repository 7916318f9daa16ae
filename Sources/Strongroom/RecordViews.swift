#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One field as a caller may see it: revealed, masked, or (by absence) omitted.
public struct FieldView: Sendable, Equatable, Codable {
    /// The value in clear, when the decision reveals it.
    public let value: String?
    /// The masked value, when the decision masks it.
    public let masked: String?
    /// The mask style applied.
    public let mask: String?

    public static func revealed(_ value: String) -> FieldView { FieldView(value: value, masked: nil, mask: nil) }
    public static func masked(_ value: String, style: String) -> FieldView { FieldView(value: nil, masked: value, mask: style) }
}

/// A profile or request as returned to a caller: only the fields the decision allowed.
public struct RecordView: Sendable, Equatable {
    public let fields: [String: FieldView]
    /// Fields the record has that the decision withheld (names only).
    public let omitted: [String]
}

/// A service request as returned to a caller.
public struct RequestView: Sendable, Equatable {
    public let id: String
    public let serviceID: String
    public let serviceVersion: Int
    public let status: String
    public let outcome: String?
    public let office: String
    public let createdAt: Date
    public let updatedAt: Date
    public let submittedAt: Date?
    public let decidedAt: Date?
    public let decidedByRule: String?
    public let record: RecordView
    /// The staff account handling the request (shown to staff only).
    public var assigneeID: String? = nil
    /// The reason given with a caseworker's decision, when the caller's plan reveals `decision_reason`.
    public var decisionReason: String? = nil
    /// The standard reason (the service's `decision_reasons` id) given with a caseworker's decision, under the same
    /// rule as ``decisionReason``.
    public var decisionReasonCode: String? = nil
    /// The request's fee payment, if it has one: its id and status.
    public var paymentID: String? = nil
    public var paymentStatus: String? = nil
    /// Masked fields the caller may reveal one at a time with ``RecordService/reveal(_:field:caller:access:)`` (the
    /// gate's `reveal` decision for this caller and purpose; staff only, and only fields shown masked).
    public var revealable: Set<String> = []
}

/// A line in a citizen's list of requests: no field values.
public struct RequestSummary: Sendable, Equatable {
    public let id: String
    public let serviceID: String
    public let status: String
    public let outcome: String?
    public let createdAt: Date
    public let updatedAt: Date
}

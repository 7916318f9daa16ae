#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Filters for a caseworker's queue. Unset filters match everything the caller's office may see.
public struct CaseQueueFilter: Sendable, Equatable {
    /// The office whose queue to list; the caller's own office when `nil`.
    public var office: String?
    public var serviceID: String?
    /// Statuses to list; the open review states (`submitted`, `in-review`, `info-requested`) when empty.
    public var statuses: [String]
    /// Only requests submitted at least this many days ago.
    public var minimumAgeDays: Int?
    /// Whose requests: `nil` for all, `.unassigned`, or one staff account.
    public var assignee: Assignee?
    /// Only requests changed within this many days, newest change first (instead of oldest submission first).
    public var updatedWithinDays: Int?
    public var limit: Int

    public enum Assignee: Sendable, Equatable {
        case unassigned
        case account(String)
    }

    public init(
        office: String? = nil, serviceID: String? = nil, statuses: [String] = [], minimumAgeDays: Int? = nil, assignee: Assignee? = nil,
        updatedWithinDays: Int? = nil, limit: Int = 100
    ) {
        self.updatedWithinDays = updatedWithinDays
        self.office = office
        self.serviceID = serviceID
        self.statuses = statuses
        self.minimumAgeDays = minimumAgeDays
        self.assignee = assignee
        self.limit = limit
    }

    /// The states a queue lists by default: those in which a request waits for staff.
    public static let openStatuses: [String] = [
        RequestStatus.submitted.rawValue, RequestStatus.inReview.rawValue, RequestStatus.infoRequested.rawValue,
    ]
}

/// One line of a queue: metadata only, never a field value.
public struct CaseSummary: Sendable, Equatable {
    public let id: String
    public let serviceID: String
    public let status: String
    public let office: String
    /// The staff account the request is assigned to.
    public let assigneeID: String?
    public let sealed: Bool
    public let submittedAt: Date?
    public let updatedAt: Date
    /// Status of the request's fee, when it has one.
    public let paymentStatus: String?
}

/// An action a principal asks to perform. The schema's action list decides which ones exist.
public struct Action: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public static let read: Action = "read"
    public static let create: Action = "create"
    public static let update: Action = "update"
    public static let submit: Action = "submit"
    public static let withdraw: Action = "withdraw"
    public static let decide: Action = "decide"
    public static let assign: Action = "assign"
    public static let claim: Action = "claim"
    public static let requestInfo: Action = "request-info"
    public static let message: Action = "message"
    public static let export: Action = "export"
    public static let erase: Action = "erase"
    public static let search: Action = "search"
    public static let readAudit: Action = "read-audit"
    public static let verifyAudit: Action = "verify-audit"
    public static let rotateKeys: Action = "rotate-keys"
    public static let manageStaff: Action = "manage-staff"
    public static let manageCatalog: Action = "manage-catalog"
    public static let pay: Action = "pay"
    public static let refund: Action = "refund"
    public static let reviewBreakGlass: Action = "review-break-glass"
    /// Listing an office's queue of requests (metadata only).
    public static let queue: Action = "queue"
    /// Sealing or unsealing a request (protected identity): it, its messages and its fee close to staff without
    /// break-glass.
    public static let seal: Action = "seal"
    /// Showing one masked field in full, on request: an access of its own, audited with the field's name.
    public static let reveal: Action = "reveal"
}

import Catalog
import GRDB
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a message on a request is for.
public enum MessageKind: String, Sendable, CaseIterable {
    /// Conversation between the citizen and staff.
    case message
    /// A caseworker's request for more information (the request moves to `info-requested`).
    case infoRequest = "info-request"
    // The reason given with a decision is not a message: it is sealed once, with the request (collection
    // `decisions`), and shown on the request. The table's CHECK still accepts 'decision' (shipped migration).
}

/// A message with its sealed body, ready to insert in one transaction: the `messages` row (ids, author role,
/// kind, time) and the body's envelope in `sealed_fields` under collection `messages`, field `body`.
struct SealedMessage: Sendable {
    let id: String
    let requestID: String
    let authorID: String
    let authorKind: String
    let authorRole: String
    let kind: MessageKind
    let createdAt: Int64
    let subjectID: String
    let envelope: [UInt8]
    let keyVersion: UInt32
    let shredKey: [UInt8]?

    func insert(_ db: Database) throws {
        try db.execute(
            sql: "INSERT INTO messages (id, request_id, author_id, author_kind, author_role, kind, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments: [id, requestID, authorID, authorKind, authorRole, kind.rawValue, createdAt])
        try FieldRows.insertSealed(
            envelope, keyVersion: keyVersion, collection: RecordService.messageCollection, recordID: id, field: "body",
            subjectID: subjectID, shredKey: shredKey, at: createdAt, in: db)
    }
}

/// A message as a reader sees it: the author's role (and, for staff, office), never a staff member's name.
public struct MessageView: Sendable, Equatable {
    public let id: String
    public let requestID: String
    public let kind: String
    /// `citizen`, or the staff author's role.
    public let authorRole: String
    /// Whether the reader wrote it.
    public let mine: Bool
    public let createdAt: Date
    /// The body, or `nil` when it can no longer be opened (erased or past retention).
    public let body: String?
}

extension FieldDefinition {
    /// A free-text note sealed with a request (message body, decision reason): personal, the service's retention.
    static func note(id: String) -> FieldDefinition {
        FieldDefinition(id: id, label: id, type: .text, sensitivity: .personal)
    }
}

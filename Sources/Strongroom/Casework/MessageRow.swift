import Catalog
import GRDB
import Sealing
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
    /// An internal note between staff on a case: sealed like a message, never shown to the citizen.
    case note
    // The reason given with a decision is not a message: it is sealed once, with the request (collection
    // `decisions`), and shown on the request. The table's CHECK still accepts 'decision' (shipped migration).
}

/// One row of `messages`: ids, author role, kind and time; the body is sealed in `sealed_fields` under collection
/// `messages`, field `body`, and its revision is in `field_revisions`.
struct MessageRow: Sendable, FetchableRecord {
    var id: String
    var requestID: String
    var authorID: String
    var authorKind: String
    var authorRole: String
    var kind: String
    var createdAt: Int64
    var fieldRevisionsText: String
    var rowMAC: [UInt8]?

    init(row: Row) {
        id = row["id"]
        requestID = row["request_id"]
        authorID = row["author_id"]
        authorKind = row["author_kind"]
        authorRole = row["author_role"]
        kind = row["kind"]
        createdAt = row["created_at"]
        fieldRevisionsText = row["field_revisions"] ?? ""
        rowMAC = (row["row_mac"] as Data?).map { [UInt8]($0) }
    }

    init(
        id: String, requestID: String, authorID: String, authorKind: String, authorRole: String, kind: String, createdAt: Int64,
        bodyRevision: FieldRevision?
    ) {
        self.id = id
        self.requestID = requestID
        self.authorID = authorID
        self.authorKind = authorKind
        self.authorRole = authorRole
        self.kind = kind
        self.createdAt = createdAt
        var revisions = FieldRevisions()
        revisions.set(bodyRevision, collection: RecordService.messageCollection, field: "body")
        self.fieldRevisionsText = revisions.text
    }

    var fieldRevisions: FieldRevisions { FieldRevisions(text: fieldRevisionsText) ?? FieldRevisions() }

    func insert(_ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO messages (id, request_id, author_id, author_kind, author_role, kind, created_at, field_revisions, row_mac)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [id, requestID, authorID, authorKind, authorRole, kind, createdAt, fieldRevisionsText, rowMAC.map { Data($0) }])
    }

    /// Writes the field revisions and the MAC (erasure clears the revisions of a removed body).
    func updateRevisions(_ db: Database) throws {
        try db.execute(
            sql: "UPDATE messages SET field_revisions = ?, row_mac = ? WHERE id = ?", arguments: [fieldRevisionsText, rowMAC.map { Data($0) }, id])
    }

    func updateMAC(_ db: Database) throws {
        try db.execute(sql: "UPDATE messages SET row_mac = ? WHERE id = ?", arguments: [rowMAC.map { Data($0) }, id])
    }
}

extension MessageRow: AuthenticatedRow {
    static let macTable = "messages"
    var macKey: String { id }
    var macColumns: [RowValue] {
        [.text(requestID), .text(authorID), .text(authorKind), .text(authorRole), .text(kind), .integer(createdAt), .text(fieldRevisionsText)]
    }
}

/// A message with its sealed body, ready to insert in one transaction: the `messages` row (authenticated) and the
/// body's envelope.
struct SealedMessage: Sendable {
    let row: MessageRow
    let subjectID: String
    let envelope: [UInt8]
    let keyVersion: UInt32
    let shredKey: [UInt8]?

    var id: String { row.id }
    var authorRole: String { row.authorRole }
    var createdAt: Int64 { row.createdAt }
    var kind: MessageKind { MessageKind(rawValue: row.kind) ?? .message }

    func insert(_ db: Database) throws {
        try RecordService.refuseIfErasing(subjectID, at: row.createdAt, in: db)
        try row.insert(db)
        try FieldRows.insertSealed(
            envelope, keyVersion: keyVersion, collection: RecordService.messageCollection, recordID: row.id, field: "body",
            subjectID: subjectID, shredKey: shredKey, at: row.createdAt, in: db)
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

import GRDB
import Policy
import Sealing
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The life-cycle states of a service request.
public enum RequestStatus: String, Sendable, CaseIterable {
    case draft, submitted
    case inReview = "in-review"
    case infoRequested = "info-requested"
    case decided, withdrawn, closed
}

/// One row of `requests`: metadata only, never a field value.
struct RequestRow: Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "requests"

    var id: String
    var serviceID: String
    var serviceVersion: Int
    var ownerID: String
    var subjectID: String
    var office: String
    var status: String
    var sealed: Bool
    var assigneeID: String?
    var outcome: String?
    var decidedByRule: String?
    var createdAt: Int64
    var updatedAt: Int64
    var submittedAt: Int64?
    var decidedAt: Int64?
    /// The revisions of the request's sealed fields and decision reason, canonical text.
    var fieldRevisionsText: String
    var rowMAC: [UInt8]?

    init(row: Row) {
        id = row["id"]
        serviceID = row["service_id"]
        serviceVersion = row["service_version"]
        ownerID = row["owner_id"]
        subjectID = row["subject_id"]
        office = row["office"]
        status = row["status"]
        sealed = row["sealed"]
        assigneeID = row["assignee_id"]
        outcome = row["outcome"]
        decidedByRule = row["decided_by_rule"]
        createdAt = row["created_at"]
        updatedAt = row["updated_at"]
        submittedAt = row["submitted_at"]
        decidedAt = row["decided_at"]
        fieldRevisionsText = row["field_revisions"] ?? ""
        rowMAC = (row["row_mac"] as Data?).map { [UInt8]($0) }
    }

    /// The columns in the order ``init(stepped:)`` reads them.
    static let columns = "id, service_id, service_version, owner_id, subject_id, office, status, sealed, assignee_id, outcome, decided_by_rule, created_at, updated_at, submitted_at, decided_at, field_revisions, row_mac"

    /// The request with this id, or `nil`.
    static func find(_ id: String, in db: Database) throws -> RequestRow? {
        // Stepped directly: this runs inside the writer on every audited read of a request.
        let select = try SteppedStatement("SELECT \(columns) FROM requests WHERE id = ?", in: db)
        defer { select.finish() }
        select.bind(1, id)
        return try select.step() ? RequestRow(stepped: select) : nil
    }

    /// Inserts this row (a new request): stepped directly, as every submission does it.
    func insertNew(in db: Database) throws {
        let insert = try SteppedStatement("INSERT INTO requests (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", in: db)
        insert.bind(1, id)
        insert.bind(2, serviceID)
        insert.bind(3, Int64(serviceVersion))
        insert.bind(4, ownerID)
        insert.bind(5, subjectID)
        insert.bind(6, office)
        insert.bind(7, status)
        insert.bind(8, Int64(sealed ? 1 : 0))
        insert.bind(9, assigneeID)
        insert.bind(10, outcome)
        insert.bind(11, decidedByRule)
        insert.bind(12, createdAt)
        insert.bind(13, updatedAt)
        insert.bind(14, submittedAt)
        insert.bind(15, decidedAt)
        insert.bind(16, fieldRevisionsText)
        insert.bind(17, bytes: rowMAC)
        try insert.execute()
    }

    /// Decodes the current row of a statement that selected ``columns``.
    private init(stepped row: SteppedStatement) {
        id = row.text(0)
        serviceID = row.text(1)
        serviceVersion = Int(row.int64(2))
        ownerID = row.text(3)
        subjectID = row.text(4)
        office = row.text(5)
        status = row.text(6)
        sealed = row.int64(7) != 0
        assigneeID = row.optionalText(8)
        outcome = row.optionalText(9)
        decidedByRule = row.optionalText(10)
        createdAt = row.int64(11)
        updatedAt = row.int64(12)
        submittedAt = row.optionalInt64(13)
        decidedAt = row.optionalInt64(14)
        fieldRevisionsText = row.optionalText(15) ?? ""
        rowMAC = row.optionalBytes(16)
    }

    init(id: String, serviceID: String, serviceVersion: Int, ownerID: String, subjectID: String, office: String, now: Int64) {
        self.id = id
        self.serviceID = serviceID
        self.serviceVersion = serviceVersion
        self.ownerID = ownerID
        self.subjectID = subjectID
        self.office = office
        self.status = RequestStatus.draft.rawValue
        self.sealed = false
        self.createdAt = now
        self.updatedAt = now
        self.fieldRevisionsText = ""
        self.rowMAC = nil
    }

    func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["service_id"] = serviceID
        container["service_version"] = serviceVersion
        container["owner_id"] = ownerID
        container["subject_id"] = subjectID
        container["office"] = office
        container["status"] = status
        container["sealed"] = sealed
        container["assignee_id"] = assigneeID
        container["outcome"] = outcome
        container["decided_by_rule"] = decidedByRule
        container["created_at"] = createdAt
        container["updated_at"] = updatedAt
        container["submitted_at"] = submittedAt
        container["decided_at"] = decidedAt
        container["field_revisions"] = fieldRevisionsText
        container["row_mac"] = rowMAC.map { Data($0) }
    }

    var fieldRevisions: FieldRevisions {
        get { FieldRevisions(text: fieldRevisionsText) ?? FieldRevisions() }
        set { fieldRevisionsText = newValue.text }
    }

    /// The gate's view of this request.
    func resource(sensitivity: String) -> Resource {
        Resource.request(
            owner: ownerID, service: serviceID, office: office, status: status, sensitivity: sensitivity, sealed: sealed,
            assignee: assigneeID, subject: subjectID)
    }

    var summary: RequestSummary {
        RequestSummary(
            id: id, serviceID: serviceID, status: status, outcome: outcome, createdAt: Date(millis: createdAt),
            updatedAt: Date(millis: updatedAt))
    }
}

extension RequestRow: AuthenticatedRow {
    static let macTable = "requests"
    var macKey: String { id }
    // `updated_at` is not covered: it decides nothing and is touched by every change.
    var macColumns: [RowValue] {
        [
            .text(serviceID), .integer(Int64(serviceVersion)), .text(ownerID), .text(subjectID), .text(office), .text(status),
            .integer(sealed ? 1 : 0), assigneeID.map(RowValue.text) ?? .null, outcome.map(RowValue.text) ?? .null,
            decidedByRule.map(RowValue.text) ?? .null, .integer(createdAt), submittedAt.map(RowValue.integer) ?? .null,
            decidedAt.map(RowValue.integer) ?? .null, .text(fieldRevisionsText),
        ]
    }
}

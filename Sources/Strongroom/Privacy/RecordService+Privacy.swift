import AuditLog
import Catalog
import GRDB
import Policy
import Sealing
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Citizens' rights over their data: who accessed it (from the audit log) and a copy of all of it.
extension RecordService {
    /// Every access to the calling citizen's records and profile by someone else, oldest first.
    public func accessReport(caller: AuthenticatedCaller, access: AccessContext) async throws -> AccessReport {
        guard caller.kind == .citizen, let subjectID = caller.subjectID else {
            throw StrongroomError.forbidden("the access report lists accesses to a citizen's own data; staff answer written requests with `strongroom subjects access-report`")
        }
        let target = AuditTarget(collection: "subjects", recordID: subjectID, subjectID: subjectID)
        let decision = decide(caller, .export, Resource(type: "subject", attributes: ["owner": .string(caller.accountID)]), access)
        guard decision.isPermitted else {
            throw await denied(decision, caller: caller, action: "subject.access-report", target: target, access: access, hide: false)
        }
        return try await accessReport(subjectID: subjectID, requestedBy: caller, decision: decision, access: access)
    }

    /// The access report of any data subject, for an officer answering a written request (`strongroom subjects
    /// access-report`): the gate decides `export` on the subject for the officer's roles and purpose (a refusal is
    /// audited). The report's own generation is audited.
    public func accessReport(subjectID: String, officer: AuthenticatedCaller, access: AccessContext) async throws -> AccessReport {
        let decision = try await authorizeOfficer(.export, subjectID: subjectID, caller: officer, action: "subject.access-report", access: access)
        let known = try await database.read { db in
            try Int.fetchOne(db, sql: "SELECT 1 FROM accounts WHERE subject_id = ?", arguments: [subjectID]) != nil
        }
        guard known else { throw StrongroomError.notFound("data subject") }
        return try await accessReport(subjectID: subjectID, requestedBy: officer, decision: decision, access: access)
    }

    /// - Parameter audited: record the report's generation (the export records its own entry instead).
    func accessReport(
        subjectID: String, requestedBy caller: AuthenticatedCaller, decision: Decision?, access: AccessContext, audited: Bool = true
    ) async throws -> AccessReport {
        let store = audit.store
        let (entries, own) = try await database.read { db -> ([AuditEntry], Set<String>) in
            let all = try Self.auditEntries(aboutSubject: subjectID, store: store, in: db)
            // Which accounts are the subject's own decides which accesses the report shows as theirs: verified rows only.
            return (all, try self.ownAccountIDs(subjectID: subjectID, in: db))
        }
        let lines = entries.compactMap { AccessReportEntry($0, ownAccounts: own) }
        guard audited else { return AccessReport(subjectID: subjectID, generatedAt: clock.now, entries: lines) }
        let audit = self.audit
        let draft = AuditTrail.draft(
            caller: caller, action: "subject.access-report", target: AuditTarget(collection: "subjects", recordID: subjectID, subjectID: subjectID),
            decision: decision, context: access, details: ["entries": String(lines.count)])
        try await guardedWrite { db in try audit.record(draft, in: db) }
        return AccessReport(subjectID: subjectID, generatedAt: clock.now, entries: lines)
    }

    /// The data subject's own account ids (verified rows only): their accesses are theirs, not someone else's.
    func ownAccountIDs(subjectID: String, in db: Database) throws -> Set<String> {
        Set(try AccountRow.fetchAll(db, sql: "SELECT * FROM accounts WHERE subject_id = ?", arguments: [subjectID])
            .map { try integrity.check($0).id })
    }

    /// Every audit entry about a data subject, oldest first, read in pages.
    static func auditEntries(
        aboutSubject subjectID: String, store: SQLiteAuditStore, in db: Database, where keep: (AuditEntry) -> Bool = { _ in true }
    ) throws -> [AuditEntry] {
        var all: [AuditEntry] = []
        var after: UInt64?
        while true {
            let page = try store.accesses(toSubject: subjectID, afterSeq: after, limit: 1000, in: db)
            all += page.filter(keep)
            guard page.count == 1000, let last = page.last else { return all }
            after = last.seq
        }
    }

    /// All of the calling citizen's data, opened for them (GDPR article 15 style): profile, requests with their
    /// fields, messages and decision reasons, payments with receipts, erasure request, and the access report.
    /// The export is audited (one entry naming the collections and fields exported).
    public func export(caller: AuthenticatedCaller, access: AccessContext) async throws -> DataExport {
        guard caller.kind == .citizen, let subjectID = caller.subjectID else {
            throw StrongroomError.forbidden("only a citizen can export their own data")
        }
        let target = AuditTarget(collection: "subjects", recordID: subjectID, subjectID: subjectID)
        let decision = decide(caller, .export, Resource(type: "subject", attributes: ["owner": .string(caller.accountID)]), access)
        guard decision.isPermitted else {
            throw await denied(decision, caller: caller, action: "subject.export", target: target, access: access, hide: false)
        }
        let accountID = caller.accountID
        let stored = try await guardedRead { db in
            // Every row is verified and every envelope must be its field's current revision: a forged or rolled-back
            // row refuses the whole export (and raises the alarm) rather than hand out data it does not vouch for.
            let account = try self.verifiedAccount(accountID, in: db)
            let accountCreatedAt = account?.createdAt
            let requests = try RequestRow.fetchAll(db, sql: "SELECT * FROM requests WHERE owner_id = ? ORDER BY created_at, id", arguments: [accountID])
                .map { try self.integrity.check($0) }
            let payments = try PaymentRow.fetchAll(db, sql: "SELECT * FROM payments WHERE owner_id = ? ORDER BY created_at, id", arguments: [accountID])
                .map { try self.integrity.check($0) }
            let messageRows = try MessageRow.fetchAll(db, sql: """
                SELECT m.* FROM messages m
                JOIN requests r ON r.id = m.request_id WHERE r.owner_id = ? ORDER BY m.created_at, m.id
                """, arguments: [accountID]).map { try self.integrity.check($0) }
                // Staff's internal notes are not the citizen's to see (checked first: a row cannot hide by its kind).
                .filter { $0.kind != MessageKind.note.rawValue }
            let messages = messageRows.map { row in
                StoredMessage(
                    id: row.id, requestID: row.requestID, authorID: row.authorID, authorRole: row.authorRole, kind: row.kind,
                    createdAt: row.createdAt)
            }
            let erasureEffectiveAt = try self.integrity.checkIfFound(ErasureRequestRow.find(subjectID, in: db))?.effectiveAt
            var sealed: [String: [FieldRows.Envelope]] = [:]
            var open: [String: [String: String]] = [:]
            func load(_ collection: String, _ id: String, revisions: FieldRevisions) throws {
                let envelopes = try FieldRows.sealed(collection: collection, recordID: id, fields: nil, in: db)
                try Self.checkRevisions(envelopes, collection: collection, recordID: id, against: revisions)
                sealed["\(collection)/\(id)"] = envelopes
                open["\(collection)/\(id)"] = try FieldRows.open(collection: collection, recordID: id, fields: nil, in: db)
            }
            try load(ProfileSchema.collection, accountID, revisions: account?.fieldRevisions ?? FieldRevisions())
            for request in requests {
                try load(Self.requestCollection, request.id, revisions: request.fieldRevisions)
                try load(Self.decisionCollection, request.id, revisions: request.fieldRevisions)
            }
            for message in messageRows { try load(Self.messageCollection, message.id, revisions: message.fieldRevisions) }
            return (
                accountCreatedAt: accountCreatedAt, requests: requests, payments: payments, messages: messages,
                erasureEffectiveAt: erasureEffectiveAt, sealed: sealed, open: open)
        }
        var exportedFields: Set<String> = []
        func opened(_ collection: String, _ id: String) throws -> [String: String] {
            var values = stored.open["\(collection)/\(id)"] ?? [:]
            for envelope in stored.sealed["\(collection)/\(id)"] ?? [] {
                do {
                    let bytes = try sealer.open(envelope.bytes, at: FieldPlace(collection: collection, recordID: id, field: envelope.field))
                    values[envelope.field] = String(decoding: bytes, as: UTF8.self)
                } catch let error as SealingError where error == .keyUnavailableCode {
                    continue  // shredded by retention: gone for everyone, the citizen included
                }
            }
            exportedFields.formUnion(values.keys.map { "\(collection).\($0)" })
            return values
        }
        let profile = try opened(ProfileSchema.collection, accountID)
        var requests: [DataExport.Request] = []
        for row in stored.requests {
            let types = catalog.service(row.serviceID).map { service in
                Dictionary(service.allFieldDefinitions.filter { $0.isActive(at: row.serviceVersion) }.map { ($0.id, $0.type) }, uniquingKeysWith: { a, _ in a })
            } ?? [:]
            let fields = try opened(Self.requestCollection, row.id).mapValues { $0 }
            let shown = Dictionary(uniqueKeysWithValues: fields.map { ($0.key, Self.display($0.value, type: types[$0.key])) })
            let decision = try opened(Self.decisionCollection, row.id)
            requests.append(DataExport.Request(
                summary: Self.requestView(row, record: RecordView(fields: [:], omitted: [])), fields: shown,
                decisionReason: decision["reason"], decisionReasonCode: decision["reason_code"]))
        }
        let messages = try stored.messages.map { message -> MessageView in
            MessageView(
                id: message.id, requestID: message.requestID, kind: message.kind, authorRole: message.authorRole,
                mine: message.authorID == accountID, createdAt: Date(millis: message.createdAt),
                body: try opened(Self.messageCollection, message.id)["body"])
        }
        let report = try await accessReport(subjectID: subjectID, requestedBy: caller, decision: decision, access: access, audited: false)
        let audit = self.audit
        let draft = AuditTrail.draft(
            caller: caller, action: "subject.export", target: target, fields: Array(exportedFields), decision: decision, context: access,
            details: ["requests": String(requests.count), "payments": String(stored.payments.count), "messages": String(messages.count)])
        try await guardedWrite { db in try audit.record(draft, in: db) }
        return DataExport(
            accountID: accountID, subjectID: subjectID, generatedAt: clock.now,
            accountCreatedAt: stored.accountCreatedAt.map(Date.init(millis:)), profile: profile, requests: requests,
            messages: messages, payments: stored.payments.map(\.view),
            erasureEffectiveAt: stored.erasureEffectiveAt.map(Date.init(millis:)), accesses: report.entries)
    }
}

/// A message row as the export reads it (metadata; the body is sealed apart).
private struct StoredMessage: Sendable {
    let id: String
    let requestID: String
    let authorID: String
    let authorRole: String
    let kind: String
    let createdAt: Int64
}

/// Everything Strongroom holds about one citizen, opened for them.
public struct DataExport: Sendable {
    public struct Request: Sendable {
        public let summary: RequestView
        /// Every stored field, opened (money shown with its decimal point).
        public let fields: [String: String]
        public let decisionReason: String?
        /// The standard reason's id (the service's `decision_reasons`), when the caseworker gave one.
        public var decisionReasonCode: String? = nil
    }

    public let accountID: String
    public let subjectID: String
    public let generatedAt: Date
    public let accountCreatedAt: Date?
    public let profile: [String: String]
    public let requests: [Request]
    public let messages: [MessageView]
    public let payments: [PaymentView]
    public let erasureEffectiveAt: Date?
    public let accesses: [AccessReportEntry]
}

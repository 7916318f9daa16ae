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

extension RecordService {
    static let messageCollection = "messages"

    /// The gate's view of the messages on a request.
    static func messageResource(_ row: RequestRow) -> Resource {
        Resource(type: "message", attributes: [
            "owner": .string(row.ownerID), "office": .string(row.office), "request_owner": .string(row.ownerID),
            "sealed": .bool(row.sealed),
        ])
    }

    /// Seals a message body bound to its place and the request subject's shredding key (so erasure and retention
    /// destroy it with the request's fields).
    func sealedMessage(
        _ text: String, kind: MessageKind, row: RequestRow, service: Service, caller: AuthenticatedCaller
    ) throws -> SealedMessage {
        let id = newOrderedID("msg")
        let key = try retentionKey(subjectID: row.subjectID, service: service, createdAt: row.createdAt)(FieldDefinition.note(id: "body"))
        let envelope = try sealer.seal(Array(text.utf8), for: FieldPlace(collection: Self.messageCollection, recordID: id, field: "body"), subjectKeyID: key)
        let messageRow = try integrity.authenticated(MessageRow(
            id: id, requestID: row.id, authorID: caller.accountID, authorKind: caller.kind.rawValue,
            authorRole: caller.kind == .citizen ? "citizen" : caller.auditRole, kind: kind.rawValue, createdAt: clock.now.millis,
            bodyRevision: try SealedEnvelope.revision(of: envelope)))
        return SealedMessage(
            row: messageRow, subjectID: row.subjectID, envelope: envelope, keyVersion: try FieldSealer.keyVersion(of: envelope).version,
            shredKey: key)
    }

    /// Posts a message on a request: by its citizen, or by staff of its office with a purpose.
    public func postMessage(_ requestID: String, body: String, caller: AuthenticatedCaller, access: AccessContext) async throws -> MessageView {
        try await post(requestID, body: body, kind: .message, action: "message.create", caller: caller, access: access)
    }

    /// Writes an internal note on a case: staff of the request's office (the same gate as a message to the citizen,
    /// with the purpose), sealed under the request subject's shredding key, never shown to the citizen.
    public func postNote(_ requestID: String, body: String, caller: AuthenticatedCaller, access: AccessContext) async throws -> MessageView {
        try await post(requestID, body: body, kind: .note, action: "note.create", caller: caller, access: access)
    }

    /// A message or note: gated as `create` on the request's messages (notes by staff only), validated, sealed and
    /// stored with its audit entry in one transaction.
    private func post(
        _ requestID: String, body: String, kind: MessageKind, action: String, caller: AuthenticatedCaller, access: AccessContext
    ) async throws -> MessageView {
        let (row, service) = try await loadRequest(requestID)
        let target = AuditTarget(collection: Self.messageCollection, recordID: requestID, subjectID: row.subjectID)
        guard kind != .note || caller.kind == .staff else {
            throw await recordRefusal(
                AuditTrail.draft(caller: caller, action: action, target: target, decision: nil, context: access, details: ["reason": "staff-only"]),
                then: StrongroomError.notFound("record"))
        }
        let decision = decide(caller, .create, Self.messageResource(row), access)
        guard decision.isPermitted else {
            throw await denied(decision, caller: caller, action: action, target: target, access: access, hide: true)
        }
        let text: String
        do {
            text = try Self.validNote(body, name: "body")
        } catch let error as StrongroomError {
            throw await refusedInput(error, caller: caller, action: action, target: target, decision: decision, access: access, knownFields: [])
        }
        let message: SealedMessage
        do {
            // Refused for an erased person: no key is made for them (here), and nothing is stored once their erasure
            // began (in the write, for a key this process still had cached).
            message = try sealedMessage(text, kind: kind, row: row, service: service, caller: caller)
            let draft = AuditTrail.draft(
                caller: caller, action: action, target: target, fields: ["body"], decision: decision, context: access,
                details: ["message": message.id])
            let audit = self.audit
            try await guardedWrite { [message] db in
                try message.insert(db)
                try audit.record(draft, in: db)
            }
        } catch let error as StrongroomError where error == .subjectErased {
            throw await refusedTransition(
                caller: caller, action: action, target: target, decision: decision, access: access, status: row.status,
                message: error.message, code: error.code)
        }
        return MessageView(
            id: message.id, requestID: requestID, kind: message.kind.rawValue, authorRole: message.authorRole, mine: true,
            createdAt: Date(millis: message.createdAt), body: text)
    }

    /// The messages on a request, oldest first, opened for a reader the policy allows; the read is audited first.
    public func messages(_ requestID: String, caller: AuthenticatedCaller, access: AccessContext) async throws -> [MessageView] {
        let (row, _) = try await loadRequest(requestID)
        let target = AuditTarget(collection: Self.messageCollection, recordID: requestID, subjectID: row.subjectID)
        let decision = decide(caller, .read, Self.messageResource(row), access)
        guard decision.isPermitted else {
            throw await denied(decision, caller: caller, action: "message.read", target: target, access: access, hide: true)
        }
        let revealBody: Bool = if case .omit = decision.fieldPlan.disposition(of: "body") { false } else { true }
        let stored = try await guardedRead { db in
            try Row.fetchAll(db, sql: """
                SELECT m.*, s.envelope
                FROM messages m LEFT JOIN sealed_fields s ON s.collection = 'messages' AND s.record_id = m.id AND s.field = 'body'
                WHERE m.request_id = ? ORDER BY m.created_at, m.id LIMIT 1000
                """, arguments: [requestID]).map { row in
                // A message moved here from another request, or forged, fails its MAC: the whole read is refused.
                let message = try self.integrity.check(MessageRow(row: row))
                let envelope = (row["envelope"] as Data?).map { [UInt8]($0) }
                if let envelope {
                    try Self.checkRevisions(
                        [FieldRows.Envelope(field: "body", bytes: envelope, keyVersion: 0)], collection: Self.messageCollection,
                        recordID: message.id, against: message.fieldRevisions)
                }
                return (id: message.id, author: message.authorID, role: message.authorRole, kind: message.kind, at: message.createdAt, envelope: envelope)
            }
            // Internal notes between staff never reach a citizen (each row is checked first, so none hides by its kind).
            .filter { caller.kind == .staff || $0.kind != MessageKind.note.rawValue }
        }
        let draft = AuditTrail.draft(
            caller: caller, action: "message.read", target: target, fields: revealBody ? ["body"] : [], decision: decision, context: access,
            details: ["count": String(stored.count)])
        let audit = self.audit
        try await guardedWrite { db in try audit.record(draft, in: db) }
        return try stored.map { item in
            var body: String?
            if revealBody, let envelope = item.envelope {
                do {
                    let bytes = try sealer.open(envelope, at: FieldPlace(collection: Self.messageCollection, recordID: item.id, field: "body"))
                    body = String(decoding: bytes, as: UTF8.self)
                } catch let error as SealingError where error == .keyUnavailableCode {
                    body = nil
                }
            }
            return MessageView(
                id: item.id, requestID: requestID, kind: item.kind, authorRole: item.role, mine: item.author == caller.accountID,
                createdAt: Date(millis: item.at), body: body)
        }
    }
}

import AuditLog
import Foundation
import GRDB

/// What a copy of the database (taken after SIGKILL, before restart) holds, checked for half-present writes: every
/// request has all its fields and its blind-index rows; no field, index, message or payment exists without its
/// request; every key a field was sealed under is in the subject key store; and the audit log and the records agree
/// for every kind of write: each record, claim, decision, message, payment, payment event, account and session has
/// its audit entry, and no audit entry names a record that is not on disk.
struct CrashDatabaseCheck {
    /// A request row as it is on disk.
    struct Row: Sendable {
        let id: String
        let ownerID: String
        let status: String
        let service: String
    }

    /// The allowed audit entries, by action: the records they name, and the messages and payment events they name.
    struct AuditIndex: Sendable {
        var targets: [String: Set<String>] = [:]
        var messageIDs: Set<String> = []
        var eventIDs: Set<String> = []

        func has(_ action: String, _ recordID: String) -> Bool { targets[action]?.contains(recordID) ?? false }
    }

    struct Result: Sendable {
        var rows: [Row]
        var problems: [String]
        var note: String
        var audit: AuditIndex
        var messageIDs: Set<String>
        var paymentIDs: Set<String>
        var accountIDs: Set<String>
    }

    let snapshot: String

    func run() throws -> Result {
        guard FileManager.default.fileExists(atPath: "\(snapshot)/strongroom.sqlite") else {
            throw BenchError("no database copy at \(snapshot)/strongroom.sqlite")
        }
        // Opening a copy changes it (its WAL is checkpointed and removed on close, a hot journal rolled back): the
        // check reads a copy of the copy, so the snapshot stays as the crash left it, for a look after a failure.
        let working = try ScratchDirectory(prefix: "strongroom-crash-check")
        for name in try FileManager.default.contentsOfDirectory(atPath: snapshot) where name.hasPrefix("strongroom.sqlite") || name.hasPrefix("subjects.sqlite") {
            try FileManager.default.copyItem(atPath: "\(snapshot)/\(name)", toPath: working.appending(name))
        }
        let database = working.appending("strongroom.sqlite"), subjects = working.appending("subjects.sqlite")
        var configuration = Configuration()
        // A forged copy (the self-test) may break references on purpose: this reads what is there.
        configuration.foreignKeysEnabled = false
        let queue = try DatabaseQueue(path: database, configuration: configuration)
        var problems: [String] = []
        func report(_ items: [String], _ text: (String) -> String, all: (Int) -> String) {
            for item in items.sorted().prefix(5) { problems.append(text(item)) }
            if items.count > 5 { problems.append(all(items.count)) }
        }
        var result = Result(rows: [], problems: [], note: "", audit: AuditIndex(), messageIDs: [], paymentIDs: [], accountIDs: [])
        try queue.inDatabase { db in
            let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
            if integrity != ["ok"] { problems.append("integrity_check: \(integrity.prefix(3).joined(separator: "; "))") }
            let rows = try Row.fetchEvery(db)
            result.rows = rows

            // Fields: every request has all of its service's fields, and every field row has its request.
            let fieldCounts = try GRDB.Row.fetchAll(db, sql: """
                SELECT r.id, r.service_id,
                    (SELECT COUNT(*) FROM sealed_fields s WHERE s.collection = 'requests' AND s.record_id = r.id)
                    + (SELECT COUNT(*) FROM open_fields o WHERE o.collection = 'requests' AND o.record_id = r.id) AS n
                FROM requests r
                """)
            let wrongFieldCount = fieldCounts.filter { row in
                (row["n"] as Int) != CrashRequestValues.fieldCount(service: row["service_id"])
            }.map { "\($0["id"] as String) (\($0["service_id"] as String), \($0["n"] as Int) fields)" }
            report(wrongFieldCount, { "request \($0) does not have all its fields on disk" }, all: { "… \($0) requests in all without all their fields" })
            for table in ["sealed_fields", "open_fields", "blind_indexes"] {
                let orphans = try Int.fetchOne(db, sql: """
                    SELECT COUNT(*) FROM \(table) WHERE collection = 'requests' AND record_id NOT IN (SELECT id FROM requests)
                    """) ?? 0
                if orphans > 0 { problems.append("\(orphans) rows in \(table) belong to no request (half-written request)") }
            }
            let indexCounts = try GRDB.Row.fetchAll(db, sql: """
                SELECT r.service_id AS service, MIN(n) AS low, MAX(n) AS high FROM (
                    SELECT id, service_id, (SELECT COUNT(*) FROM blind_indexes b WHERE b.collection = 'requests' AND b.record_id = r.id) AS n
                    FROM requests r) r GROUP BY r.service_id
                """)
            for row in indexCounts where (row["low"] as Int) != (row["high"] as Int) || (row["low"] as Int) == 0 {
                problems.append("\(row["service"] as String) requests have between \(row["low"] as Int) and \(row["high"] as Int) blind-index rows; "
                    + "every one should have the same number, at least one")
            }
            let notSubmitted = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM requests WHERE status <> 'draft' AND submitted_at IS NULL") ?? 0
            if notSubmitted > 0 { problems.append("\(notSubmitted) requests are past draft without a submission time") }
            let undecided = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM requests WHERE (status = 'decided' AND (outcome IS NULL OR decided_at IS NULL))
                    OR (outcome IS NOT NULL AND status NOT IN ('decided', 'closed'))
                """) ?? 0
            if undecided > 0 { problems.append("\(undecided) requests have a decision status without an outcome and time, or the other way round") }
            let unassigned = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM requests WHERE status = 'in-review' AND assignee_id IS NULL") ?? 0
            if unassigned > 0 { problems.append("\(unassigned) requests are in review without an assignee (half-written claim)") }
            let loginless = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM accounts a WHERE NOT EXISTS
                    (SELECT 1 FROM sealed_fields s WHERE s.collection = 'accounts' AND s.record_id = a.id)
                """) ?? 0
            if loginless > 0 { problems.append("\(loginless) accounts have no sealed login (half-written sign-up)") }

            // Messages and payments: each with its request, its body, its receipt.
            let messages = try GRDB.Row.fetchAll(db, sql: "SELECT id, request_id, kind FROM messages")
            let requestIDs = Set(rows.map(\.id))
            result.messageIDs = Set(messages.map { $0["id"] as String })
            let strayMessages = messages.filter { !requestIDs.contains($0["request_id"]) }.map { $0["id"] as String }
            report(strayMessages, { "message \($0) belongs to no request on disk" }, all: { "… \($0) messages without their request" })
            let bodiless = try String.fetchAll(db, sql: """
                SELECT m.id FROM messages m WHERE NOT EXISTS
                    (SELECT 1 FROM sealed_fields s WHERE s.collection = 'messages' AND s.record_id = m.id)
                """)
            report(bodiless, { "message \($0) has no sealed body (half-written message)" }, all: { "… \($0) messages without a body" })
            let bodyOrphans = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM sealed_fields WHERE collection = 'messages' AND record_id NOT IN (SELECT id FROM messages)
                """) ?? 0
            if bodyOrphans > 0 { problems.append("\(bodyOrphans) sealed message bodies belong to no message") }
            let payments = try GRDB.Row.fetchAll(db, sql: "SELECT id, request_id, status, receipt_number, paid_at FROM payments")
            result.paymentIDs = Set(payments.map { $0["id"] as String })
            let strayPayments = payments.filter { !requestIDs.contains($0["request_id"]) }.map { $0["id"] as String }
            report(strayPayments, { "payment \($0) belongs to no request on disk" }, all: { "… \($0) payments without their request" })
            let receiptless = payments.filter { ($0["status"] as String) == "paid" && (($0["receipt_number"] as String?) == nil || ($0["paid_at"] as Int64?) == nil) }
            report(receiptless.map { $0["id"] }, { "payment \($0) is paid without a receipt and a payment time" }, all: { "… \($0) paid payments without receipts" })
            let feeless = try String.fetchAll(db, sql: """
                SELECT r.id FROM requests r WHERE r.service_id = ? AND r.outcome = 'approved'
                    AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.request_id = r.id)
                """, arguments: [CrashRequestValues.feeServiceID])
            report(feeless, { "approved fee payment request \($0) has no payment (its fee was not made due with the decision)" }, all: { "… \($0) in all" })
            let events = try GRDB.Row.fetchAll(db, sql: "SELECT event_id, payment_id FROM payment_events")
            let strayEvents = events.filter { !result.paymentIDs.contains($0["payment_id"]) }.map { $0["event_id"] as String }
            report(strayEvents, { "payment event \($0) belongs to no payment" }, all: { "… \($0) payment events without their payment" })
            let accounts = try GRDB.Row.fetchAll(db, sql: "SELECT id, kind FROM accounts")
            result.accountIDs = Set(accounts.map { $0["id"] as String })

            // The audit log: every allowed entry that names a record names one on disk (nothing is audited that
            // did not commit with it), and every record and change on disk has its entry (nothing committed
            // without its entry).
            var audit = AuditIndex()
            var sessionEntries: [String: Int] = [:]
            var notOnDisk: [String] = []
            let entryRows = try GRDB.Row.fetchAll(db, sql: "SELECT seq, canonical, chain_hash FROM audit_entry ORDER BY seq")
            for row in entryRows {
                let entry: AuditEntry
                do {
                    entry = try AuditEntry(canonicalBytes: [UInt8](row["canonical"] as Data), chainHash: [UInt8](row["chain_hash"] as Data))
                } catch {
                    problems.append("audit entry \(row["seq"] as Int64) does not decode: \(error)")
                    continue
                }
                guard entry.decision.effect == .allow, let recordID = entry.target.recordID else { continue }
                audit.targets[entry.action, default: []].insert(recordID)
                let known: Bool
                switch entry.target.collection {
                case "requests": known = requestIDs.contains(recordID)
                case "payments": known = result.paymentIDs.contains(recordID)
                case "accounts": known = result.accountIDs.contains(recordID)
                case "messages": known = requestIDs.contains(recordID)
                default: known = true
                }
                if !known { notOnDisk.append("\(entry.action) (entry \(entry.seq)) names \(entry.target.collection ?? "?") \(recordID)") }
                if entry.action == "message.create", let message = entry.details["message"] {
                    audit.messageIDs.insert(message)
                    if !result.messageIDs.contains(message) { notOnDisk.append("message.create (entry \(entry.seq)) names message \(message)") }
                }
                if entry.action == "payment.event", let event = entry.details["event"] {
                    audit.eventIDs.insert(event)
                    if !events.contains(where: { $0["event_id"] == event }) { notOnDisk.append("payment.event (entry \(entry.seq)) names event \(event)") }
                }
                if entry.action == "session.create" { sessionEntries[recordID, default: 0] += 1 }
            }
            result.audit = audit
            report(notOnDisk, { "audit entry \($0), which is not in the database" }, all: { "… \($0) audit entries name records not on disk" })

            var unaudited: [String] = []
            for row in rows where !audit.has("request.create", row.id) { unaudited.append("request \(row.id) has no request.create entry") }
            let requestFacts = try GRDB.Row.fetchAll(db, sql: "SELECT id, assignee_id, outcome, decided_by_rule FROM requests")
            for row in requestFacts {
                let id: String = row["id"]
                if (row["assignee_id"] as String?) != nil && !audit.has("case.claim", id) && !audit.has("case.assign", id) {
                    unaudited.append("request \(id) has an assignee without a case.claim entry")
                }
                if (row["outcome"] as String?) != nil {
                    let action = (row["decided_by_rule"] as String?) == nil ? "case.decide" : "request.auto-decide"
                    if !audit.has(action, id) { unaudited.append("request \(id) is decided without a \(action) entry") }
                }
            }
            for row in messages {
                let id: String = row["id"], kind: String = row["kind"], request: String = row["request_id"]
                switch kind {
                case "message": if !audit.messageIDs.contains(id) { unaudited.append("message \(id) has no message.create entry") }
                case "decision": if !audit.has("case.decide", request) { unaudited.append("decision message \(id) has no case.decide entry for \(request)") }
                default: if !audit.has("case.request-info", request) { unaudited.append("message \(id) (\(kind)) has no case.request-info entry") }
                }
            }
            for row in payments {
                let id: String = row["id"], status: String = row["status"]
                if !audit.has("payment.due", id) { unaudited.append("payment \(id) has no payment.due entry") }
                if ["processing", "paid", "failed"].contains(status) && !audit.has("payment.pay", id) {
                    unaudited.append("payment \(id) is \(status) without a payment.pay entry")
                }
                if status == "paid" && !audit.has("payment.event", id) { unaudited.append("payment \(id) is paid without a payment.event entry") }
            }
            for row in events where !audit.eventIDs.contains(row["event_id"] as String) {
                unaudited.append("payment event \(row["event_id"] as String) has no payment.event entry")
            }
            for row in accounts {
                let id: String = row["id"], kind: String = row["kind"]
                let action = kind == "staff" ? "staff.create" : "account.create"
                if !audit.has(action, id) { unaudited.append("\(kind) account \(id) has no \(action) entry") }
            }
            let sessions = try GRDB.Row.fetchAll(db, sql: "SELECT account_id, COUNT(*) AS n FROM sessions GROUP BY account_id")
            for row in sessions where (row["n"] as Int) > sessionEntries[row["account_id"] as String, default: 0] {
                unaudited.append("account \(row["account_id"] as String) has \(row["n"] as Int) sessions but \(sessionEntries[row["account_id"] as String, default: 0]) session.create entries")
            }
            report(unaudited, { "\($0) (committed without its audit entry)" }, all: { "… \($0) writes on disk without their audit entries" })

            var note = ""
            if FileManager.default.fileExists(atPath: subjects) {
                try db.execute(sql: "ATTACH DATABASE ? AS subjects", arguments: [subjects])
                // Keys destroyed by an erasure or a sweep that had not removed their fields yet are listed in
                // `unswept_keys` (the next sweep removes those fields): expected after a crash, not a loss.
                let journaled = try Bool.fetchOne(
                    db, sql: "SELECT COUNT(*) > 0 FROM subjects.sqlite_master WHERE type = 'table' AND name = 'unswept_keys'") ?? false
                let missingKeys = try Int.fetchOne(db, sql: """
                    SELECT COUNT(DISTINCT shred_key) FROM sealed_fields
                    WHERE shred_key IS NOT NULL AND shred_key NOT IN (SELECT id FROM subjects.shredding_keys)
                    \(journaled ? "AND shred_key NOT IN (SELECT id FROM subjects.unswept_keys)" : "")
                    """) ?? 0
                if missingKeys > 0 { problems.append("\(missingKeys) shredding keys that sealed fields need are not in the subject key store") }
                let keyCount = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM subjects.shredding_keys") ?? 0
                note = ", \(keyCount) shredding keys"
            } else {
                problems.append("no copy of the subject key store (subjects.sqlite) in \(snapshot)")
            }
            result.note = "\(rows.count) requests, \(messages.count) messages, \(payments.count) payments, \(accounts.count) accounts, "
                + "\(entryRows.count) audit entries" + note
        }
        try queue.close()
        withExtendedLifetime(working) {}
        result.problems = problems
        return result
    }
}

extension CrashDatabaseCheck.Row: FetchableRecord {
    init(row: GRDB.Row) {
        id = row["id"]
        ownerID = row["owner_id"]
        status = row["status"]
        service = row["service_id"]
    }

    static func fetchEvery(_ db: Database) throws -> [CrashDatabaseCheck.Row] {
        try fetchAll(db, sql: "SELECT id, owner_id, status, service_id FROM requests ORDER BY id")
    }
}

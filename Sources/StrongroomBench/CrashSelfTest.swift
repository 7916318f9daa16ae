import AuditLog
import Foundation
import GRDB

/// The crash checker's own test: a checker that cannot fail proves nothing. Given a state directory and a database
/// copy the checker passes, it forges one fault at a time in copies (never in the originals) and requires the
/// checker to report each.
struct CrashSelfTest {
    let port: Int
    let state: String
    let snapshot: String
    let round: Int

    struct Outcome {
        var lines: [String] = []
        var failures: [String] = []
    }

    func run() throws -> Outcome {
        var outcome = Outcome()
        let intact = try CrashChecker(port: port, state: state, snapshot: snapshot, round: round, resample: 20, readers: 4).run()
        if intact.problems.isEmpty {
            outcome.lines.append("intact state and copy: passes (\(intact.lines.first ?? ""))")
        } else {
            outcome.failures.append("the checker fails the intact state and copy: \(intact.problems.prefix(3).joined(separator: "; "))")
            return outcome
        }
        let entries = try CrashJournal.readAll(state: state)
        let acknowledgedCreate = entries.last { $0.kind == .ack && $0.step == .create && $0.service != CrashRequestValues.feeServiceID && $0.id != nil }
        let acknowledgedMessage = entries.last { $0.kind == .ack && $0.step == .message && $0.messageID != nil }
        guard let create = acknowledgedCreate, let requestID = create.id else {
            outcome.failures.append("the state has no acknowledged benefit request to forge faults with: the load wrote too little")
            return outcome
        }
        let scratch = try ScratchDirectory(prefix: "strongroom-crash-self-test")

        // (a) The journal claims acknowledged writes the database does not hold.
        try expect("a journal claiming an acknowledged request the database lacks", reporting: ["is not on disk after the crash"], into: &outcome, scratch: scratch) { state, _ in
            var ghost = create
            ghost.number = 999_999_999
            ghost.id = "req_0000000000000000000000000000"
            ghost.kind = .intent
            try Self.append([ghost, { var ack = ghost; ack.kind = .ack; return ack }()], to: state, round: round)
        }
        if let message = acknowledgedMessage {
            try expect("a journal claiming an acknowledged message the database lacks", reporting: ["acknowledged message msg_0000"], into: &outcome, scratch: scratch) { state, _ in
                var ghost = message
                ghost.body = (ghost.body ?? "") + " (forged)"
                ghost.messageID = "msg_0000000000000000000000000000"
                ghost.kind = .intent
                try Self.append([ghost, { var ack = ghost; ack.kind = .ack; return ack }()], to: state, round: round)
            }
        } else {
            outcome.failures.append("the state has no acknowledged message to forge a lost one with")
        }
        // (b) Half-written requests, forged by SQL in the copy.
        try expect("a request with one of its field rows missing", reporting: ["does not have all its fields on disk"], into: &outcome, scratch: scratch) { _, copy in
            try Self.forge(copy) { db in
                try db.execute(sql: """
                    DELETE FROM sealed_fields WHERE collection = 'requests' AND record_id = ?1
                        AND field = (SELECT field FROM sealed_fields WHERE collection = 'requests' AND record_id = ?1 ORDER BY field LIMIT 1)
                    """, arguments: [requestID])
            }
        }
        try expect(
            "fields and audit entries whose request row is missing",
            reporting: ["belong to no request", "audit entry request.create", "is not on disk after the crash"], into: &outcome, scratch: scratch
        ) { _, copy in
            try Self.forge(copy) { db in try db.execute(sql: "DELETE FROM requests WHERE id = ?", arguments: [requestID]) }
        }
        try expect("a request committed without its audit entry (a request row added by SQL)", reporting: ["has no request.create entry"], into: &outcome, scratch: scratch) { _, copy in
            try Self.forge(copy) { db in
                let forged = "req_ffffffffffffffffffffffffffff"
                for table in ["requests"] {
                    let columns = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?)", arguments: [table])
                    let select = columns.map { $0 == "id" ? "?" : $0 }.joined(separator: ", ")
                    try db.execute(sql: "INSERT INTO requests (\(columns.joined(separator: ", "))) SELECT \(select) FROM requests WHERE id = ?",
                        arguments: [forged, requestID])
                }
                for table in ["sealed_fields", "open_fields", "blind_indexes"] {
                    let columns = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?)", arguments: [table])
                    let list = columns.joined(separator: ", ")
                    let select = columns.map { $0 == "record_id" ? "?" : $0 }.joined(separator: ", ")
                    try db.execute(sql: "INSERT INTO \(table) (\(list)) SELECT \(select) FROM \(table) WHERE collection = 'requests' AND record_id = ?",
                        arguments: [forged, requestID])
                }
            }
        }
        // (c) An acknowledged write whose audit entry is missing (the append-only trigger dropped in the copy).
        if let claim = entries.last(where: { $0.kind == .ack && $0.step == .claim }), let claimed = claim.id {
            try expect(
                "an acknowledged claim without its audit entry", reporting: ["has no case.claim audit entry", "without a case.claim entry"],
                into: &outcome, scratch: scratch
            ) { _, copy in
                try Self.forge(copy) { db in
                    try db.execute(sql: "DROP TRIGGER audit_entry_no_delete")
                    var deleted = 0
                    for row in try Row.fetchAll(db, sql: "SELECT seq, canonical, chain_hash FROM audit_entry WHERE action = 'case.claim'") {
                        let entry = try AuditEntry(canonicalBytes: [UInt8](row["canonical"] as Data), chainHash: [UInt8](row["chain_hash"] as Data))
                        guard entry.target.recordID == claimed else { continue }
                        try db.execute(sql: "DELETE FROM audit_entry WHERE seq = ?", arguments: [entry.seq])
                        deleted += 1
                    }
                    if deleted == 0 { throw BenchError("no case.claim audit entry for \(claimed) to remove") }
                }
            }
        } else {
            outcome.failures.append("the state has no acknowledged claim to forge an unaudited one with")
        }
        if let message = acknowledgedMessage?.messageID {
            try expect(
                "an acknowledged message whose row is missing", reporting: ["acknowledged message", "audit entry message.create"],
                into: &outcome, scratch: scratch
            ) { _, copy in
                try Self.forge(copy) { db in try db.execute(sql: "DELETE FROM messages WHERE id = ?", arguments: [message]) }
            }
        }
        return outcome
    }

    /// Copies the state and the snapshot, lets `forge` change the copies, and requires the checker to fail them.
    /// Copies the state and the snapshot, lets `forge` change the copies, and requires the checker to fail them
    /// with problems that name the fault (each of `reporting` in some problem): any failure would not do, since a
    /// check that fires for another reason proves nothing about this one.
    private func expect(
        _ fault: String, reporting expected: [String], into outcome: inout Outcome, scratch: ScratchDirectory,
        forge: (_ state: String, _ snapshot: String) throws -> Void
    ) throws {
        let base = scratch.path + "/case-\(outcome.lines.count + outcome.failures.count)"
        let stateCopy = base + "/state", snapshotCopy = base + "/snapshot"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: state, toPath: stateCopy)
        try FileManager.default.copyItem(atPath: snapshot, toPath: snapshotCopy)
        try forge(stateCopy, snapshotCopy)
        var checker = CrashChecker(port: port, state: stateCopy, snapshot: snapshotCopy, round: round, resample: 0, readers: 1)
        checker.offline = true
        let report = try checker.run()
        let missed = expected.filter { text in !report.problems.contains { $0.contains(text) } }
        if report.problems.isEmpty {
            outcome.failures.append("the checker did not detect \(fault)")
        } else if !missed.isEmpty {
            outcome.failures.append("the checker did not report \(fault) as expected (no problem mentions \(missed.map { "\"\($0)\"" }.joined(separator: ", "))); "
                + "it reported: \(report.problems.prefix(3).joined(separator: "; "))")
        } else {
            outcome.lines.append("\(fault): detected (\(report.problems.count) problems, e.g. \(report.problems.first { $0.contains(expected[0]) }!))")
        }
    }

    private static func append(_ entries: [CrashJournal.Entry], to state: String, round: Int) throws {
        let journal = try CrashJournal(path: CrashJournal.path(state: state, round: round))
        for entry in entries { journal.record(entry) }
    }

    private static func forge(_ snapshot: String, _ change: (Database) throws -> Void) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = false
        let queue = try DatabaseQueue(path: snapshot + "/strongroom.sqlite", configuration: configuration)
        try queue.inDatabase { db in try change(db) }
        try queue.close()
    }
}

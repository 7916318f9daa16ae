import Foundation

/// After a SIGKILL and a restart: every acknowledged write is on disk and reads back through the API exactly as
/// acknowledged; every request that is on disk without an acknowledgement is one the test sent and is whole (one
/// version of all its fields, in a state one of its steps could have left); and the database copy has nothing
/// half-written (``CrashDatabaseCheck``).
struct CrashChecker {
    let port: Int
    let state: String
    let snapshot: String
    let round: Int
    /// Requests acknowledged in earlier rounds (already read back then) that are read back again, at random.
    let resample: Int
    let readers: Int

    /// One request's history from the journal.
    struct History: Sendable {
        var number: Int
        var owner: Int
        var createsSubmitted: Bool
        var round: Int
        var id: String?
        var steps: [(step: CrashJournal.Entry.Step, ack: CrashJournal.Entry?)] = []
    }

    /// A state a request may be found in: its status (`nil` = any status but draft) and its fields (exact, as
    /// acknowledged, or the values sent).
    struct Allowed: Sendable {
        var draft: Bool
        var status: String?
        var exactFields: [String: String]?
        var sentVersion: Int
    }

    struct Report {
        var problems: [String]
        var lines: [String]
    }

    func run() throws -> Report {
        let citizens = try CrashCitizen.load(state: state)
        let entries = try CrashJournal.readAll(state: state)
        var histories: [Int: History] = [:]
        for entry in entries {
            var history = histories[entry.number]
                ?? History(number: entry.number, owner: entry.owner, createsSubmitted: entry.submit ?? false, round: entry.round)
            if entry.kind == .intent {
                history.steps.append((entry.step, nil))
            } else if let last = history.steps.indices.last, history.steps[last].step == entry.step {
                history.steps[last].ack = entry
                if entry.step == .create { history.id = entry.id }
            }
            histories[entry.number] = history
        }
        let byID = Dictionary(uniqueKeysWithValues: histories.values.compactMap { history in history.id.map { ($0, history.number) } })

        let fieldCount = CrashRequestValues.fields(number: 0, version: 1).count
        let (rows, databaseProblems, databaseNote) = try CrashDatabaseCheck(snapshot: snapshot, fieldsPerRequest: fieldCount).run()
        var problems = databaseProblems
        let onDisk = Dictionary(uniqueKeysWithValues: rows.map { ($0.id, $0) })

        // Durability: every acknowledged create is on disk.
        let acknowledged = histories.values.filter { $0.id != nil }
        let missing = acknowledged.filter { onDisk[$0.id!] == nil }
        for history in missing.prefix(10) {
            problems.append("acknowledged request \(history.number) (\(history.id!), round \(history.round)) is not on disk after the crash")
        }
        if missing.count > 10 { problems.append("… \(missing.count) acknowledged requests missing in all") }

        // What to read back through the API: this round's requests, every request on disk that was never
        // acknowledged, and a sample of earlier rounds' requests.
        let ownerIndex = Dictionary(uniqueKeysWithValues: citizens.enumerated().map { ($0.element.accountID, $0.offset) })
        var toRead: [(id: String, owner: Int, number: Int?)] = []
        var earlier: [(id: String, owner: Int, number: Int?)] = []
        for row in rows {
            guard let owner = ownerIndex[row.ownerID] else {
                problems.append("request \(row.id) on disk belongs to an account the test never made")
                continue
            }
            if let number = byID[row.id] {
                if histories[number]!.round == round { toRead.append((row.id, owner, number)) } else { earlier.append((row.id, owner, number)) }
            } else {
                toRead.append((row.id, owner, nil))
            }
        }
        let unacknowledgedOnDisk = toRead.filter { $0.number == nil }.count
        toRead += earlier.shuffled().prefix(resample)

        let readProblems = SharedList<String>()
        let wholeUnacknowledged = SharedCounter()
        let readers = self.readers, port = self.port
        let work = toRead
        let snapshotHistories = histories
        ThreadWorkers.run(readers) { reader in
            let client = LoopbackHTTPClient(port: port, timeoutSeconds: 30)
            for index in stride(from: reader, to: work.count, by: readers) {
                let item = work[index]
                do {
                    let response = try client.send("GET", "/v1/requests/\(item.id)", token: citizens[item.owner].token)
                    guard response.status == 200, let object = response.jsonObject else {
                        readProblems.append("request \(item.id) on disk does not read back as its owner after restart: HTTP \(response.status)")
                        continue
                    }
                    let status = object["status"] as? String ?? "?"
                    let fields = CrashLoadDriver.shownFields(object)
                    var number = item.number
                    if number == nil {
                        guard let marker = CrashRequestValues.marker(inFullName: fields["full_name"] ?? "") else {
                            readProblems.append("request \(item.id) was never acknowledged and its full_name carries no request number")
                            continue
                        }
                        number = marker.number
                        guard let history = snapshotHistories[marker.number], history.owner == item.owner else {
                            readProblems.append("request \(item.id) names request \(marker.number), which the test never sent as this owner")
                            continue
                        }
                        if let other = history.id, other != item.id {
                            readProblems.append("request \(marker.number) is on disk twice: acknowledged as \(other), also as \(item.id)")
                            continue
                        }
                        wholeUnacknowledged.add()
                    }
                    let history = snapshotHistories[number!]!
                    let allowed = Self.allowedStates(history)
                    if !allowed.contains(where: { Self.matches($0, status: status, fields: fields, number: number!) }) {
                        let acked = history.steps.filter { $0.ack != nil }.map(\.step.rawValue).joined(separator: ",")
                        let sent = history.steps.map(\.step.rawValue).joined(separator: ",")
                        let closest = allowed.map { Self.differences($0, status: status, fields: fields, number: number!) }.min { $0.count < $1.count } ?? []
                        readProblems.append(
                            "request \(number!) (\(item.id)) reads back as status \(status) with fields that match no state its writes "
                                + "could leave (sent: \(sent); acknowledged: \(acked.isEmpty ? "none" : acked)): \(closest.joined(separator: ", "))")
                    }
                } catch {
                    readProblems.append("reading \(item.id) after restart failed: \(error)")
                }
            }
        }
        problems += readProblems.all

        let roundEntries = entries.filter { $0.round == round }
        let acks = roundEntries.filter { $0.kind == .ack }
        let ackedSteps = Dictionary(grouping: acks, by: \.step).mapValues(\.count)
        let unanswered = roundEntries.filter { $0.kind == .intent }.count - acks.count
        let lines = [
            "round \(round): \(acks.count) writes acknowledged (\(ackedSteps[.create] ?? 0) creates, \(ackedSteps[.update] ?? 0) updates, "
                + "\(ackedSteps[.submit] ?? 0) submits); \(unanswered) sent without an answer",
            "on disk after SIGKILL: \(databaseNote); all \(acknowledged.count - missing.count) of \(acknowledged.count) acknowledged requests present",
            "read back as their owners: \(toRead.count) requests (this round's, \(unacknowledgedOnDisk) committed without an acknowledgement, "
                + "\(min(resample, earlier.count)) from earlier rounds); \(wholeUnacknowledged.current) unacknowledged ones whole",
        ]
        return Report(problems: problems, lines: lines)
    }

    /// The states a request may be in: the one its last acknowledged step left, and the one the next step sent
    /// (if any) would leave. A request whose create was never acknowledged may also be in its created state.
    static func allowedStates(_ history: History) -> [Allowed] {
        func state(after index: Int) -> Allowed {
            let step = history.steps[index]
            if let ack = step.ack {
                return Allowed(draft: ack.status == "draft", status: ack.status, exactFields: ack.fields, sentVersion: step.step == .create ? 1 : 2)
            }
            switch step.step {
            case .create: return Allowed(draft: !history.createsSubmitted, status: history.createsSubmitted ? nil : "draft", exactFields: nil, sentVersion: 1)
            case .update: return Allowed(draft: true, status: "draft", exactFields: nil, sentVersion: 2)
            case .submit:
                let fields = index > 0 ? history.steps[index - 1].ack?.fields : nil
                return Allowed(draft: false, status: nil, exactFields: fields, sentVersion: 2)
            }
        }
        guard let lastAcked = history.steps.lastIndex(where: { $0.ack != nil }) else {
            return history.steps.isEmpty ? [] : [state(after: 0)]
        }
        var out = [state(after: lastAcked)]
        if lastAcked + 1 < history.steps.count { out.append(state(after: lastAcked + 1)) }
        return out
    }

    static func matches(_ allowed: Allowed, status: String, fields: [String: String], number: Int) -> Bool {
        differences(allowed, status: status, fields: fields, number: number).isEmpty
    }

    static func differences(_ allowed: Allowed, status: String, fields: [String: String], number: Int) -> [String] {
        var out: [String] = []
        if let expected = allowed.status {
            if status != expected { out.append("status \(status), expected \(expected)") }
        } else if status == "draft" {
            out.append("still a draft, expected submitted")
        }
        if let exact = allowed.exactFields {
            if exact != fields {
                out += Set(exact.keys).union(fields.keys).filter { exact[$0] != fields[$0] }.sorted().map { "\($0) differs from the acknowledged value" }
            }
        } else {
            out += CrashRequestValues.differences(shown: fields, sent: CrashRequestValues.fields(number: number, version: allowed.sentVersion))
        }
        return out
    }
}

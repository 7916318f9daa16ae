import Foundation

/// After a SIGKILL and a restart: every acknowledged write of every kind is on disk, has its audit entry and reads
/// back through the API exactly as acknowledged; every write that is on disk without an acknowledgement is one the
/// test sent and is whole (a request with one version of all its fields, in a state one of its writes could have
/// left; a message with the body sent; a payment in a state its pay could leave); and the database copy has nothing
/// half-written and no audit entry without its record or record without its entry (``CrashDatabaseCheck``).
struct CrashChecker {
    let port: Int
    let state: String
    let snapshot: String
    let round: Int
    /// Requests acknowledged in earlier rounds (already read back then) that are read back again, at random.
    let resample: Int
    let readers: Int
    /// Skip reading back over HTTP (the self-test's forged copies: only the journal and the copy are compared).
    var offline = false

    typealias Entry = CrashJournal.Entry

    /// One write: what was sent, and its acknowledgement if one came.
    struct Step: Sendable {
        var intent: Entry
        var ack: Entry?
    }

    /// One citizen request's history from the journal.
    struct History: Sendable {
        var number: Int
        var owner: Int
        var createsSubmitted: Bool
        var round: Int
        var service: String
        var id: String?
        /// create, update, submit.
        var steps: [Step] = []
        var pay: Step?
        var paymentID: String?
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

    /// Everything the journals say, keyed for the checks.
    struct JournalView: Sendable {
        var histories: [Int: History] = [:]
        /// Request id → request number, for acknowledged creates.
        var byID: [String: Int] = [:]
        /// Casework (claim, decide) and messages, by request id.
        var caseSteps: [String: [Step]] = [:]
        var messages: [String: [Step]] = [:]
        /// Sign-ups (signUp, signIn), by sign-up number.
        var signUps: [Int: [Step]] = [:]
        /// Request numbers and ids this round wrote to.
        var touchedNumbers: Set<Int> = []
        var touchedIDs: Set<String> = []

        init(entries: [Entry], round: Int) {
            func attach(_ entry: Entry, to steps: inout [Step]) {
                if entry.kind == .intent {
                    steps.append(Step(intent: entry))
                } else if let index = steps.lastIndex(where: { $0.ack == nil && $0.intent.step == entry.step && $0.intent.body == entry.body }) {
                    steps[index].ack = entry
                }
            }
            for entry in entries {
                switch entry.step {
                case .create, .update, .submit, .pay:
                    var history = histories[entry.number] ?? History(
                        number: entry.number, owner: entry.owner, createsSubmitted: entry.submit ?? false, round: entry.round,
                        service: entry.service ?? CrashRequestValues.serviceID)
                    if entry.step == .pay {
                        if entry.kind == .intent { history.pay = Step(intent: entry) } else { history.pay?.ack = entry }
                    } else {
                        attach(entry, to: &history.steps)
                        if entry.kind == .ack && entry.step == .create {
                            history.id = entry.id
                            history.paymentID = entry.paymentID
                            if let id = entry.id { byID[id] = entry.number }
                        }
                    }
                    histories[entry.number] = history
                    if entry.round == round { touchedNumbers.insert(entry.number) }
                case .claim, .decide:
                    guard let id = entry.id else { continue }
                    attach(entry, to: &caseSteps[id, default: []])
                    if entry.round == round { touchedIDs.insert(id) }
                case .message:
                    guard let id = entry.id else { continue }
                    attach(entry, to: &messages[id, default: []])
                    if entry.round == round { touchedIDs.insert(id) }
                case .signUp, .signIn:
                    attach(entry, to: &signUps[entry.number, default: []])
                }
            }
        }
    }

    func run() throws -> Report {
        let entries = try CrashJournal.readAll(state: state)
        let citizens = try CrashCitizen.all(state: state, entries: entries)
        let journal = JournalView(entries: entries, round: round)
        let histories = journal.histories

        let database = try CrashDatabaseCheck(snapshot: snapshot).run()
        var problems = database.problems
        let onDisk = Dictionary(uniqueKeysWithValues: database.rows.map { ($0.id, $0) })
        let audit = database.audit

        // Durability and audit, from the journal alone: every acknowledged write is on disk with its audit entry.
        var lost: [String] = []
        var acknowledgedRequests = 0
        for history in histories.values.sorted(by: { $0.number < $1.number }) {
            guard let id = history.id else { continue }
            acknowledgedRequests += 1
            guard onDisk[id] != nil else {
                lost.append("acknowledged request \(history.number) (\(id), round \(history.round)) is not on disk after the crash")
                continue
            }
            for step in history.steps where step.ack != nil {
                let action = "request.\(step.intent.step.rawValue)"
                if !audit.has(action, id) { lost.append("acknowledged \(step.intent.step.rawValue) of request \(id) has no \(action) audit entry") }
            }
            if let paymentID = history.paymentID {
                if !database.paymentIDs.contains(paymentID) {
                    lost.append("the fee of acknowledged request \(id) (payment \(paymentID)) is not on disk")
                } else if !audit.has("payment.due", paymentID) {
                    lost.append("payment \(paymentID) of acknowledged request \(id) has no payment.due audit entry")
                }
            }
            if let pay = history.pay?.ack, let paymentID = pay.paymentID {
                if !audit.has("payment.pay", paymentID) { lost.append("acknowledged payment of \(paymentID) has no payment.pay audit entry") }
                if pay.status == "paid" && !audit.has("payment.event", paymentID) {
                    lost.append("acknowledged paid payment \(paymentID) has no payment.event audit entry")
                }
            }
        }
        for (id, steps) in journal.caseSteps {
            for step in steps where step.ack != nil {
                let action = "case.\(step.intent.step.rawValue)"
                if onDisk[id] == nil {
                    lost.append("request \(id), acknowledged as claimed or decided, is not on disk")
                } else if !audit.has(action, id) {
                    lost.append("acknowledged \(step.intent.step.rawValue) of request \(id) has no \(action) audit entry")
                }
            }
        }
        var acknowledgedMessages = 0
        for (id, steps) in journal.messages {
            for step in steps {
                guard let messageID = step.ack?.messageID else { continue }
                acknowledgedMessages += 1
                if !database.messageIDs.contains(messageID) {
                    lost.append("acknowledged message \(messageID) on request \(id) is not on disk after the crash")
                } else if !audit.messageIDs.contains(messageID) {
                    lost.append("acknowledged message \(messageID) has no message.create audit entry")
                }
            }
        }
        for (number, steps) in journal.signUps {
            guard let accountID = steps.first(where: { $0.intent.step == .signIn })?.ack?.id else { continue }
            if !database.accountIDs.contains(accountID) {
                lost.append("account \(accountID) of acknowledged sign-up \(number) is not on disk after the crash")
            } else {
                if !audit.has("account.create", accountID) { lost.append("account \(accountID) has no account.create audit entry") }
                if !audit.has("session.create", accountID) { lost.append("acknowledged sign-in of \(accountID) has no session.create audit entry") }
            }
        }
        problems += lost.prefix(15)
        if lost.count > 15 { problems.append("… \(lost.count) acknowledged writes lost or unaudited in all") }

        // What to read back through the API: this round's requests, every request on disk that was never
        // acknowledged, the requests this round's casework and messages touched, and a sample of earlier rounds'.
        let ownerIndex = Dictionary(citizens.map { ($0.value.accountID, $0.key) }, uniquingKeysWith: { first, _ in first })
        var toRead: [(id: String, owner: Int, number: Int?)] = []
        var earlier: [(id: String, owner: Int, number: Int?)] = []
        for row in database.rows {
            guard let owner = ownerIndex[row.ownerID] else {
                problems.append("request \(row.id) on disk belongs to an account the test never made")
                continue
            }
            if let number = journal.byID[row.id] {
                if journal.touchedNumbers.contains(number) || journal.touchedIDs.contains(row.id) {
                    toRead.append((row.id, owner, number))
                } else {
                    earlier.append((row.id, owner, number))
                }
            } else {
                toRead.append((row.id, owner, nil))
            }
        }
        let unacknowledgedOnDisk = toRead.filter { $0.number == nil }.count
        toRead += earlier.shuffled().prefix(resample)

        let readProblems = SharedList<String>()
        let whole = SharedCounter(), messagesRead = SharedCounter(), paymentsRead = SharedCounter()
        if !offline {
            let readers = self.readers, port = self.port
            let work = toRead
            ThreadWorkers.run(readers) { reader in
                let client = LoopbackHTTPClient(port: port, timeoutSeconds: 30)
                for index in stride(from: reader, to: work.count, by: readers) {
                    let item = work[index]
                    do {
                        guard let citizen = citizens[item.owner] else { continue }
                        let found = try Self.readBack(item, token: citizen.token, journal: journal, client: client)
                        readProblems.append(contentsOf: found.problems)
                        if found.wholeUnacknowledged { whole.add() }
                        messagesRead.add(found.messages)
                        paymentsRead.add(found.payments)
                    } catch {
                        readProblems.append("reading \(item.id) after restart failed: \(error)")
                    }
                }
            }
            problems += readProblems.all
            problems += try checkSignUps(journal: journal)
        }

        let roundEntries = entries.filter { $0.round == round }
        let acks = roundEntries.filter { $0.kind == .ack }
        let ackedSteps = Dictionary(grouping: acks, by: \.step).mapValues(\.count)
        let unanswered = roundEntries.filter { $0.kind == .intent }.count - acks.count
        let stepCounts = Entry.Step.allCases.map { "\(ackedSteps[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
        let lines = [
            "round \(round): \(acks.count) writes acknowledged (\(stepCounts)); \(unanswered) sent without an answer",
            "on disk after SIGKILL: \(database.note); all \(acknowledgedRequests) acknowledged requests and \(acknowledgedMessages) "
                + "acknowledged messages checked present with their audit entries (\(lost.count) lost)",
            offline ? "not read back (offline)" :
                "read back as their owners: \(toRead.count) requests (\(unacknowledgedOnDisk) committed without an acknowledgement, "
                + "\(min(resample, earlier.count)) from earlier rounds), \(messagesRead.current) messages, \(paymentsRead.current) payments; "
                + "\(whole.current) unacknowledged requests whole",
        ]
        return Report(problems: problems, lines: lines)
    }

    /// Sign-ups of this round: an acknowledged sign-in's session still works; an acknowledged sign-up whose sign-in
    /// got no answer still signs in.
    func checkSignUps(journal: JournalView) throws -> [String] {
        var out: [String] = []
        let client = LoopbackHTTPClient(port: port, timeoutSeconds: 60)
        for (number, steps) in journal.signUps where steps.first?.intent.round == round {
            if let signIn = steps.first(where: { $0.intent.step == .signIn })?.ack, let token = signIn.token {
                let response = try client.send("GET", "/v1/requests", token: token)
                if response.status != 200 { out.append("the acknowledged session of sign-up \(number) answers \(response.status) after restart") }
            } else if steps.first?.ack != nil, let login = steps[0].intent.login, let password = steps[0].intent.password {
                let response = try client.sendJSON("POST", "/v1/sessions", object: ["login": login, "password": password])
                if response.status != 201 { out.append("acknowledged sign-up \(number) does not sign in after restart: HTTP \(response.status)") }
            }
        }
        return out
    }

    /// Reads one request (and its payment and messages) back as its owner and compares it with the journal.
    static func readBack(
        _ item: (id: String, owner: Int, number: Int?), token: String, journal: JournalView, client: LoopbackHTTPClient
    ) throws -> (problems: [String], wholeUnacknowledged: Bool, messages: Int, payments: Int) {
        var problems: [String] = []
        let response = try client.send("GET", "/v1/requests/\(item.id)", token: token)
        guard response.status == 200, let object = response.jsonObject else {
            return (["request \(item.id) on disk does not read back as its owner after restart: HTTP \(response.status)"], false, 0, 0)
        }
        let status = object["status"] as? String ?? "?"
        let fields = CrashLoadDriver.shownFields(object)
        var number = item.number
        var wholeUnacknowledged = false
        if number == nil {
            guard let marked = CrashRequestValues.number(inFields: fields) else {
                return (["request \(item.id) was never acknowledged and its fields carry no request number"], false, 0, 0)
            }
            guard let history = journal.histories[marked], history.owner == item.owner else {
                return (["request \(item.id) names request \(marked), which the test never sent as this owner"], false, 0, 0)
            }
            if let other = history.id, other != item.id {
                return (["request \(marked) is on disk twice: acknowledged as \(other), also as \(item.id)"], false, 0, 0)
            }
            number = marked
            wholeUnacknowledged = true
        }
        guard let history = journal.histories[number!] else { return (["request \(item.id): no history for number \(number!)"], false, 0, 0) }
        let caseSteps = journal.caseSteps[item.id] ?? []

        // Status and fields: the citizen's writes decide the fields; casework (if any) the status.
        var allowed = allowedStates(history)
        if let statuses = allowedCaseStatuses(caseSteps) {
            if !statuses.contains(status) {
                problems.append("request \(item.id) reads back as \(status) after casework that allows only \(statuses.sorted().joined(separator: " or "))")
            }
            allowed = allowed.filter { !$0.draft }.map { var state = $0; state.status = nil; return state }
        }
        let caseStatus = status == "in-review" || status == "decided" ? (caseSteps.isEmpty ? status : "submitted") : status
        if !allowed.contains(where: { matches($0, status: caseStatus, fields: fields, number: number!, service: history.service) }) {
            let acked = history.steps.filter { $0.ack != nil }.map(\.intent.step.rawValue).joined(separator: ",")
            let sent = history.steps.map(\.intent.step.rawValue).joined(separator: ",")
            let closest = allowed.map { differences($0, status: caseStatus, fields: fields, number: number!, service: history.service) }
                .min { $0.count < $1.count } ?? []
            problems.append(
                "request \(number!) (\(item.id)) reads back as status \(status) with fields that match no state its writes "
                    + "could leave (sent: \(sent); acknowledged: \(acked.isEmpty ? "none" : acked)): \(closest.joined(separator: ", "))")
        }
        if let decision = caseSteps.last(where: { $0.intent.step == .decide }), status == "decided" {
            let expected = decision.intent.outcome == "approve" ? "approved" : "rejected"
            if object["outcome"] as? String != expected {
                problems.append("request \(item.id) was decided \(decision.intent.outcome ?? "?") but reads back with outcome \(object["outcome"] as? String ?? "none")")
            }
        }

        // The fee: the payment acknowledged with the create, in a state its pay could leave.
        var payments = 0
        if history.service == CrashRequestValues.feeServiceID, status != "draft" {
            let shownPayment = (object["payment"] as? [String: Any])?["id"] as? String
            if let acknowledged = history.paymentID, shownPayment != acknowledged {
                problems.append("request \(item.id) shows payment \(shownPayment ?? "none"), acknowledged as \(acknowledged)")
            }
            if let paymentID = shownPayment {
                payments = 1
                let read = try client.send("GET", "/v1/payments/\(paymentID)", token: token)
                let payment = read.jsonObject ?? [:]
                let paymentStatus = payment["status"] as? String ?? "HTTP \(read.status)"
                let receipt = (payment["receipt"] as? [String: Any])?["number"] as? String
                let allowedStatuses: Set<String>
                if let ack = history.pay?.ack {
                    allowedStatuses = [ack.status ?? "paid"]
                    if ack.receipt != nil && receipt != ack.receipt {
                        problems.append("payment \(paymentID) reads back with receipt \(receipt ?? "none"), acknowledged with \(ack.receipt!)")
                    }
                } else if history.pay != nil {
                    allowedStatuses = ["pending", "processing", "paid", "failed"]
                } else {
                    allowedStatuses = ["pending"]
                }
                if !allowedStatuses.contains(paymentStatus) {
                    problems.append("payment \(paymentID) of request \(item.id) reads back as \(paymentStatus), expected \(allowedStatuses.sorted().joined(separator: " or "))")
                }
                if paymentStatus == "paid" && receipt == nil { problems.append("payment \(paymentID) is paid without a receipt") }
            }
        }

        // Messages: every acknowledged one with its body; every one shown was sent by the test on this request.
        var messages = 0
        let sentMessages = journal.messages[item.id] ?? []
        if !sentMessages.isEmpty || caseSteps.contains(where: { $0.intent.step == .decide }) {
            let read = try client.send("GET", "/v1/requests/\(item.id)/messages", token: token)
            guard read.status == 200, let items = read.jsonObject?["items"] as? [[String: Any]] else {
                return (problems + ["messages of request \(item.id) do not read back as its owner: HTTP \(read.status)"], wholeUnacknowledged, 0, payments)
            }
            messages = items.count
            let shown = Dictionary(items.compactMap { m in (m["id"] as? String).map { ($0, m) } }, uniquingKeysWith: { first, _ in first })
            for step in sentMessages {
                guard let messageID = step.ack?.messageID else { continue }
                guard let message = shown[messageID] else {
                    problems.append("acknowledged message \(messageID) on request \(item.id) does not read back after restart")
                    continue
                }
                if message["body"] as? String != step.intent.body { problems.append("message \(messageID) reads back with another body") }
            }
            let sentBodies = Set(sentMessages.compactMap(\.intent.body))
            let reasons = Set(caseSteps.filter { $0.intent.step == .decide }.compactMap { $0.intent.outcome }.map {
                CrashRequestValues.decisionReason(requestID: item.id, outcome: $0)
            })
            for message in items {
                let body = message["body"] as? String ?? ""
                let kind = message["kind"] as? String ?? "?"
                let known = kind == "decision" ? reasons.contains(body) : sentBodies.contains(body)
                if !known { problems.append("message \(message["id"] as? String ?? "?") (\(kind)) on request \(item.id) is not one the test sent, or not whole") }
            }
        }
        return (problems, wholeUnacknowledged, messages, payments)
    }

    /// The statuses casework (claim, decide) may have left a request in, or `nil` when it had none: the state
    /// after the last acknowledged step (submitted before any), or after any step sent later.
    static func allowedCaseStatuses(_ steps: [Step]) -> Set<String>? {
        guard !steps.isEmpty else { return nil }
        func after(_ step: Step) -> String { step.intent.step == .decide ? "decided" : "in-review" }
        let lastAcked = steps.lastIndex { $0.ack != nil }
        var out: Set<String> = [lastAcked.map { after(steps[$0]) } ?? "submitted"]
        for step in steps[((lastAcked ?? -1) + 1)...] { out.insert(after(step)) }
        return out
    }

    /// The states a request may be in: the one its last acknowledged step left, and the one the next step sent
    /// (if any) would leave. A request whose create was never acknowledged may also be in its created state.
    static func allowedStates(_ history: History) -> [Allowed] {
        func state(after index: Int) -> Allowed {
            let step = history.steps[index]
            if let ack = step.ack {
                return Allowed(draft: ack.status == "draft", status: ack.status, exactFields: ack.fields, sentVersion: step.intent.step == .create ? 1 : 2)
            }
            switch step.intent.step {
            case .update: return Allowed(draft: true, status: "draft", exactFields: nil, sentVersion: 2)
            case .submit:
                let fields = index > 0 ? history.steps[index - 1].ack?.fields : nil
                return Allowed(draft: false, status: nil, exactFields: fields, sentVersion: 2)
            default: return Allowed(draft: !history.createsSubmitted, status: history.createsSubmitted ? nil : "draft", exactFields: nil, sentVersion: 1)
            }
        }
        guard let lastAcked = history.steps.lastIndex(where: { $0.ack != nil }) else {
            return history.steps.isEmpty ? [] : [state(after: 0)]
        }
        var out = [state(after: lastAcked)]
        if lastAcked + 1 < history.steps.count { out.append(state(after: lastAcked + 1)) }
        return out
    }

    static func matches(_ allowed: Allowed, status: String, fields: [String: String], number: Int, service: String) -> Bool {
        differences(allowed, status: status, fields: fields, number: number, service: service).isEmpty
    }

    static func differences(_ allowed: Allowed, status: String, fields: [String: String], number: Int, service: String) -> [String] {
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
            out += CrashRequestValues.differences(
                shown: fields, sent: CrashRequestValues.fields(service: service, number: number, version: allowed.sentVersion))
        }
        return out
    }
}

import Foundation

/// The crash test's writers: concurrent citizens, a caseworker and a sign-up desk writing over HTTP until the server
/// stops answering (it is killed with SIGKILL by `scripts/crash-test.sh`) or `seconds` pass.
///
/// Citizens' work, by request number (`number % 6`): 0 and 3 create a draft, update every field (`PATCH`), then
/// submit it; 1 and 5 create a benefit application already submitted; 4 does that and posts a message on it; 2 creates
/// a fee payment (decided by a rule at once, which makes the fee due) and pays it with the offline test provider.
/// Worker 1 signs new citizens up and in during the round and creates their first requests (and so their subject
/// keys); worker 0 is the caseworker (when the state has a staff enrolment): it claims submitted requests of its
/// office, posts a message on each and decides it. Every write is journaled before it is sent and again once its 2xx
/// response was read whole.
struct CrashLoadDriver {
    let port: Int
    let state: String
    let round: Int
    let workers: Int
    let citizenCount: Int
    let seconds: Double

    typealias Entry = CrashJournal.Entry

    struct Summary {
        var acknowledged: [Entry.Step: Int]
        var inFlightAtEnd: Int
        var unexpected: [String]
        var stoppedByConnectionErrors: Int
        var firstConnectionError: String?
        /// Seconds from the last acknowledgement (or the start, when there was none) to the first connection error
        /// (the kill), or to the deadline: long when the server had stopped answering before it was killed.
        var silenceBeforeEnd: Double?
        /// Seconds from the start of writing to the first connection error (or the deadline).
        var ranFor: Double?
        /// The longest wait between two acknowledgements (from the start, for the first).
        var longestGap: Double
        var casework: Bool
        /// Whether writing ended because the server went away (otherwise the deadline passed).
        var endedByKill: Bool

        var total: Int { acknowledged.values.reduce(0, +) }
    }

    func run() throws -> Summary {
        let citizens = try CrashCitizen.loadOrCreate(state: state, port: port, count: citizenCount)
        let staff = try CrashStaff.loadOrSignIn(state: state, port: port)
        let journal = try CrashJournal(path: CrashJournal.path(state: state, round: round))
        // Tells the script that writing has begun: its random kill delay starts now.
        _ = FileManager.default.createFile(atPath: "\(state)/started-\(round)", contents: Data())
        let deadline = Date().addingTimeInterval(seconds)
        let acknowledged = SharedList<Entry.Step>()
        let unexpected = SharedList<String>()
        let connectionErrors = SharedList<String>()
        let inFlight = SharedCounter()
        let clock = CrashAckClock()
        let firstError = SharedInstant()
        let round = self.round, port = self.port, workers = self.workers
        let caseworker = workers >= 3 ? staff : nil
        let signUpWorker = workers >= 3 ? 1 : -1

        ThreadWorkers.run(workers) { worker in
            let client = LoopbackHTTPClient(port: port, timeoutSeconds: 30)
            var sequence = 0
            func nextNumber() -> Int {
                defer { sequence += 1 }
                return round * 10_000_000 + worker * 100_000 + sequence
            }
            /// Journals `intent`, sends it, and journals the acknowledgement `fill` makes of a 2xx answer.
            func send(
                _ intent: Entry, _ method: String, _ path: String, token: String?, purpose: String? = nil, body: [String: Any]?,
                fill: (inout Entry, [String: Any]) -> Bool = { _, _ in true }
            ) throws -> (Entry, [String: Any])? {
                journal.record(intent)
                inFlight.add(1)
                let headers = purpose.map { [("strongroom-purpose", $0)] } ?? []
                let response = try body.map {
                    try client.send(method, path, token: token, headers: headers, body: [UInt8](JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys])))
                } ?? client.send(method, path, token: token, headers: headers)
                inFlight.add(-1)
                var ack = intent
                ack.kind = .ack
                guard (200..<300).contains(response.status), let object = response.jsonObject, fill(&ack, object) else {
                    unexpected.append("\(intent.step.rawValue) of \(intent.id ?? "request \(intent.number)") answered \(response.status): "
                        + String(decoding: response.body.prefix(200), as: UTF8.self))
                    return nil
                }
                journal.record(ack)
                clock.acknowledged()
                acknowledged.append(intent.step)
                return (ack, object)
            }
            func fillRequest(_ ack: inout Entry, _ object: [String: Any]) -> Bool {
                guard let id = object["id"] as? String else { return false }
                ack.id = id
                ack.status = object["status"] as? String
                ack.fields = Self.shownFields(object)
                ack.paymentID = (object["payment"] as? [String: Any])?["id"] as? String
                return true
            }
            func fillMessage(_ ack: inout Entry, _ object: [String: Any]) -> Bool {
                ack.messageID = object["id"] as? String
                return ack.messageID != nil && object["body"] as? String == ack.body
            }

            /// One citizen workflow for request `number` (its kind chosen by the number).
            func citizenWork(number: Int, owner: Int, token: String) throws {
                let kind = number % 6
                let service = kind == 2 ? CrashRequestValues.feeServiceID : CrashRequestValues.serviceID
                let viaDraft = kind == 0 || kind == 3
                var create = Entry(round: round, kind: .intent, step: .create, number: number, owner: owner, submit: !viaDraft)
                create.service = service
                let body: [String: Any] = [
                    "service": service, "fields": CrashRequestValues.fields(service: service, number: number, version: 1), "submit": !viaDraft,
                ]
                guard let (created, _) = try send(create, "POST", "/v1/requests", token: token, body: body, fill: fillRequest),
                    let id = created.id
                else { return }
                var next = Entry(round: round, kind: .intent, step: .update, number: number, owner: owner, id: id)
                if viaDraft {
                    guard try send(next, "PATCH", "/v1/requests/\(id)", token: token,
                        body: ["fields": CrashRequestValues.fields(number: number, version: 2)], fill: fillRequest) != nil
                    else { return }
                    next.step = .submit
                    _ = try send(next, "POST", "/v1/requests/\(id)/submit", token: token, body: nil, fill: fillRequest)
                } else if kind == 2, let paymentID = created.paymentID {
                    next.step = .pay
                    next.paymentID = paymentID
                    _ = try send(next, "POST", "/v1/payments/\(paymentID)/pay", token: token, body: ["instrument": "test-card-ok"]) { ack, object in
                        ack.status = object["status"] as? String
                        ack.receipt = (object["receipt"] as? [String: Any])?["number"] as? String
                        return object["id"] as? String == paymentID
                    }
                } else if kind == 4 {
                    next.step = .message
                    next.body = CrashRequestValues.messageBody(requestID: id, author: "citizen", serial: number)
                    _ = try send(next, "POST", "/v1/requests/\(id)/messages", token: token, body: ["body": next.body!], fill: fillMessage)
                }
            }

            /// Signs one citizen up and in, then writes two requests as them (their first seals create their keys).
            func signUpWork() throws {
                let number = nextNumber()
                var intent = Entry(round: round, kind: .intent, step: .signUp, number: number, owner: number)
                intent.login = "crash-r\(round)-\(number)@example.org"
                intent.password = "crash test passphrase \(number) \(UUID().uuidString)"
                let credentials = ["login": intent.login!, "password": intent.password!]
                guard try send(intent, "POST", "/v1/accounts", token: nil, body: credentials) != nil else { return }
                intent.step = .signIn
                guard let (signedIn, _) = try send(intent, "POST", "/v1/sessions", token: nil, body: credentials, fill: { ack, object in
                    ack.id = object["account_id"] as? String
                    ack.token = object["token"] as? String
                    return ack.id != nil && ack.token != nil
                }) else { return }
                for _ in 0..<2 {
                    // Never a draft: numbers with `% 6` in 1, 2 or 4 (submitted, fee payment, with a message).
                    var number = nextNumber()
                    while [0, 3, 5].contains(number % 6) { number = nextNumber() }
                    try citizenWork(number: number, owner: signedIn.owner, token: signedIn.token!)
                }
            }

            /// Claims, messages and decides the submitted requests of the caseworker's office, and decides those it
            /// claimed before (a claim a crash left unanswered).
            func caseworkerWork(_ staff: CrashStaff) throws {
                let purpose = "case-handling"
                var serial = 0
                while Date() < deadline {
                    var worked = false
                    for query in ["status=in-review&assignee=me&limit=10", "status=submitted&limit=10"] {
                        let queue = try client.send("GET", "/v1/cases?\(query)", token: staff.token, headers: [("strongroom-purpose", purpose)])
                        guard queue.status == 200, let items = queue.jsonObject?["items"] as? [[String: Any]] else {
                            unexpected.append("the case queue answered \(queue.status)")
                            return
                        }
                        for item in items {
                            guard Date() < deadline, let id = item["id"] as? String, let status = item["status"] as? String else { continue }
                            worked = true
                            serial += 1
                            var step = Entry(round: round, kind: .intent, step: .claim, number: -1, owner: -1, id: id)
                            if status == "submitted" {
                                guard try send(step, "POST", "/v1/cases/\(id)/claim", token: staff.token, purpose: purpose, body: nil, fill: fillRequest)
                                    != nil else { continue }
                                step.step = .message
                                step.body = CrashRequestValues.messageBody(requestID: id, author: "caseworker", serial: round * 100_000 + serial)
                                guard try send(step, "POST", "/v1/requests/\(id)/messages", token: staff.token, purpose: purpose,
                                    body: ["body": step.body!], fill: fillMessage) != nil
                                else { continue }
                            }
                            step.step = .decide
                            step.body = nil
                            step.outcome = serial % 3 == 0 ? "reject" : "approve"
                            let reason = CrashRequestValues.decisionReason(requestID: id, outcome: step.outcome!)
                            _ = try send(step, "POST", "/v1/cases/\(id)/decision", token: staff.token, purpose: purpose,
                                body: ["outcome": step.outcome!, "reason": reason], fill: fillRequest)
                        }
                    }
                    if !worked { Thread.sleep(forTimeInterval: 0.05) }
                }
            }

            do {
                if worker == 0, let caseworker {
                    try caseworkerWork(caseworker)
                    return
                }
                while Date() < deadline {
                    if worker == signUpWorker {
                        try signUpWork()
                        continue
                    }
                    let number = nextNumber()
                    let owner = (worker + sequence) % citizens.count
                    try citizenWork(number: number, owner: owner, token: citizens[owner].token)
                }
            } catch {
                firstError.markFirst()
                connectionErrors.append("worker \(worker): \(error)")
            }
        }
        var counts: [Entry.Step: Int] = [:]
        for step in acknowledged.all { counts[step, default: 0] += 1 }
        let endedByKill = firstError.value != nil
        let figures = clock.figures(endedAt: firstError.value ?? Date())
        return Summary(
            acknowledged: counts, inFlightAtEnd: inFlight.current, unexpected: unexpected.all,
            stoppedByConnectionErrors: connectionErrors.count, firstConnectionError: connectionErrors.all.first,
            silenceBeforeEnd: figures.silence, ranFor: figures.ranFor, longestGap: figures.longestGap, casework: caseworker != nil,
            endedByKill: endedByKill)
    }

    /// A response's fields as text: the revealed value, or `masked:…` when the server masked it.
    static func shownFields(_ object: [String: Any]) -> [String: String] {
        var out: [String: String] = [:]
        for (name, view) in (object["fields"] as? [String: Any]) ?? [:] {
            guard let view = view as? [String: Any] else { continue }
            if let value = view["value"] as? String { out[name] = value } else if let masked = view["masked"] as? String { out[name] = "masked:" + masked }
        }
        return out
    }
}

/// When writing began and when acknowledgements came: the figures behind the stall report.
final class CrashAckClock: @unchecked Sendable {
    // @unchecked: every stored property is read and written only while `lock` is held.
    private let lock = NSLock()
    private let start = Date()
    private var last: Date?
    private var longest: Double = 0

    func acknowledged() {
        lock.withLock {
            let now = Date()
            longest = max(longest, now.timeIntervalSince(last ?? start))
            last = now
        }
    }

    /// Silence before `end` (from the last acknowledgement, or the start), time run, and the longest gap (the
    /// silence before the end counts as a gap).
    func figures(endedAt end: Date) -> (silence: Double?, ranFor: Double?, longestGap: Double) {
        lock.withLock {
            let silence = end.timeIntervalSince(last ?? start)
            return (silence, end.timeIntervalSince(start), max(longest, silence))
        }
    }
}

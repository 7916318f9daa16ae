import Foundation

/// The crash test's writers: concurrent citizens creating, updating and submitting requests over HTTP until the
/// server stops answering (it is killed with SIGKILL by `scripts/crash-test.sh`) or `seconds` pass.
///
/// Two kinds of work, by request number: two in three are created already submitted (`"submit": true`); one in
/// three is created as a draft, updated with a second version of every field (`PATCH`), then submitted
/// (`POST …/submit`). Every step is journaled before it is sent and again once its 2xx response was read whole.
struct CrashLoadDriver {
    let port: Int
    let state: String
    let round: Int
    let workers: Int
    let citizenCount: Int
    let seconds: Double

    struct Summary {
        var acknowledged: [CrashJournal.Entry.Step: Int]
        var inFlightAtEnd: Int
        var unexpected: [String]
        var stoppedByConnectionErrors: Int
        var firstConnectionError: String?
        /// Seconds between the last acknowledgement and the first connection error (the kill): long when the
        /// server had stopped answering before it was killed.
        var silenceBeforeEnd: Double?
    }

    func run() throws -> Summary {
        let citizens = try CrashCitizen.loadOrCreate(state: state, port: port, count: citizenCount)
        let journal = try CrashJournal(path: CrashJournal.path(state: state, round: round))
        // Tells the script that writing has begun: its random kill delay starts now.
        _ = FileManager.default.createFile(atPath: "\(state)/started-\(round)", contents: Data())
        let deadline = Date().addingTimeInterval(seconds)
        let acknowledged = SharedList<CrashJournal.Entry.Step>()
        let unexpected = SharedList<String>()
        let connectionErrors = SharedList<String>()
        let inFlight = SharedCounter()
        let lastAck = SharedInstant(), firstError = SharedInstant()
        let round = self.round, port = self.port

        ThreadWorkers.run(workers) { worker in
            let client = LoopbackHTTPClient(port: port, timeoutSeconds: 30)
            var sequence = 0
            func step(_ intent: CrashJournal.Entry, _ method: String, _ path: String, token: String, body: [String: Any]?) throws -> CrashJournal.Entry? {
                journal.record(intent)
                inFlight.add(1)
                let response = try body.map { try client.sendJSON(method, path, token: token, object: $0) }
                    ?? client.send(method, path, token: token)
                inFlight.add(-1)
                guard (200..<300).contains(response.status), let object = response.jsonObject, let id = object["id"] as? String else {
                    unexpected.append("\(intent.step.rawValue) of request \(intent.number) answered \(response.status): "
                        + String(decoding: response.body.prefix(200), as: UTF8.self))
                    return nil
                }
                var ack = intent
                ack.kind = .ack
                ack.id = id
                ack.status = object["status"] as? String
                ack.fields = Self.shownFields(object)
                journal.record(ack)
                lastAck.markNow()
                acknowledged.append(intent.step)
                return ack
            }
            while Date() < deadline {
                let number = round * 10_000_000 + worker * 100_000 + sequence
                sequence += 1
                let owner = (worker + sequence) % citizens.count
                let token = citizens[owner].token
                let viaDraft = number % 3 == 0
                do {
                    let create = CrashJournal.Entry(round: round, kind: .intent, step: .create, number: number, owner: owner, submit: !viaDraft)
                    let body: [String: Any] = [
                        "service": CrashRequestValues.serviceID, "fields": CrashRequestValues.fields(number: number, version: 1), "submit": !viaDraft,
                    ]
                    guard let created = try step(create, "POST", "/v1/requests", token: token, body: body), viaDraft, let id = created.id else { continue }
                    var update = create
                    update.step = .update
                    update.id = id
                    update.submit = nil
                    guard try step(update, "PATCH", "/v1/requests/\(id)", token: token, body: ["fields": CrashRequestValues.fields(number: number, version: 2)]) != nil
                    else { continue }
                    var submit = update
                    submit.step = .submit
                    _ = try step(submit, "POST", "/v1/requests/\(id)/submit", token: token, body: nil)
                } catch {
                    firstError.markFirst()
                    connectionErrors.append("worker \(worker): \(error)")
                    return
                }
            }
        }
        var counts: [CrashJournal.Entry.Step: Int] = [:]
        for step in acknowledged.all { counts[step, default: 0] += 1 }
        return Summary(
            acknowledged: counts, inFlightAtEnd: inFlight.current, unexpected: unexpected.all,
            stoppedByConnectionErrors: connectionErrors.count, firstConnectionError: connectionErrors.all.first,
            silenceBeforeEnd: lastAck.value.flatMap { ack in firstError.value.map { $0.timeIntervalSince(ack) } })
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

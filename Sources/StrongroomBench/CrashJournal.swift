import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The crash test's record of what it asked for and what the server acknowledged, one JSON line per event, in the
/// state directory (`journal-ROUND.jsonl`). An intent is written before a request is sent; an acknowledgement only
/// after the whole 2xx response was read. The checker reads every round's journal.
final class CrashJournal: @unchecked Sendable {
    // @unchecked: the file descriptor is written only while `lock` is held.

    /// One event.
    struct Entry: Codable, Sendable {
        enum Kind: String, Codable, Sendable { case intent, ack }
        /// A citizen's request steps (`create`, `update`, `submit`), a fee payment (`pay`), a message on a request
        /// (`message`, by its citizen or the caseworker), casework (`claim`, `decide`) and a sign-up during the round
        /// (`signUp`, then `signIn`, which creates the citizen's session; their first request creates their keys).
        enum Step: String, Codable, Sendable, CaseIterable { case create, update, submit, pay, message, claim, decide, signUp, signIn }
        var round: Int
        var kind: Kind
        var step: Step
        /// The request number (the values sent carry it); for `signUp`/`signIn`, the number of the sign-up.
        var number: Int
        /// The owning citizen: an index in the citizens file (below ``CrashCitizen/firstSignedUpOwner``), or the
        /// number of the round's sign-up that made them.
        var owner: Int
        /// Create: whether it asked for submission in the same call.
        var submit: Bool?
        /// Known once the create was acknowledged (the request id; for `signIn` the account id).
        var id: String?
        /// Acknowledgements: the status and the fields the response showed.
        var status: String?
        var fields: [String: String]?
        /// Create: the e-service (absent in journals written before fee payments: the benefit application).
        var service: String?
        /// Fee payments: the payment id (create ack) and the receipt number (pay ack).
        var paymentID: String?
        var receipt: String?
        /// Messages: the body sent and, once acknowledged, the message id. Decisions: the outcome and reason sent.
        var body: String?
        var messageID: String?
        var outcome: String?
        /// Sign-ups: the throwaway credentials; `signIn` acks carry the session token.
        var login: String?
        var password: String?
        var token: String?
    }

    private let lock = NSLock()
    private let descriptor: Int32

    init(path: String) throws {
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw BenchError("cannot open the crash journal \(path): \(LoopbackHTTPClient.errnoText())") }
    }

    deinit { close(descriptor) }

    static func path(state: String, round: Int) -> String { "\(state)/journal-\(round).jsonl" }

    func record(_ entry: Entry) {
        guard var line = try? JSONEncoder().encode(entry) else { return }
        line.append(10)
        lock.withLock {
            _ = line.withUnsafeBytes { write(descriptor, $0.baseAddress!, $0.count) }
        }
    }

    /// Every entry of every round's journal in `state`, in file order.
    static func readAll(state: String) throws -> [Entry] {
        let names = try FileManager.default.contentsOfDirectory(atPath: state)
            .filter { $0.hasPrefix("journal-") && $0.hasSuffix(".jsonl") }
            .sorted { (Int($0.dropFirst(8).dropLast(6)) ?? 0) < (Int($1.dropFirst(8).dropLast(6)) ?? 0) }
        var entries: [Entry] = []
        let decoder = JSONDecoder()
        for name in names {
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(state)/\(name)"))
            for line in data.split(separator: 10) where !line.isEmpty {
                entries.append(try decoder.decode(Entry.self, from: Data(line)))
            }
        }
        return entries
    }
}

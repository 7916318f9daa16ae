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
        enum Step: String, Codable, Sendable { case create, update, submit }
        var round: Int
        var kind: Kind
        var step: Step
        /// The request number (the values sent carry it).
        var number: Int
        /// Index of the owning citizen in the citizens file.
        var owner: Int
        /// Create: whether it asked for submission in the same call.
        var submit: Bool?
        /// Known once the create was acknowledged.
        var id: String?
        /// Acknowledgements: the status and the fields the response showed.
        var status: String?
        var fields: [String: String]?
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

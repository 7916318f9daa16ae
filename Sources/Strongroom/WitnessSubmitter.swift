import AuditLog
import GRDB
import Keyring
import Logging
import Storage
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One witness the server submits its checkpoints to: its cosigner key and the URL prefix of its tlog-witness API.
public struct WitnessEndpoint: Sendable, Equatable {
    public var key: WitnessVerifierKey
    public var url: WitnessURL

    public init(key: WitnessVerifierKey, url: WitnessURL) {
        self.key = key
        self.url = url
    }

    /// `Keys/witnesses`: one witness per line, `<witness verifier key> <http URL prefix>`; blank lines and `#`
    /// comments are skipped. A missing file means no witnesses. Refused when group or others can write it.
    ///
    /// ```
    /// # the data protection authority's witness
    /// dpa.example/witness+6cfc1e66+BHidZman… http://witness.dpa.example:8090
    /// ```
    public static func load(from keys: KeyDirectory) throws -> [WitnessEndpoint] {
        let path = keys.file("witnesses")
        var info = stat()
        guard lstat(path, &info) == 0 else { return [] }
        guard info.st_mode & 0o022 == 0 else {
            throw StrongroomError.invalid("witnesses_file_permissions",
                "\(path) can be written by group or others, so it is refused; run `chmod go-w \(path)`")
        }
        let text = String(decoding: try SecureFileText.read(path), as: UTF8.self)
        var endpoints: [WitnessEndpoint] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count == 2 else {
                throw StrongroomError.invalid("witnesses_file", "\(path) line \(number + 1): expected `<witness key> <http://host:port>`")
            }
            do {
                let key = try WitnessVerifierKey(text: String(fields[0]))
                guard let url = WitnessURL(String(fields[1])) else {
                    throw StrongroomError.invalid("witnesses_file",
                        "\(path) line \(number + 1): \"\(fields[1].prefix(100))\" is not an http://host:port[/prefix] URL")
                }
                guard !endpoints.contains(where: { $0.key == key }) else {
                    throw StrongroomError.invalid("witnesses_file", "\(path) line \(number + 1): witness \(key.name) is listed twice")
                }
                endpoints.append(WitnessEndpoint(key: key, url: url))
            } catch let error as AuditError {
                throw StrongroomError.invalid("witnesses_file", "\(path) line \(number + 1): \(error.message)")
            }
        }
        return endpoints
    }
}

/// Bounded whole-file reads for small configuration files.
enum SecureFileText {
    static func read(_ path: String, limit: Int = 1 << 20) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StrongroomError.invalid("unreadable_file", "cannot read \(path); check that it exists and is readable") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw StrongroomError.invalid("unreadable_file", "cannot read \(path)") }
            if n == 0 { return bytes }
            bytes += chunk[0..<n]
            guard bytes.count <= limit else { throw StrongroomError.invalid("unreadable_file", "\(path) is larger than \(limit) bytes") }
        }
    }
}

/// An `http://host[:port][/prefix]` URL (a witness's submission prefix). Checkpoints and cosignatures are public
/// and signed, so plain HTTP cannot make a false cosignature pass; a network attacker can only withhold them.
public struct WitnessURL: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var pathPrefix: String

    public init?(_ text: String) {
        guard text.hasPrefix("http://") else { return nil }
        let rest = text.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        var path = String(rest.dropFirst(authority.count))
        while path.hasSuffix("/") { path.removeLast() }
        var host = Substring(authority)
        var port = 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let parsed = Int(after.dropFirst()) else { return nil }
                port = parsed
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let parsed = Int(authority[authority.index(after: colon)...]) else { return nil }
            port = parsed
        }
        guard !host.isEmpty, (1...65535).contains(port),
            host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" }),
            path.allSatisfy({ !$0.isWhitespace && $0 != "?" && $0 != "#" })
        else { return nil }
        self.host = String(host)
        self.port = port
        self.pathPrefix = path
    }

    /// The `add-checkpoint` path.
    public var addCheckpointPath: String { pathPrefix + "/add-checkpoint" }

    public var description: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)\(pathPrefix)" }
}

/// An HTTP answer from a witness.
public struct WitnessHTTPResponse: Sendable {
    public var status: Int
    public var contentType: String?
    public var body: [UInt8]

    public init(status: Int, contentType: String?, body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}

/// How the submitter reaches witnesses (HTTP in the server; a direct call in tests).
public protocol WitnessTransport: Sendable {
    /// POSTs `body` to `url`'s add-checkpoint path.
    func addCheckpoint(_ body: [UInt8], to url: WitnessURL) async throws -> WitnessHTTPResponse
}

/// Submits each new checkpoint, with its consistency proof, to the configured witnesses (tlog-witness) and stores
/// the cosignatures they return beside it. A witness that refuses is retried with backoff; a witness that says the
/// log does not extend what it cosigned is reported as critical: history was rewritten or forked.
public final class WitnessSubmitter: Sendable {
    public let endpoints: [WitnessEndpoint]
    private let transport: any WitnessTransport
    private let store: SQLiteAuditStore
    private let reader: any DatabaseReader
    private let writer: GroupCommitWriter
    private let logger: Logger
    /// Per witness: the next time it may be tried, and consecutive failures.
    private let backoff = Mutex<[WitnessVerifierKey: (notBefore: ContinuousClock.Instant, failures: Int)]>([:])

    public init(
        endpoints: [WitnessEndpoint], transport: any WitnessTransport, store: SQLiteAuditStore, reader: any DatabaseReader,
        writer: GroupCommitWriter, logger: Logger
    ) {
        self.endpoints = endpoints
        self.transport = transport
        self.store = store
        self.reader = reader
        self.writer = writer
        self.logger = logger
    }

    /// What happened with one witness.
    public enum Outcome: Sendable, Equatable {
        case cosigned(size: UInt64)
        case alreadyCosigned
        case waiting
        case noCheckpoint
        case refused(status: Int, reason: String)
        case unreachable(String)
    }

    /// Submits the newest checkpoint to every witness that has not cosigned it yet (and is not backing off).
    @discardableResult
    public func submitLatest(now: ContinuousClock.Instant = .now) async -> [Outcome] {
        var outcomes: [Outcome] = []
        for endpoint in endpoints { outcomes.append(await submitLatest(to: endpoint, now: now)) }
        return outcomes
    }

    func submitLatest(to endpoint: WitnessEndpoint, now: ContinuousClock.Instant) async -> Outcome {
        if let wait = backoff.withLock({ $0[endpoint.key] }), wait.notBefore > now { return .waiting }
        let outcome: Outcome
        do {
            outcome = try await submit(to: endpoint)
        } catch {
            outcome = .unreachable("\(error)")
        }
        switch outcome {
        case .cosigned, .alreadyCosigned, .noCheckpoint:
            backoff.withLock { $0[endpoint.key] = nil }
        case .refused, .unreachable:
            let failures = (backoff.withLock { $0[endpoint.key]?.failures } ?? 0) + 1
            let delay = min(600, 2 << min(failures, 9))
            backoff.withLock { $0[endpoint.key] = (now + .seconds(delay), failures) }
            if case .unreachable(let why) = outcome {
                logger.warning("witness unreachable; will retry", metadata: [
                    "witness": "\(endpoint.key.name)", "url": "\(endpoint.url)", "retryInSeconds": "\(delay)", "error": "\(why.prefix(200))"])
            }
        case .waiting:
            break
        }
        return outcome
    }

    private func submit(to endpoint: WitnessEndpoint) async throws -> Outcome {
        let store = self.store
        let key = endpoint.key
        let (latestCheckpoint, storedSize) = try await reader.read { db in
            (try store.latestCheckpoint(in: db), try store.latestCosignedSize(by: key, in: db))
        }
        guard let latest = latestCheckpoint else { return .noCheckpoint }
        if !latest.checkCosignatures(trusting: [key]).witnesses.isEmpty { return .alreadyCosigned }
        let size = latest.checkpoint.size
        var old = min(storedSize ?? 0, size)
        // The log's own signatures only: the witness ignores other lines, and they need not travel.
        let note = SignedCheckpoint(checkpoint: latest.checkpoint,
            signatures: latest.signatures.filter { line in !endpoints.contains { $0.key.claims(line) } })
        for _ in 0..<3 {
            let from = old
            let proof = from == 0 || from == size ? [] : try await reader.read { db in
                try store.consistencyProof(from: from, to: size, in: db).path
            }
            let response = try await transport.addCheckpoint(
                WitnessAddCheckpoint(oldSize: from, proof: proof, checkpoint: note).body, to: endpoint.url)
            switch response.status {
            case 200:
                let lines = (try? NoteSignature.parseLines(String(decoding: response.body, as: UTF8.self))) ?? []
                let valid = lines.filter { key.verifiedTimestamp(of: $0, over: latest.checkpoint) != nil }
                guard !valid.isEmpty else {
                    return .refused(status: 200, reason: "the witness answered without a valid cosignature by its configured key")
                }
                let checkpoint = latest.checkpoint
                try await writer.write { db in try store.addCosignatures(valid, by: key, for: checkpoint, in: db) }
                logger.info("checkpoint cosigned by witness", metadata: ["witness": "\(key.name)", "size": "\(size)"])
                return .cosigned(size: size)
            case 409:
                let text = String(decoding: response.body.prefix(32), as: UTF8.self)
                guard text.hasSuffix("\n"), let theirs = UInt64(text.dropLast()) else {
                    return .refused(status: 409, reason: "the witness answered 409 without its size")
                }
                if theirs > size {
                    logger.critical("AUDIT LOG ROLLED BACK OR FORKED: a witness has cosigned a larger log than this one holds; investigate before trusting this log (docs/witness.md)",
                        metadata: ["witness": "\(key.name)", "witnessSize": "\(theirs)", "logSize": "\(size)"])
                    return .refused(status: 409, reason: "the witness has cosigned size \(theirs), larger than this log's \(size)")
                }
                if theirs == from {
                    logger.critical("AUDIT LOG FORKED: a witness holds another root for the same size; investigate before trusting this log (docs/witness.md)",
                        metadata: ["witness": "\(key.name)", "size": "\(theirs)"])
                    return .refused(status: 409, reason: "the witness holds another root at size \(theirs)")
                }
                old = theirs
            case 422:
                logger.critical("AUDIT LOG REWRITTEN: a witness refuses to cosign because this log does not extend what it cosigned; investigate before trusting this log (docs/witness.md)",
                    metadata: ["witness": "\(key.name)", "fromSize": "\(from)", "size": "\(size)"])
                return .refused(status: 422, reason: "the log does not extend the checkpoint the witness cosigned at size \(from)")
            default:
                let reason = String(decoding: response.body.prefix(300), as: UTF8.self)
                logger.error("witness refused the checkpoint", metadata: ["witness": "\(key.name)", "status": "\(response.status)", "reason": "\(reason)"])
                return .refused(status: response.status, reason: reason)
            }
        }
        return .refused(status: 409, reason: "the witness kept answering with another size")
    }
}

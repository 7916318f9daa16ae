import AuditLog
import Catalog
import Foundation
import GRDB
import Logging
import Storage
import Strongroom
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A fresh installation per test: temporary keys and data directory, the sample catalog and default policies
/// of this repository, minimum Argon2id cost, a manual clock and a log handler that keeps every line.
///
/// Lives in this test target rather than TestSupport because it needs the `Strongroom` module, which
/// TestSupport (shared with the lower layers' tests) does not depend on.
final class InstallationFixture: Sendable {
    let keys: TestKeys
    let data: TemporaryDirectory
    let clock: ManualServiceClock
    let logs: CapturedLogs
    let installation: Installation
    let configuration: StrongroomConfiguration
    /// Entries the installation itself wrote when it opened (the catalog and policies in force).
    let openingEntries: Int
    private let counter = Atomic<Int>(0)

    /// The repository root, found from this file's real path (the dev package reaches it through symlinks).
    static let repositoryRoot: String = {
        var resolved = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let path = realpath(#filePath, &resolved).map { String(cString: $0) } ?? #filePath
        var url = URL(fileURLWithPath: path)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // StrongroomTests/, Tests/, file
        return url.path
    }()

    init(paymentProvider: (any PaymentProvider)? = nil, _ configure: (inout StrongroomConfiguration) -> Void = { _ in }) throws {
        keys = try TestKeys()
        data = TemporaryDirectory(prefix: "strongroom-data")
        clock = ManualServiceClock()
        logs = CapturedLogs()
        var configuration = StrongroomConfiguration(
            keys: keys.directory, dataDirectory: data.path,
            catalogDirectory: Self.repositoryRoot + "/Catalog", policyDirectory: Self.repositoryRoot + "/Policies")
        configuration.passwordLimits = .minimumForTesting
        configure(&configuration)
        self.configuration = configuration
        let logs = self.logs
        var logger = Logger(label: "strongroom-test") { label in CapturingLogHandler(label: label, sink: logs) }
        logger.logLevel = .trace
        installation = try Installation(
            configuration: configuration, clock: clock, logger: logger, paymentProvider: try paymentProvider ?? OfflinePaymentProvider())
        openingEntries = Int(try installation.auditStore.entryCount())
    }

    var accounts: AccountService { installation.accounts }
    var records: RecordService { installation.records }

    /// A fresh access context with a unique request id.
    func access(purpose: String? = nil, justification: String? = nil) -> AccessContext {
        let n = counter.add(1, ordering: .relaxed).newValue
        return AccessContext(purpose: purpose, justification: justification, requestID: "test-req-\(n)")
    }

    /// Signs up a citizen and signs them in.
    func citizen(_ login: String, password: String = "correct horse battery staple") async throws -> AccountService.Session {
        try await accounts.signUp(login: login, password: password, context: access())
        return try await accounts.logIn(login: login, password: password, address: "198.51.100.7", context: access())
    }

    /// Creates a staff account (by the system operator) and signs it in with its one-time code (strength "mfa").
    func staff(_ login: String, roles: Set<String>, office: String?) async throws -> AuthenticatedCaller {
        let enrolment = try await accounts.addStaff(
            login: login, roles: roles, office: office, by: .system("test-operator"), context: access())
        let code = try accounts.unsafeCurrentOneTimeCode(accountID: enrolment.accountID)
        let session = try await accounts.logIn(
            login: login, password: enrolment.password, oneTimeCode: code, address: "198.51.100.8", context: access())
        return session.caller
    }

    /// Row count of a table.
    func count(_ table: String) throws -> Int {
        try installation.database.readBlocking { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? -1 }
    }

    /// Row counts of every table that holds record data.
    func recordCounts() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in ["accounts", "sessions", "requests", "sealed_fields", "open_fields", "blind_indexes"] {
            counts[table] = try count(table)
        }
        return counts
    }

    /// Every audit entry, oldest first.
    func auditEntries() throws -> [AuditEntry] {
        var entries: [AuditEntry] = []
        try installation.auditStore.forEachEntry { entries.append($0); return true }
        return entries
    }

    /// The audit entries appended after `seq` entries existed.
    func auditEntries(after count: Int) throws -> [AuditEntry] {
        Array(try auditEntries().dropFirst(count))
    }
}

/// Log lines kept in memory, to prove nothing personal reaches them.
final class CapturedLogs: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

struct CapturingLogHandler: LogHandler {
    let label: String
    let sink: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line = "\(event.level) \(label): \(event.message)"
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        if !merged.isEmpty { line += " " + merged.map { "\($0)=\($1)" }.sorted().joined(separator: " ") }
        if let error = event.error { line += " error=\(String(reflecting: error))" }
        sink.append(line)
    }
}

/// Test shorthands.
extension AccessContext {
    static func test(_ id: String = "t", purpose: String? = nil) -> AccessContext { AccessContext(purpose: purpose, requestID: id) }
}

/// Runs `body` and returns the `StrongroomError` it throws (recording an issue when it throws nothing or another error).
func strongroomError(
    sourceLocation: Testing.SourceLocation = #_sourceLocation, _ body: () async throws -> some Any
) async -> StrongroomError? {
    do {
        _ = try await body()
        Issue.record("expected a StrongroomError, but the call succeeded", sourceLocation: sourceLocation)
        return nil
    } catch let error as StrongroomError {
        return error
    } catch {
        Issue.record("expected a StrongroomError, got \(String(reflecting: error))", sourceLocation: sourceLocation)
        return nil
    }
}

import AuditLog
import Catalog
import Foundation
import GRDB
import Logging
import Sealing
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

    init(
        paymentProvider: (any PaymentProvider)? = nil, openObserver: OpenObserver? = nil,
        _ configure: (inout StrongroomConfiguration) -> Void = { _ in }
    ) throws {
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
            configuration: configuration, clock: clock, logger: logger, paymentProvider: try paymentProvider ?? OfflinePaymentProvider(),
            openObserver: openObserver?.opened)
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

    /// Every table of the records database except the audit log's (a refusal is audited, so the log grows), and
    /// SQLite's and the migrator's own. Read from the schema, so a table a later change adds is covered too.
    func recordTables() throws -> [String] {
        try installation.database.readBlocking { db in
            try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'table'
                AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%' AND name NOT LIKE 'audit_%' ORDER BY name
                """)
        }
    }

    /// Row counts of every record table (``recordTables()``).
    func recordCounts() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in try recordTables() { counts[table] = try count(table) }
        return counts
    }

    /// The whole content of every record table, row by row: what a call that "changes nothing" must leave exactly as
    /// it was. Taking it moves the manual clock on by a second, so a write made afterwards carries a later time
    /// than any write before it and cannot hide by rewriting a row with the values it already had.
    func recordState() throws -> RecordState {
        var tables: [String: [String]] = [:]
        for table in try recordTables() {
            tables[table] = try installation.database.readBlocking { db in
                try Row.fetchAll(db, sql: "SELECT * FROM \(table)").map { row in
                    row.columnNames.map { name in "\(name)=\(row[name] as DatabaseValue)" }.joined(separator: "|")
                }.sorted()
            }
        }
        clock.advance(by: 1)
        return RecordState(tables: tables)
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

/// Told every place the installation's sealer opens (a struct, so a configuration closure stays the trailing one).
struct OpenObserver {
    let opened: @Sendable (FieldPlace) -> Void
}

/// The rows of every record table (see ``InstallationFixture/recordState()``); on inequality, says which tables differ.
struct RecordState: Equatable, CustomStringConvertible {
    let tables: [String: [String]]

    var description: String { tables.keys.sorted().map { "\($0): \(tables[$0]!.count) rows" }.joined(separator: ", ") }

    /// The tables whose content differs from `other`'s.
    func changedTables(since other: RecordState) -> [String] {
        Set(tables.keys).union(other.tables.keys).filter { tables[$0] != other.tables[$0] }.sorted()
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

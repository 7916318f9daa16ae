import AuditLog
import Catalog
import Keyring
import Logging
import Strongroom

/// A real installation on temporary directories (the repository's catalog and policies, minimum Argon2id limits,
/// the system clock), with a few signed-in citizens and the requests they have submitted.
final class BenchInstallation {
    static let serviceID = "benefit-application"
    static let searchableField = "national_id"

    let keysDirectory: ScratchDirectory
    let dataDirectory: ScratchDirectory
    let installation: Installation
    let citizens: [AuthenticatedCaller]
    /// Submitted requests: id, index of the owning citizen, national id.
    private(set) var requests: [(id: String, owner: Int, nationalID: String)] = []
    private var nextNumber = 0

    init(catalogDirectory: String, policyDirectory: String, citizenCount: Int) async throws {
        keysDirectory = try ScratchDirectory(prefix: "strongroom-bench-keys")
        dataDirectory = try ScratchDirectory(prefix: "strongroom-bench-data")
        let keys = KeyDirectory(path: keysDirectory.appending("Keys"))
        _ = try Keyring.create(in: keys, protection: .plain) { publicKey in
            try AuditVerifierKey(name: "strongroom-bench", publicKey: publicKey).text
        }
        var configuration = StrongroomConfiguration(
            keys: keys, dataDirectory: dataDirectory.path, catalogDirectory: catalogDirectory, policyDirectory: policyDirectory)
        configuration.passwordLimits = .minimumForTesting  // sign-in is setup here, not a measured figure
        var logger = Logger(label: "strongroom-bench", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .warning
        let installation = try Installation(configuration: configuration, logger: logger, paymentProvider: try OfflinePaymentProvider())
        guard installation.catalog.service(Self.serviceID) != nil else {
            throw BenchError("the catalog in \(catalogDirectory) has no \(Self.serviceID) service; pass --catalog with the repository's Catalog folder")
        }
        self.installation = installation
        var citizens: [AuthenticatedCaller] = []
        for number in 0..<citizenCount {
            let login = "bench-citizen-\(number)@example.org", password = "bench password \(number) is long enough"
            let context = AccessContext(requestID: "bench-setup-\(number)")
            try await installation.accounts.signUp(login: login, password: password, context: context)
            let session = try await installation.accounts.logIn(login: login, password: password, address: "192.0.2.10", context: context)
            citizens.append(session.caller)
        }
        self.citizens = citizens
    }

    /// Valid values for request number `number`: the sample values with a national id unique to it.
    static func values(number: Int) -> (values: [String: FieldInput], nationalID: String) {
        var values = SampleRequests.values(for: serviceID, marker: "Bench\(number)") ?? [:]
        let digits = String(number % 10_000_000)
        let nationalID = String(repeating: "0", count: 7 - digits.count) + digits + "BX"
        values[searchableField] = .string(nationalID)
        return (values, nationalID)
    }

    /// Submits `count` requests through `RecordService.createRequest(submit: true)`, at most `inFlight` at a time,
    /// round-robin over the citizens. Returns the wall-clock seconds.
    @discardableResult
    func submit(count: Int, inFlight: Int) async throws -> Double {
        let first = nextNumber
        nextNumber += count
        let records = installation.records
        let citizens = self.citizens
        var made: [(String, Int, String)] = []
        made.reserveCapacity(count)
        let seconds = try await Measure.time {
            try await withThrowingTaskGroup(of: (String, Int, String).self) { group in
                var next = first
                func add() {
                    let number = next
                    next += 1
                    let owner = number % citizens.count
                    let (values, nationalID) = Self.values(number: number)
                    group.addTask {
                        let view = try await records.createRequest(
                            serviceID: Self.serviceID, values: values, submit: true, caller: citizens[owner],
                            access: AccessContext(requestID: "bench-submit-\(number)"))
                        return (view.id, owner, nationalID)
                    }
                }
                for _ in 0..<min(inFlight, count) { add() }
                while let result = try await group.next() {
                    made.append(result)
                    if next < first + count { add() }
                }
            }
        }
        requests += made.map { (id: $0.0, owner: $0.1, nationalID: $0.2) }
        return seconds
    }

    /// Makes sure at least `count` requests exist (setup for the read and search scenarios when run alone).
    func ensureRequests(_ count: Int) async throws {
        if requests.count < count { try await submit(count: count - requests.count, inFlight: 64) }
    }
}

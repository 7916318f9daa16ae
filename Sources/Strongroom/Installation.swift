import AuditLog
import Catalog
import Keyring
import Logging
import Policy
import Sealing
import Storage

/// A running Strongroom: keys, database, catalog, policies and the services built on them.
public final class Installation: Sendable {
    public let configuration: StrongroomConfiguration
    public let keyring: Keyring
    public let database: StrongroomDatabase
    public let writer: GroupCommitWriter
    public let sealer: FieldSealer
    /// Per-citizen shredding keys (in the key directory, not the records database).
    public let subjectKeys: SubjectKeyStore
    public let indexer: BlindIndexer
    public let catalog: Catalog
    public let policies: PolicyStore
    public let audit: AuditTrail
    public let auditStore: SQLiteAuditStore
    /// The audit signing key as it was when the installation opened. Checkpoints are signed through
    /// ``checkpoints``, which follows key handovers made while the server runs.
    public let checkpointSigner: AuditCheckpointSigner
    /// Signs checkpoints with the audit signing key in force in the log.
    public let checkpoints: CheckpointSignerResolver
    public let clock: any ServiceClock
    /// Row MACs and the integrity alarm.
    public let integrity: RowIntegrity
    public let accounts: AccountService
    public let records: RecordService
    /// Where sign-in throttling finds the client's address (trusted proxies resolved).
    public let clientAddress: ClientAddress
    /// Refusals of unauthenticated requests, aggregated per window before they reach the audit log.
    public let refusals: RefusalLog
    /// The background rewrap started from the staff pages (one at a time; ``BackgroundJobService`` stops it on shutdown).
    public let rewrapJob: RewrapJob
    /// The background verification of the live log started from the auditor's screen (one at a time).
    public let verificationJob: AuditVerificationJob
    let logger: Logger

    /// Opens an installation: checks key permissions, loads and checks catalog and policies, migrates the database.
    ///
    /// - Parameter paymentProvider: where fees are charged; ``UnavailablePaymentProvider`` (every charge refused) when
    ///   `nil`. The offline test provider is never installed by default.
    ///   - openObserver: told the place of every sealed value the installation opens (tests count them: a field the
    ///     gate withholds must never be opened). `nil` in service.
    ///
    /// - Throws: a key, catalog, policy or storage error whose message says what to fix. Nothing is half-opened.
    public init(
        configuration: StrongroomConfiguration, passphrase: [UInt8]? = nil, clock: any ServiceClock = SystemServiceClock(),
        logger: Logger = Logger(label: "strongroom"), paymentProvider: (any PaymentProvider)? = nil,
        openObserver: (@Sendable (FieldPlace) -> Void)? = nil
    ) throws {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        rewrapJob = RewrapJob(name: "rewrap", clock: clock, logger: logger)
        verificationJob = AuditVerificationJob(name: "audit verification", clock: clock, logger: logger)
        clientAddress = try ClientAddress(trustedProxies: configuration.trustedProxies)
        let needsPassphrase = try Keyring.needsPassphrase(configuration.keys)
        keyring = try Keyring.open(configuration.keys, passphrase: needsPassphrase ? passphrase : nil)
        catalog = try CatalogLoader.load(directory: configuration.catalogDirectory)
        let loader = PolicyLoader(fields: FieldCatalog(serviceFields: catalog.serviceFieldIDs))
        policies = try PolicyStore(directory: configuration.policyDirectory, loader: loader)
        database = try StrongroomDatabase(dataDirectory: configuration.dataDirectory)
        writer = GroupCommitWriter(database: database, checkpointing: configuration.walCheckpointing)
        subjectKeys = try SubjectKeyStore(directory: configuration.keys, keyring: keyring)
        sealer = FieldSealer(keyring: keyring, subjectKeys: subjectKeys, openObserver: openObserver)
        indexer = BlindIndexer(keyring: keyring)
        auditStore = SQLiteAuditStore(database: database)
        checkpointSigner = try AuditCheckpointSigner(name: configuration.auditKeyName, keyPair: try keyring.auditSigningKeyPair())
        let policyStore = policies
        audit = AuditTrail(store: auditStore, isDeclared: { policyStore.declares(purpose: $0) })
        let integrity = RowIntegrity(authenticator: RowAuthenticator(keyring: keyring), writer: writer, audit: audit, logger: logger)
        self.integrity = integrity
        checkpoints = CheckpointSignerResolver(
            keyring: keyring, keyName: configuration.auditKeyName, origin: configuration.auditOrigin, store: auditStore,
            logger: logger, onMismatch: { mismatch in Task { await integrity.raiseAuditAlarm(mismatch) } })
        // Loads (or, once, adopts) the signer's anchor and proves the committed log extends it; a mismatch locks the
        // log here (raising the alarm) and `serve` then refuses to start.
        checkpoints.prepare(reader: database.pool)
        // The rules in force are in the log: the catalog and policies just loaded, by digest.
        let auditStore = self.auditStore, catalog = self.catalog, policies = self.policies
        try database.write { db in
            _ = try auditStore.append(RulesInForce.catalogEntry(catalog), in: db)
            _ = try auditStore.append(RulesInForce.policyEntry(policies.current, trigger: "start"), in: db)
        }
        let backfilled = try RowIntegrityBackfill.runIfNeeded(keys: configuration.keys, database: database, integrity: integrity)
        if backfilled > 0 {
            logger.notice("row integrity: authenticated the rows written before row MACs (once)", metadata: ["rows": .stringConvertible(backfilled)])
        }
        let hasher = PasswordHasher(limits: configuration.passwordLimits)
        refusals = RefusalLog(
            writer: writer, audit: audit, clock: clock, window: configuration.refusalWindowSeconds,
            maximumGroups: configuration.refusalGroupsInMemory)
        accounts = AccountService(
            configuration: configuration, writer: writer, database: database, sealer: sealer, indexer: indexer,
            audit: audit, hasher: hasher, subjectKeys: subjectKeys, clock: clock, integrity: integrity, refusals: refusals)
        records = RecordService(
            configuration: configuration, writer: writer, database: database, sealer: sealer, indexer: indexer,
            audit: audit, catalog: catalog, policies: policies, subjectKeys: subjectKeys, checkpoints: checkpoints, clock: clock,
            paymentProvider: paymentProvider ?? UnavailablePaymentProvider(), logger: logger, integrity: integrity, refusals: refusals)
    }
}

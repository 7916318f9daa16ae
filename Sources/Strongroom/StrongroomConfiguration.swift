import Keyring
import Storage
import Sodium

/// Everything an installation needs to know at start.
public struct StrongroomConfiguration: Sendable {
    /// The key directory.
    public var keys: KeyDirectory
    /// The data directory (SQLite database).
    public var dataDirectory: String
    /// The agency's catalog of e-services.
    public var catalogDirectory: String
    /// Access rules.
    public var policyDirectory: String
    /// How long a session lasts from sign-in, in seconds.
    public var sessionLifetime: Double = 8 * 3600
    /// A citizen's session unused for this long, in seconds, is over (the next request answers 401).
    public var sessionIdleSeconds: Double = 30 * 60
    /// The same for staff, shorter: their sessions reach many people's records.
    public var staffSessionIdleSeconds: Double = 15 * 60
    /// Revoked and expired sessions are deleted this long after they ended (the audit log keeps the sign-ins).
    public var sessionPurgeDays: Double = 30
    /// Argon2id cost for account passwords.
    public var passwordLimits: Argon2id.Limits = .interactive
    /// Failed sign-ins in a row on one login that cost nothing but the answer. From the next failure on, the login
    /// waits (``loginDelayBaseSeconds``, doubling, up to ``loginDelayCapSeconds``) — a delay, never a lockout: a
    /// staff member who gives the right password with a valid one-time code signs in even while it runs.
    public var loginFailureLimit = 5
    /// The wait after the ``loginFailureLimit``-th failure in a row; each further failure doubles it…
    public var loginDelayBaseSeconds: Double = 1
    /// …up to this. It bounds how long someone else's failures can keep a citizen (who has no second factor yet) out.
    public var loginDelayCapSeconds: Double = 120
    /// A login whose last failure is this old counts its failures from zero again.
    public var loginFailureMemorySeconds: Double = 3600
    /// Refusals of unauthenticated requests (failed sign-ins, throttled attempts, forged payment callbacks) of one
    /// kind and account are written to the audit log once per this many seconds, with a count (see ``RefusalLog``).
    public var refusalWindowSeconds: Double = 60
    /// The most refusal groups (kind × account) counted in memory at once; past it, every open window is written early.
    public var refusalGroupsInMemory = 10_000
    /// The TLS-terminating proxies in front of the server (addresses or CIDR ranges): only when the socket peer is one
    /// of them is the client's address read from `X-Forwarded-For` / `Forwarded` (see ``ClientAddress``).
    public var trustedProxies: [String] = []
    /// Failed sign-ins from one address per ``addressWindowSeconds`` before that address is refused.
    public var addressFailureLimit = 20
    public var addressWindowSeconds: Double = 15 * 60
    /// Sign-up attempts from one client address per hour, taken logins included.
    public var signUpsPerAddress = 20
    /// Days between a citizen's erasure request and the erasure (time to cancel, and to settle legal holds).
    public var erasureGraceDays: Double = 30
    /// How often the server runs the retention sweep, in seconds.
    public var retentionSweepSeconds: Double = 3600
    /// The office new requests are routed to.
    public var defaultOffice = "central"
    /// The audit log's origin line in checkpoints.
    public var auditOrigin = StrongroomConfiguration.defaultAuditOrigin
    /// The audit signing key's name in signed notes and in `audit-signing.pub`.
    public var auditKeyName = StrongroomConfiguration.defaultAuditKeyName

    /// The origin line `init` and the CLI use unless configured otherwise.
    public static let defaultAuditOrigin = "strongroom.local/audit"
    /// The audit key name `init` and the CLI use unless configured otherwise.
    public static let defaultAuditKeyName = "strongroom-audit"
    /// Make a signed checkpoint after this many entries…
    public var checkpointEveryEntries = 1000
    /// …or after this many seconds, whichever comes first.
    public var checkpointEverySeconds: Double = 300
    /// Keys in use for longer than this are overdue for rotation: `keys status` flags them and `serve` logs a warning.
    public var maximumKeyAgeDays = 365
    /// When the database's write-ahead log is copied back. Always `.background` in service; the canary tests keep
    /// every frame so that no plaintext written and later overwritten can escape their scan.
    public var walCheckpointing: WALCheckpointing = .background

    public init(keys: KeyDirectory, dataDirectory: String, catalogDirectory: String, policyDirectory: String) {
        self.keys = keys
        self.dataDirectory = dataDirectory
        self.catalogDirectory = catalogDirectory
        self.policyDirectory = policyDirectory
    }
}

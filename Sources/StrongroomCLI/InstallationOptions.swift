import ArgumentParser
import Keyring
import Logging
import Strongroom

/// Locations of everything an installation needs, plus the passphrase source.
struct InstallationOptions: ParsableArguments {
    @OptionGroup var location: LocationOptions

    @Option(name: .long, help: "The catalog directory (e-services and branding).")
    var catalog: String = "./Catalog"

    @Option(name: .long, help: "The policy directory (access rules and their tests).")
    var policies: String = "./Policies"

    @OptionGroup var passphraseOptions: PassphraseOptions

    /// Set by commands that take it (`serve --checkpoint-every-seconds`).
    var checkpointEverySeconds: Double?
    /// Set by `serve --trusted-proxy`.
    var trustedProxies: [String] = []
    /// Set by `serve --sign-ups-per-address`.
    var signUpsPerAddress: Int?
    /// Set by `serve --citizen-session-idle`.
    var citizenSessionIdleSeconds: Int?

    var configuration: StrongroomConfiguration {
        var configuration = StrongroomConfiguration(
            keys: location.keyDirectory, dataDirectory: location.data, catalogDirectory: catalog, policyDirectory: policies)
        if let checkpointEverySeconds { configuration.checkpointEverySeconds = checkpointEverySeconds }
        configuration.trustedProxies = trustedProxies
        if let signUpsPerAddress { configuration.signUpsPerAddress = max(1, signUpsPerAddress) }
        if let citizenSessionIdleSeconds { configuration.sessionIdleSeconds = Double(max(60, citizenSessionIdleSeconds)) }
        return configuration
    }

    func open(logger: Logger = Logger(label: "strongroom"), paymentProvider: (any PaymentProvider)? = nil) throws -> Installation {
        try Installation(
            configuration: configuration, passphrase: try passphraseOptions.passphrase(), logger: logger, paymentProvider: paymentProvider)
    }
}

/// The caller recorded for key operations run from the command line (`keys rotate|rewrap|retire`, `audit anchor
/// --reset`): the operating-system user. These need the key directory itself (and its passphrase), open no personal
/// field for anyone to read, and are not gated; commands on personal data sign an operator in instead
/// (``OperatorSignIn``).
func keyDirectoryOperator(_ role: String) -> AuthenticatedCaller {
    let user = getenvString("SUDO_USER") ?? getenvString("USER") ?? "operator"
    return AuthenticatedCaller(accountID: "cli:\(user)", kind: .staff, roles: [role], office: nil, subjectID: nil, authStrength: "local")
}

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

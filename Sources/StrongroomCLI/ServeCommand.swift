import ArgumentParser
import Hummingbird
import Keyring
import Logging
import ServiceLifecycle
import Strongroom
import StrongroomAPI
import StrongroomWeb

/// `strongroom serve`: the HTTP API.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP API.",
        discussion: """
            With --demo, creates keys and a database on first run (in the given --keys and --data directories), \
            seeds demo accounts and prints them. Demo mode is for trying Strongroom out, never for real data.
            """
    )

    @OptionGroup var options: InstallationOptions

    @Option(name: .long, help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(name: .long, help: "Port to listen on (0 picks a free one).")
    var port: Int = 8080

    @Flag(name: .long, help: "Demo mode: create keys and demo accounts when missing, and print them. Never for real data.")
    var demo = false

    @Option(name: .long, help: "Where fees are charged: none, or offline-test (marks fees paid without moving money; the default only with --demo).")
    var paymentProvider: PaymentProviderChoice?

    @Option(name: .long, help: "Sign an audit checkpoint at least this often, in seconds (default 300).")
    var checkpointEverySeconds: Double?

    @Option(name: .long, help: "Sign-up attempts allowed from one client address per hour (default 20).")
    var signUpsPerAddress: Int?

    @Option(name: .customLong("citizen-session-idle"), help: "Seconds after which an unused citizen session ends (default 1800, at least 60). The portal warns three minutes before, or at once when the period is shorter.")
    var citizenSessionIdle: Int?

    @Flag(name: .customLong("behind-tls"), help: "Browsers reach the web portal over https (through a TLS-terminating proxy): send Strict-Transport-Security on its pages.")
    var behindTLS = false

    @Option(name: .customLong("trusted-proxy"), help: "A TLS-terminating proxy in front of the server (address or CIDR range; repeatable). Only behind one is the client's address for sign-in throttling read from X-Forwarded-For / Forwarded.")
    var trustedProxies: [String] = []

    /// The payment providers `serve` can install.
    enum PaymentProviderChoice: String, ExpressibleByArgument, CaseIterable {
        case none
        case offlineTest = "offline-test"
    }

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        if let seconds = checkpointEverySeconds, !(1...86_400).contains(seconds) {
            throw ValidationError("--checkpoint-every-seconds must be between 1 and 86400")
        }
    }

    func run() async throws {
        var logger = Logger(label: "strongroom")
        logger.logLevel = .info
        let installation: Installation
        var accounts: [DemoData.Account] = []
        var witnesses: [WitnessEndpoint] = []
        do {
            if demo, let refusal = DemoData.refusal(
                keysExist: options.location.keyDirectory.holdsKeys, dataDirectory: options.location.data, keyDirectory: options.location.keys)
            {
                throw StrongroomError.invalid("demo_on_real_installation", refusal)
            }
            if demo && !options.location.keyDirectory.holdsKeys {
                _ = try Bootstrap.initialize(
                    keys: options.location.keyDirectory, dataDirectory: options.location.data, protection: .plain, force: false)
            }
            let choice = paymentProvider ?? (demo ? .offlineTest : PaymentProviderChoice.none)
            if choice == .offlineTest && !demo {
                logger.warning("TEST PAYMENTS: the offline test provider marks fees paid without moving any money; never use it with real citizens")
            }
            var options = self.options
            options.checkpointEverySeconds = checkpointEverySeconds
            options.trustedProxies = trustedProxies
            options.signUpsPerAddress = signUpsPerAddress
            options.citizenSessionIdleSeconds = citizenSessionIdle
            installation = try options.open(logger: logger, paymentProvider: choice == .offlineTest ? try OfflinePaymentProvider() : nil)
            witnesses = try WitnessEndpoint.load(from: installation.configuration.keys)
            let charging = installation.catalog.serviceIDs.filter { installation.catalog.service($0)?.fee != nil }
            if choice == .none && !charging.isEmpty {
                throw StrongroomError.invalid(
                    "no_payment_provider",
                    "the catalog charges fees (\(charging.joined(separator: ", "))) but no payment provider is configured: a real provider implements PaymentProvider (docs/payments.md); for a test installation pass --payment-provider offline-test")
            }
            // Start-up proves the log extends the one this server last signed, before anything is served.
            try installation.checkpoints.verifyCommittedLog(reader: installation.database.pool)
            if demo { accounts = try await DemoData.seed(installation) }
        } catch {
            throw fail("\(error)")
        }
        for warning in await KeyAgeService.allOverdueWarnings(installation) {
            logger.warning("\(warning)")
        }
        var services: [any Service] = [
            CheckpointService(installation: installation, logger: logger),
            // After the checkpoint service: services stop in reverse order, so the refusal counts of the windows still
            // open are written before the final checkpoint signs the log.
            RefusalLogService(installation: installation, logger: logger),
            PolicyReloadService(installation: installation, logger: logger),
            RetentionService(installation: installation, logger: logger),
            KeyAgeService(installation: installation, logger: logger),
            BackgroundJobService(installation: installation),
        ]
        if !witnesses.isEmpty {
            logger.info("submitting checkpoints to witnesses", metadata: ["witnesses": "\(witnesses.map(\.key.name).joined(separator: ", "))"])
            services.append(CosignatureService(submitter: WitnessSubmitter(
                endpoints: witnesses, transport: HTTPWitnessTransport(), store: installation.auditStore,
                reader: installation.database.pool, writer: installation.writer, logger: logger)))
        }
        let printed = accounts
        let host = self.host
        let isDemo = demo
        let portal = try await Portal(installation: installation, tls: behindTLS)
        let app = buildApplication(
            installation: installation, host: host, port: port,
            services: services, logger: logger, additionalRoutes: [portal.routes],
            onServerRunning: { port in
                FileDescriptorOutput.standardOutput.write(ServeBanner(host: host, port: port, demo: isDemo, accounts: printed).render())
            })
        try await app.runService()
    }
}

/// What `serve` prints when it is ready.
struct ServeBanner {
    let host: String
    let port: Int
    let demo: Bool
    let accounts: [DemoData.Account]

    func render() -> String {
        var out = ""
        if demo {
            out += String(repeating: "!", count: 78) + "\n"
            out += "!! DEMO MODE: demo accounts with published passwords. Never put real data here.\n"
            out += String(repeating: "!", count: 78) + "\n"
        }
        out += "Strongroom is listening on http://\(host):\(port)\n"
        out += "  portal:   http://\(host):\(port)/   (citizens: sign up or use a demo account below)\n"
        out += "  health:   curl http://\(host):\(port)/healthz\n"
        out += "  API:      http://\(host):\(port)/openapi.yaml\n"
        if !accounts.isEmpty {
            out += "Demo accounts (sign in with POST /v1/sessions {\"login\", \"password\"[, \"code\"]}):\n"
            var rows = [["LOGIN", "PASSWORD", "ROLE", "OFFICE"]]
            for account in accounts { rows.append([account.login, account.password, account.role, account.office ?? "-"]) }
            out += TextTable(rows: rows).render().split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n"
            out += "Staff also need a one-time code: `strongroom demo code LOGIN` prints the current one (demo only).\n"
            out += "Try:\n"
            out += "  curl -s -X POST http://\(host):\(port)/v1/sessions -H 'content-type: application/json' \\\n"
            out += "       -d '{\"login\":\"alice@example.org\",\"password\":\"demo-citizen-passphrase\"}'\n"
        }
        return out
    }
}


#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

import Foundation
import GRDB
import Keyring
import Sodium
import Storage
import Strongroom
import Testing

@testable import StrongroomCLI

/// A member of staff who runs CLI commands as their operator, as a script would: `--operator LOGIN` with the password
/// and the code their authenticator app shows now in the (task's) environment.
struct TestOperator: Sendable {
    let login: String
    let password: String
    let accountID: String
    /// The authenticator secret, decoded from the enrolment's `otpauth://` URI (what the app holds).
    let secret: [UInt8]
    let data: String

    /// Adds a staff account through the account service (as the system, the way `staff bootstrap` does).
    static func add(
        to installation: Installation, login: String, roles: Set<String>, office: String? = nil
    ) async throws -> TestOperator {
        let enrolment = try await installation.accounts.addStaff(
            login: login, roles: roles, office: office, by: .system("test-setup"), context: AccessContext(requestID: "test-setup"))
        return try TestOperator(enrolment, data: installation.configuration.dataDirectory)
    }

    /// The same on an installation made by `strongroom init` in `keys` and `data`.
    static func add(keys: String, data: String, login: String, roles: Set<String>, office: String? = nil) async throws -> TestOperator {
        try await add(to: try openInstallation(keys: keys, data: data), login: login, roles: roles, office: office)
    }

    init(_ enrolment: AccountService.StaffEnrolment, data: String) throws {
        login = enrolment.login
        password = enrolment.password
        accountID = enrolment.accountID
        self.data = data
        let uri = enrolment.oneTimeCodeURI
        guard let base32 = uri.range(of: "secret=").map({ String(uri[$0.upperBound...].prefix { $0 != "&" }) }) else {
            throw SetupError(description: "no secret in the enrolment URI")
        }
        secret = try Self.base32Decode(base32)
    }

    /// The code the authenticator shows now. Each sign-in spends the code of its 30-second step (the replay guard); so
    /// that tests need not wait for the next one, the account's guard is put back first, as if the next code had come.
    func currentCode() throws -> String {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        let queue = try DatabaseQueue(path: data + "/" + StrongroomDatabase.fileName, configuration: configuration)
        try queue.write { db in try db.execute(sql: "UPDATE accounts SET totp_last_step = 0 WHERE id = ?", arguments: [accountID]) }
        try queue.close()
        // A copy of its own: SecretBytes(consuming:) wipes the storage it is given, shared copy-on-write or not.
        var bytes = secret.map { $0 }
        let key = try SecretBytes(consuming: &bytes)
        return TOTP.code(secret: key, at: Int64(Date().timeIntervalSince1970))
    }

    /// Runs `strongroom ARGUMENTS --operator LOGIN` with the password and a current code in the task's environment.
    func run(_ arguments: [String], password: String? = nil, code: String? = nil) async -> Int32 {
        let environment = [
            OperatorSignIn.passwordVariable: password ?? self.password,
            OperatorSignIn.codeVariable: (try? code ?? currentCode()) ?? "",
        ]
        return await OperatorSignIn.$input.withValue(OperatorInput(environment: environment, interactive: false)) {
            await StrongroomCLITests.run(arguments + ["--operator", login])
        }
    }

    static func base32Decode(_ text: String) throws -> [UInt8] {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)
        var bytes: [UInt8] = []
        var buffer: UInt32 = 0, bits = 0
        for character in text.uppercased().utf8 where character != UInt8(ascii: "=") {
            guard let value = alphabet.firstIndex(of: character) else { throw SetupError(description: "the secret is not base32") }
            buffer = (buffer << 5) | UInt32(value)
            bits += 5
            if bits >= 8 {
                bytes.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits - 8)))
                bits -= 8
            }
        }
        return bytes
    }
}

struct SetupError: Error, CustomStringConvertible {
    let description: String
}

/// Runs a command line with no operator named and no terminal to ask on: commands on personal data must refuse.
func runWithoutOperator(_ arguments: [String], environment: [String: String] = [:]) async -> Int32 {
    await OperatorSignIn.$input.withValue(OperatorInput(environment: environment, interactive: false)) { await run(arguments) }
}

/// Opens the installation `strongroom init` made, with this repository's catalog and policies (minimum Argon2id cost).
func openInstallation(keys: String, data: String) throws -> Installation {
    var configuration = StrongroomConfiguration(
        keys: KeyDirectory(path: keys), dataDirectory: data, catalogDirectory: repositoryRoot + "/Catalog",
        policyDirectory: repositoryRoot + "/Policies")
    configuration.passwordLimits = .minimumForTesting
    return try Installation(configuration: configuration)
}

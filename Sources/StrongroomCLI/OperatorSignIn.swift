import ArgumentParser
import Strongroom

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Who runs a command that reads or changes personal data, and for what: `--operator LOGIN` and `--purpose`.
///
/// The operator is a staff account, signed in through the same ``AccountService`` as the web and the API — login,
/// password and current one-time code — so the gate decides with that person's roles and the declared purpose, and the
/// audit log names their account. The password and code come from `STRONGROOM_OPERATOR_PASSWORD` and
/// `STRONGROOM_OPERATOR_CODE` (for scripts; both are removed from the process environment once read) or, on a terminal,
/// from a prompt (the password without echo). Never from the command line, where `ps` and shell histories show it.
struct OperatorOptions: ParsableArguments {
    @Option(name: .customLong("operator"), help: ArgumentHelp(
        "The staff account that runs this command (its login). Password and one-time code from STRONGROOM_OPERATOR_PASSWORD and STRONGROOM_OPERATOR_CODE, or asked for on a terminal.",
        valueName: "login"))
    var login: String?

    @Option(name: .long, help: "The purpose of use, one the policies declare (each command has the usual one as its default).")
    var purpose: String?
}

/// Where a command reads its operator's credentials. The process's own environment and terminal in service; tests
/// set ``OperatorSignIn/input`` for their task, so that commands run side by side in one process never share them.
struct OperatorInput: Sendable {
    /// Replaces the process environment when set (and the process environment is then left alone).
    var environment: [String: String]?
    /// Whether a person can be asked on a terminal.
    var interactive: Bool

    static let process = OperatorInput(environment: nil, interactive: isatty(0) == 1 && isatty(2) == 1)
}

/// Signs a command's operator in, runs the command as them, and signs them out again.
enum OperatorSignIn {
    static let passwordVariable = "STRONGROOM_OPERATOR_PASSWORD"
    static let codeVariable = "STRONGROOM_OPERATOR_CODE"
    /// The address the sign-in throttles count against: the command line of this machine.
    static let address = "local-cli"

    @TaskLocal static var input: OperatorInput = .process

    /// Runs `body` with the signed-in operator and the access context (their purpose, `requestID`); the session ends
    /// afterwards, whatever happens.
    ///
    /// - Parameters:
    ///   - command: how the command is called, for messages (`subjects erase`).
    ///   - defaultPurpose: the purpose when `--purpose` is not given.
    /// - Throws: an ``ExitCode`` after a clear line on standard error when no operator is named, the sign-in fails or
    ///   the account is not a staff account; nothing was changed then.
    static func run<T>(
        _ installation: Installation, _ options: OperatorOptions, command: String, defaultPurpose: String, requestID: String,
        _ body: (AuthenticatedCaller, AccessContext) async throws -> T
    ) async throws -> T {
        let input = Self.input
        let credentials = try credentials(options, command: command, input: input)
        let context = AccessContext(requestID: requestID)
        let session: AccountService.Session
        do {
            session = try await installation.accounts.logIn(
                login: credentials.login, password: credentials.password, oneTimeCode: credentials.code, address: address, context: context)
        } catch let error as StrongroomError where error.kind == .unauthenticated {
            throw fail("the operator's login, password or one-time code is not right (each code works once: after a refusal or another command, wait for the next one). Nothing was changed")
        } catch let error as StrongroomError where error.kind == .tooManyRequests {
            throw fail("\(error.message) (too many failed sign-ins as this operator). Nothing was changed")
        }
        guard session.caller.kind == .staff else {
            try? await installation.accounts.logOut(token: session.token, context: context)
            throw fail("the operator's login, password or one-time code is not right (each code works once: after a refusal or another command, wait for the next one). Nothing was changed")
        }
        let access = AccessContext(purpose: options.purpose ?? defaultPurpose, requestID: requestID)
        do {
            let result = try await body(session.caller, access)
            try? await installation.accounts.logOut(token: session.token, context: access)
            return result
        } catch {
            try? await installation.accounts.logOut(token: session.token, context: access)
            throw error
        }
    }

    struct Credentials {
        let login: String
        let password: String
        let code: String
    }

    /// The operator's login, password and code: from the options and the environment, or asked for on a terminal.
    static func credentials(_ options: OperatorOptions, command: String, input: OperatorInput) throws -> Credentials {
        let missing = """
            `strongroom \(command)` acts on personal data and runs as a member of staff: give --operator LOGIN with \
            \(passwordVariable) and \(codeVariable) in the environment, or run it on a terminal to be asked. Nothing was changed
            """
        var login = options.login?.trimmingCharacters(in: .whitespaces)
        if login?.isEmpty ?? true {
            guard input.interactive else { throw fail(missing) }
            login = prompt("Operator login (staff account): ", echo: true)
        }
        guard let login, !login.isEmpty else { throw fail(missing) }
        guard let password = value(passwordVariable, input: input) ?? (input.interactive ? prompt("Password for \(login): ", echo: false) : nil),
            !password.isEmpty
        else { throw fail(missing) }
        guard let code = value(codeVariable, input: input) ?? (input.interactive ? prompt("One-time code from your authenticator app: ", echo: true) : nil),
            !code.isEmpty
        else { throw fail(missing) }
        return Credentials(login: login, password: password, code: code.filter { !$0.isWhitespace })
    }

    /// A variable from the test's environment, or from the process's, which is then overwritten and removed (child
    /// processes and /proc/PID/environ do not see it again).
    static func value(_ name: String, input: OperatorInput) -> String? {
        if let environment = input.environment { return environment[name] }
        guard let raw = getenv(name) else { return nil }
        let count = strlen(raw)
        let value = String(decoding: UnsafeRawBufferPointer(start: raw, count: count), as: UTF8.self)
        memset(raw, 0, count)
        unsetenv(name)
        return value
    }

    /// One line from standard input after a prompt on standard error; without echo for a password.
    static func prompt(_ text: String, echo: Bool) -> String? {
        FileDescriptorOutput.standardError.write(text)
        var saved = termios()
        let hidden = !echo && tcgetattr(0, &saved) == 0
        if hidden {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            _ = tcsetattr(0, TCSAFLUSH, &quiet)
        }
        defer {
            if hidden {
                _ = tcsetattr(0, TCSAFLUSH, &saved)
                FileDescriptorOutput.standardError.write("\n")
            }
        }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while read(0, &byte, 1) == 1, byte != 10 {
            if byte != 13 { bytes.append(byte) }
        }
        defer { for index in bytes.indices { bytes[index] = 0 } }
        return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
    }
}

import ArgumentParser

/// `strongroom`: the command-line interface for operators, security officers and auditors.
public struct StrongroomCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "strongroom",
        abstract: "Strongroom: a privacy-hardened secure records service.",
        discussion: """
            Personal data is sealed field by field with libsodium, every access passes a policy gate, \
            and every access is recorded in a hash-chained, signed audit log.
            """,
        version: "0.1.0",
        subcommands: [
            InitCommand.self, ServeCommand.self, KeysCommand.self, StaffCommand.self, PolicyCommand.self, CatalogCommand.self,
            AuditCommand.self, SubjectsCommand.self, RetentionCommand.self, DemoCommand.self, WitnessCommand.self,
        ]
    )

    public init() {}
}

extension StrongroomCommand {
    /// Parses the process arguments and runs the chosen command, async or not; exits with its status.
    public static func runAsRoot(_ arguments: [String]? = nil) async {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

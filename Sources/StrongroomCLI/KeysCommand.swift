import ArgumentParser
import Foundation
import Keyring

/// `strongroom keys …`: key status for security officers. Never prints key bytes.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Inspect the key hierarchy.",
        subcommands: [Status.self]
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show key ids, versions, creation times and states (never key bytes).")

        @OptionGroup var location: LocationOptions
        @OptionGroup var passphraseOptions: PassphraseOptions

        @Flag(name: .long, help: "Print JSON instead of a table.")
        var json = false

        func run() async throws {
            do {
                let keyring = try passphraseOptions.openKeyring(location.keyDirectory)
                FileDescriptorOutput.standardOutput.write(KeyStatusReport(statuses: keyring.status(), directory: location.keys).render(json: json))
            } catch {
                throw fail("\(error)")
            }
        }
    }
}

/// The rendering of `keys status`, separated from the command so tests can check it.
struct KeyStatusReport {
    let statuses: [KeyStatus]
    let directory: String
    var now = Date()

    func render(json: Bool) -> String {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            let lines = statuses.compactMap { try? encoder.encode($0) }.map { String(decoding: $0, as: UTF8.self) }
            return lines.joined(separator: "\n") + "\n"
        }
        let formatter = ISO8601DateFormatter()
        var rows = [["KEY", "VERSION", "STATE", "CREATED", "AGE"]]
        for status in statuses {
            let days = Int(now.timeIntervalSince(status.createdAt) / 86_400)
            rows.append([status.id.rawValue, String(status.version), status.state.rawValue, formatter.string(from: status.createdAt), "\(days)d"])
        }
        return "Key directory: \(directory)\n" + TextTable(rows: rows).render()
    }
}

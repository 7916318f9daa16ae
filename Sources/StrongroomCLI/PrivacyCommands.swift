import ArgumentParser
import Strongroom

/// `strongroom subjects erase ID --basis "…"`: crypto-shredding ordered by an officer.
struct SubjectsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subjects", abstract: "Data subjects: erasure ordered by an officer, access reports.", subcommands: [Erase.self, AccessReportCommand.self])

    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Destroy every key of a data subject now: their sealed fields become unreadable everywhere, backups included.",
            discussion: """
                Runs as its operator (--operator), whom the policies must allow to erase (the sample policies: a supervisor, \
                purpose legal-obligation); the log names their account. \
                Non-personal metadata (service, dates, status) and the audit log remain. An erasure receipt is added to the log, \
                and the output says which signed checkpoint covers it. A running server stops using the destroyed keys within \
                a second. If this stops part way, run it again (or `strongroom retention run`) to complete it.
                """)

        @OptionGroup var options: InstallationOptions
        @OptionGroup var operatorOptions: OperatorOptions
        @Argument(help: "The data subject id (sub_…), as shown in the audit log.") var subject: String
        @Option(name: .long, help: "The legal basis, recorded in the receipt (no personal data).") var basis: String

        func validate() throws {
            if basis.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--basis must say why (e.g. \"GDPR art. 17 request 2026-114\")") }
        }

        func run() async throws {
            do {
                let installation = try options.open()
                let receipt = try await OperatorSignIn.run(
                    installation, operatorOptions, command: "subjects erase", defaultPurpose: "legal-obligation", requestID: "cli-subjects-erase"
                ) { caller, access in
                    try await installation.records.erase(subjectID: subject, basis: basis, by: caller, access: access, signReceipt: true)
                }
                FileDescriptorOutput.standardOutput.write(Self.report(subject: subject, receipt) + "\n")
            } catch let error as ExitCode {
                throw error
            } catch {
                throw fail("\(error)")
            }
        }

        /// What the command prints: what was removed, and exactly what covers the receipt.
        static func report(subject: String, _ receipt: ShreddingReceipt) -> String {
            "Erased \(subject): \(receipt.keysDestroyed) key(s) destroyed, \(receipt.fieldsRemoved) sealed field(s) and "
                + "\(receipt.openFieldsRemoved) public field value(s) removed; \(receiptCoverageLine(receipt))."
        }
    }
}

/// The receipt's line about the checkpoint that covers it.
func receiptCoverageLine(_ receipt: ShreddingReceipt) -> String {
    switch receipt.coverage {
    case .signed(let treeSize):
        "receipt is audit entry \(receipt.auditSeq), covered by the checkpoint signed just now (tree size \(treeSize))"
    case .unsigned(let reason):
        "receipt is audit entry \(receipt.auditSeq), not yet covered by a signed checkpoint (\(reason)); "
            + "the next checkpoint the server signs will cover it"
    }
}

/// `strongroom retention run`: the retention sweep, also run hourly by the server.
struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention", abstract: "Retention: shred what has outlived its retention period.", subcommands: [Run.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Destroy the keys of request fields whose retention ended, and carry out erasure requests whose grace period passed.",
            discussion: """
                The server runs the same sweep hourly on its own. Run by hand, it runs as its operator (--operator), whom \
                the policies must allow to order erasures (the sample policies: a supervisor, purpose legal-obligation); \
                every entry of the sweep names their account.
                """)
        @OptionGroup var options: InstallationOptions
        @OptionGroup var operatorOptions: OperatorOptions

        func run() async throws {
            do {
                let installation = try options.open()
                let receipts = try await OperatorSignIn.run(
                    installation, operatorOptions, command: "retention run", defaultPurpose: "legal-obligation", requestID: "cli-retention-run"
                ) { caller, access in
                    try await installation.records.runRetention(signReceipt: true, by: caller, access: access)
                }
                for receipt in receipts {
                    let who = receipt.subjectID.map { "erasure of \($0)" } ?? "retention sweep"
                    FileDescriptorOutput.standardOutput.write(
                        "\(who): \(receipt.keysDestroyed) key(s) destroyed, \(receipt.fieldsRemoved + receipt.openFieldsRemoved) field(s) removed; \(receiptCoverageLine(receipt))\n")
                }
            } catch let error as ExitCode {
                throw error
            } catch {
                throw fail("\(error)")
            }
        }
    }
}

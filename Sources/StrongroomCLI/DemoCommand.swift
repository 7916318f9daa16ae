import ArgumentParser
import Strongroom

/// `strongroom demo code LOGIN`: the current one-time code of a demo staff account.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Helpers for demo installations only.", subcommands: [Code.self])

    struct Code: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the current one-time code of a demo staff account (refused outside demo mode).")

        @OptionGroup var options: InstallationOptions

        @Argument(help: "The staff login, for example carol@agency.example.")
        var login: String

        func run() async throws {
            guard DemoData.isDemo(dataDirectory: options.location.data) else {
                throw fail("this data directory is not a demo installation; real staff read codes from their authenticator app")
            }
            do {
                let installation = try options.open()
                let staff = try await installation.accounts.listStaff(
                    by: .system("demo"), context: AccessContext(purpose: "administration", requestID: "cli-demo-code"))
                guard DemoData.staffLogins.contains(login.lowercased()),
                    let account = staff.first(where: { $0.login == login.lowercased() })
                else {
                    throw fail("no demo staff account \(login)")
                }
                FileDescriptorOutput.standardOutput.write(try installation.accounts.unsafeCurrentOneTimeCode(accountID: account.accountID) + "\n")
            } catch let error as ExitCode {
                throw error
            } catch {
                throw fail("\(error)")
            }
        }
    }
}

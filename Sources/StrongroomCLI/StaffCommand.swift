import ArgumentParser
import Foundation
import Strongroom

/// `strongroom staff bootstrap|add|list|disable|reset-mfa`: staff accounts, for administrators.
struct StaffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "staff", abstract: "Manage staff accounts (roles, office, sign-in).",
        discussion: """
            Every command but bootstrap runs as its operator (--operator): an administrator, signed in with password and \
            one-time code, whom the policies allow to manage staff (purpose administration).
            """,
        subcommands: [Bootstrap.self, Add.self, List.self, Disable.self, ResetMFA.self])

    /// What `staff add` and `staff bootstrap` print: the initial password and authenticator enrolment, once.
    static func enrolmentText(_ enrolment: AccountService.StaffEnrolment) -> String {
        """
        Created staff account \(enrolment.login) (\(enrolment.accountID))
          initial password: \(enrolment.password)
          authenticator:    \(enrolment.oneTimeCodeURI)
        Hand both over in person; neither is shown again.\n
        """
    }

    struct Bootstrap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the installation's first administrator; refused once an active administrator exists.",
            discussion: """
                The one staff command without an operator: an installation that has no active administrator has nobody \
                to sign in as. The log records it as done by the system (actor bootstrap). Every later account is made \
                by an administrator with `strongroom staff add --operator LOGIN`.
                """)

        @OptionGroup var options: InstallationOptions
        @Option(name: .long, help: "The first administrator's login (an email address or user name).") var login: String

        func run() async throws {
            do {
                let installation = try options.open()
                let enrolment = try await installation.bootstrapAdministrator(
                    login: login, access: AccessContext(purpose: "administration", requestID: "cli-staff-bootstrap"))
                FileDescriptorOutput.standardOutput.write(StaffCommand.enrolmentText(enrolment))
            } catch {
                throw fail("\(error)")
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a staff account; prints its initial password and authenticator enrolment once.")

        @OptionGroup var options: InstallationOptions
        @OptionGroup var operatorOptions: OperatorOptions
        @Option(name: .long, help: "The login (an email address or user name).") var login: String
        @Option(name: .long, parsing: .upToNextOption, help: "Roles: caseworker, supervisor, auditor, security-officer, administrator.")
        var role: [String]
        @Option(name: .long, help: "The office (required for caseworkers and supervisors).") var office: String?

        func validate() throws {
            let unknown = Set(role).subtracting(AccountService.staffRoles)
            if !unknown.isEmpty {
                throw ValidationError("unknown role \(unknown.sorted().joined(separator: ", ")); use: \(AccountService.staffRoles.sorted().joined(separator: ", "))")
            }
            if role.isEmpty { throw ValidationError("give at least one --role") }
        }

        func run() async throws {
            do {
                let installation = try options.open()
                let enrolment = try await OperatorSignIn.run(
                    installation, operatorOptions, command: "staff add", defaultPurpose: "administration", requestID: "cli-staff-add"
                ) { caller, access in
                    try await installation.addStaff(login: login, roles: Set(role), office: office, caller: caller, access: access)
                }
                FileDescriptorOutput.standardOutput.write(StaffCommand.enrolmentText(enrolment))
            } catch let error as ExitCode {
                throw error
            } catch {
                throw fail("\(error)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List staff accounts.")
        @OptionGroup var options: InstallationOptions
        @OptionGroup var operatorOptions: OperatorOptions

        func run() async throws {
            do {
                let installation = try options.open()
                let staff = try await OperatorSignIn.run(
                    installation, operatorOptions, command: "staff list", defaultPurpose: "administration", requestID: "cli-staff-list"
                ) { caller, access in
                    try await installation.staffAccounts(caller: caller, access: access)
                }
                var rows = [["LOGIN", "ROLES", "OFFICE", "STATUS", "ID"]]
                for member in staff {
                    rows.append([member.login, member.roles.joined(separator: ","), member.office ?? "-", member.status, member.accountID])
                }
                FileDescriptorOutput.standardOutput.write(TextTable(rows: rows).render())
            } catch let error as ExitCode {
                throw error
            } catch {
                throw fail("\(error)")
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a staff account and end its sessions.")
        @OptionGroup var options: InstallationOptions
        @OptionGroup var operatorOptions: OperatorOptions
        @Option(name: .long, help: "The login to disable.") var login: String

        func run() async throws {
            do {
                let installation = try options.open()
                try await OperatorSignIn.run(
                    installation, operatorOptions, command: "staff disable", defaultPurpose: "administration", requestID: "cli-staff-disable"
                ) { caller, access in
                    try await installation.disableStaff(login: login, caller: caller, access: access)
                }
                FileDescriptorOutput.standardOutput.write("Disabled \(login); its sessions are revoked.\n")
            } catch let error as ExitCode {
                throw error
            } catch {
                throw fail("\(error)")
            }
        }
    }

    struct ResetMFA: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-mfa",
            abstract: "Give a staff account a new authenticator secret (printed once) and end its sessions.",
            discussion: "For a member of staff who lost their authenticator. Codes from the old secret stop working at once; the password is unchanged.")
        @OptionGroup var options: InstallationOptions
        @OptionGroup var operatorOptions: OperatorOptions
        @Option(name: .long, help: "The login whose second factor to reset.") var login: String

        func validate() throws {
            if login.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("give the --login to reset") }
        }

        func run() async throws {
            do {
                let installation = try options.open()
                let reset = try await OperatorSignIn.run(
                    installation, operatorOptions, command: "staff reset-mfa", defaultPurpose: "administration", requestID: "cli-staff-reset-mfa"
                ) { caller, access in
                    try await installation.resetStaffSecondFactor(login: login, caller: caller, access: access)
                }
                FileDescriptorOutput.standardOutput.write("""
                    New authenticator secret for \(reset.login) (\(reset.accountID)); its sessions are ended.
                      authenticator:    \(reset.oneTimeCodeURI)
                    Hand it over in person; it is not shown again.\n
                    """)
            } catch let error as ExitCode {
                throw error
            } catch {
                throw fail("\(error)")
            }
        }
    }
}

import ArgumentParser
import Strongroom
import StrongroomAPI

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension AuditCommand {
    /// `strongroom audit review`: the break-glass review report, and marking an access reviewed.
    struct Review: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List break-glass accesses waiting for review, or mark one reviewed (--mark SEQ --finding F).",
            discussion: """
                Every break-glass read stays on this report until a second person reviews it. A review is an audit entry \
                of its own (action break-glass.review) naming the entry and the finding; whoever broke the glass cannot \
                review their own access. Runs as its operator (--operator), the auditor or supervisor on duty, whose \
                account the log names (purpose audit by default; a supervisor gives --purpose supervision).
                """)

        @OptionGroup var options: InstallationOptions
        @OptionGroup var operatorOptions: OperatorOptions
        @Flag(name: .long, help: "Include accesses already reviewed.") var all = false
        @Option(name: .long, help: "Mark the break-glass access with this audit sequence number reviewed.") var mark: UInt64?
        @Option(name: .long, help: "The finding when marking: \(BreakGlassFinding.allCases.map(\.rawValue).joined(separator: ", ")).")
        var finding: String?
        @Flag(name: .long, help: "JSON lines instead of a table.") var json = false

        func validate() throws {
            if mark != nil, finding.flatMap(BreakGlassFinding.init(rawValue:)) == nil {
                throw ValidationError("--mark needs --finding \(BreakGlassFinding.allCases.map(\.rawValue).joined(separator: "|"))")
            }
            if mark == nil, finding != nil { throw ValidationError("--finding is used with --mark SEQ") }
        }

        func run() async throws {
            do {
                let installation = try options.open()
                try await OperatorSignIn.run(
                    installation, operatorOptions, command: "audit review", defaultPurpose: "audit", requestID: "cli-audit-review"
                ) { caller, access in
                    try await review(installation, caller: caller, access: access)
                }
            } catch let error as ExitCode {
                throw error
            } catch {
                throw fail("\(error)")
            }
        }

        func review(_ installation: Installation, caller: AuthenticatedCaller, access: AccessContext) async throws {
            if let mark, let finding = finding.flatMap(BreakGlassFinding.init(rawValue:)) {
                let item = try await installation.records.reviewBreakGlass(auditSeq: mark, finding: finding, caller: caller, access: access)
                FileDescriptorOutput.standardOutput.write(
                    "marked entry \(mark) reviewed (\(finding.rawValue)); the review is audit entry \(item.review?.auditSeq ?? 0)\n")
                return
            }
            let items = try await installation.records.breakGlassAccesses(includeReviewed: all, caller: caller, access: access)
            if json {
                FileDescriptorOutput.standardOutput.write(try items.map { try APIJSON.encode(BreakGlassBody($0)) + "\n" }.joined())
            } else if items.isEmpty {
                FileDescriptorOutput.standardOutput.write(all ? "no break-glass accesses in the log\n" : "no break-glass access is waiting for review\n")
            } else {
                var rows = [["SEQ", "TIME", "ACTOR", "ROLE", "OFFICE", "ACTION", "RECORD", "FIELDS", "GRANT", "REVIEW"]]
                for item in items {
                    rows.append([
                        String(item.auditSeq), item.time.formatted(.iso8601), item.actorID, item.role, item.office ?? "-", item.action,
                        item.recordID ?? "-", item.fields.joined(separator: ","),
                        item.grant.map { "\($0.openedByThisAccess ? "opened" : "within") \($0.id) until \($0.expiresAt.formatted(.iso8601))" } ?? "-",
                        item.review.map { "\($0.finding) by \($0.reviewerID) (entry \($0.auditSeq))" } ?? "WAITING",
                    ])
                }
                FileDescriptorOutput.standardOutput.write(TextTable(rows: rows).render())
                // Justifications are free text: each on its own line under the table, not squeezed into a column.
                var justified: Set<String> = []
                for item in items {
                    guard let grant = item.grant, justified.insert(grant.id).inserted else { continue }
                    let text = grant.justification.map { String($0.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) }) }
                        ?? "(no longer readable: the data subject was erased)"
                    FileDescriptorOutput.standardOutput.write("justification of \(grant.id) (entry \(item.auditSeq)): \(text)\n")
                }
                let waiting = items.filter { $0.review == nil }.count
                FileDescriptorOutput.standardOutput.write("\(waiting) waiting for review; mark one with: strongroom audit review --mark SEQ --finding justified\n")
            }
        }
    }
}

extension SubjectsCommand {
    /// `strongroom subjects access-report ID`: who accessed a subject's data, for answering a written request.
    struct AccessReportCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "access-report",
            abstract: "Every access to a data subject's records by someone else: when, role, office, fields, purpose, break-glass.",
            discussion: """
                Derived from the audit log; names roles and offices, never staff members. Runs as its operator (--operator), \
                whom the policies must allow to export the subject's data (the sample policies: a supervisor, purpose \
                legal-obligation); producing the report is itself audited under their account.
                """)

        @OptionGroup var options: InstallationOptions
        @OptionGroup var operatorOptions: OperatorOptions
        @Argument(help: "The data subject id (sub_…).") var subject: String
        @Flag(name: .long, help: "JSON instead of a table.") var json = false

        func run() async throws {
            do {
                let installation = try options.open()
                let report = try await OperatorSignIn.run(
                    installation, operatorOptions, command: "subjects access-report", defaultPurpose: "legal-obligation",
                    requestID: "cli-subjects-access-report"
                ) { caller, access in
                    try await installation.records.accessReport(subjectID: subject, officer: caller, access: access)
                }
                if json {
                    FileDescriptorOutput.standardOutput.write(try APIJSON.encode(AccessReportBody(report)) + "\n")
                    return
                }
                var rows = [["SEQ", "TIME", "ACTION", "WHO", "OFFICE", "RECORD", "FIELDS", "PURPOSE", "BREAK-GLASS", "RESULT"]]
                for entry in report.entries {
                    rows.append([
                        String(entry.auditSeq), entry.time.formatted(.iso8601), entry.action, entry.role, entry.office ?? "-",
                        entry.recordID ?? "-", entry.fields.joined(separator: ","), entry.purpose ?? "-", entry.breakGlass ? "YES" : "no",
                        entry.allowed ? "allowed" : "refused",
                    ])
                }
                FileDescriptorOutput.standardOutput.write(
                    "Access report for \(report.subjectID), \(report.generatedAt.formatted(.iso8601)): \(report.entries.count) access(es)\n")
                if report.entries.count > 0 { FileDescriptorOutput.standardOutput.write(TextTable(rows: rows).render()) }
            } catch let error as ExitCode {
                throw error
            } catch {
                throw fail("\(error)")
            }
        }
    }
}

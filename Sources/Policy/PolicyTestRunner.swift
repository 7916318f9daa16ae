#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `policy test`: runs the decision tables in `Policies/tests/*.decisions` against a policy set.
///
/// ```swift
/// let report = PolicyTestRunner(policySet).run(directory: "Policies/tests")
/// print(report.render()); exit(report.passed ? 0 : 1)
/// ```
public struct PolicyTestRunner: Sendable {
    public let policySet: PolicySet

    public init(_ policySet: PolicySet) { self.policySet = policySet }

    /// Runs every `*.decisions` file of a directory, in name order.
    public func run(directory: String) -> PolicyTestReport {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            return PolicyTestReport(results: [], diagnostics: [
                PolicyDiagnostic(.io, at: SourceLocation(file: directory, line: 1, column: 1), "cannot list the decision-table directory"),
            ])
        }
        var sources: [PolicySource] = []
        var diagnostics: [PolicyDiagnostic] = []
        for name in names.sorted() where name.hasSuffix(".decisions") {
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                diagnostics.append(PolicyDiagnostic(.io, at: SourceLocation(file: name, line: 1, column: 1), "cannot read the table as UTF-8 text"))
                continue
            }
            sources.append(PolicySource(name: name, text: text))
        }
        let report = run(sources)
        return PolicyTestReport(results: report.results, diagnostics: diagnostics + report.diagnostics)
    }

    /// Runs tables already in memory.
    public func run(_ sources: [PolicySource]) -> PolicyTestReport {
        var results: [PolicyTestResult] = []
        var diagnostics: [PolicyDiagnostic] = []
        let gate = Gate(policySet)
        for source in sources {
            let table = DecisionTable(source, schema: policySet.schema)
            diagnostics += table.diagnostics
            for row in table.rows {
                let request = row.request
                let decision = gate.decide(request.principal, request.action, request.resource, request.context)
                results.append(PolicyTestResult(location: row.location, text: row.text, decision: decision,
                                                differences: differences(row, decision)))
            }
        }
        return PolicyTestReport(results: results, diagnostics: diagnostics)
    }

    private func differences(_ row: DecisionTable.Row, _ decision: Decision) -> [String] {
        var differences: [String] = []
        if decision.effect != row.effect {
            differences.append("expected \(row.effect), got \(decision.effect) (\(decision.explanation.joined(separator: "; ")))")
        }
        for (key, value) in row.expectations {
            let items = value.split(separator: ",").map(String.init)
            switch key {
            case "reveal":
                for field in items {
                    if field == "*" {
                        if !decision.fieldPlan.revealsAll { differences.append("expected reveal *, but not every field is revealed") }
                    } else if decision.disposition(of: field) != .reveal {
                        differences.append("expected \(field) revealed, got \(describe(decision.disposition(of: field)))")
                    }
                }
            case "mask":
                for item in items {
                    let parts = item.split(separator: ":").map(String.init)
                    let style = parts.count == 2 ? MaskStyle(rawValue: parts[1]) : nil
                    guard let style else {
                        differences.append("bad expectation `mask=\(item)`: write field:style")
                        continue
                    }
                    if decision.disposition(of: parts[0]) != .mask(style) {
                        differences.append("expected \(parts[0]) masked as \(style), got \(describe(decision.disposition(of: parts[0])))")
                    }
                }
            case "omit":
                for field in items where decision.disposition(of: field) != .omit {
                    differences.append("expected \(field) omitted, got \(describe(decision.disposition(of: field)))")
                }
            case "rule":
                for id in items where !decision.ruleIDs.contains(id) {
                    differences.append("expected rule \(id) among the deciding rules [\(decision.ruleIDs.joined(separator: ", "))]")
                }
            case "break-glass":
                let expected = value == "yes" || value == "true"
                if decision.obligations.breakGlass != expected {
                    differences.append("expected break-glass \(expected ? "flagged" : "not flagged"), got \(decision.obligations.breakGlass ? "flagged" : "not flagged")")
                }
            case "reason":
                let found = decision.reasons.contains { reason in
                    switch (value, reason) {
                    case ("purpose", .purposeUnmet), ("justification", .justificationMissing), ("forbid", .forbidden), ("default", .defaultDeny):
                        return true
                    default:
                        return false
                    }
                }
                if !found { differences.append("expected a `\(value)` reason, got: \(decision.explanation.joined(separator: "; "))") }
            default:
                break
            }
        }
        return differences
    }

    private func describe(_ disposition: FieldDisposition) -> String {
        switch disposition {
        case .reveal: return "revealed"
        case .mask(let style): return "masked as \(style)"
        case .omit: return "omitted"
        }
    }
}

/// One row's outcome.
public struct PolicyTestResult: Sendable {
    public let location: SourceLocation
    /// The row as written.
    public let text: String
    public let decision: Decision
    /// What differs from the expectation; empty when the row passes.
    public let differences: [String]

    public var passed: Bool { differences.isEmpty }
}

/// The result of running decision tables.
public struct PolicyTestReport: Sendable {
    public let results: [PolicyTestResult]
    /// Rows that could not be parsed.
    public let diagnostics: [PolicyDiagnostic]

    /// True when every row parsed and passed, and there was at least one row.
    public var passed: Bool { diagnostics.isEmpty && !results.isEmpty && results.allSatisfy(\.passed) }

    /// One line per failure with its differences, then a summary.
    public func render() -> String {
        var lines = diagnostics.map(\.description)
        for result in results where !result.passed {
            lines.append("FAIL \(result.location.file):\(result.location.line): \(result.text)")
            lines.append(contentsOf: result.differences.map { "    \($0)" })
        }
        let failed = results.filter { !$0.passed }.count
        lines.append("\(results.count - failed) passed, \(failed) failed" + (diagnostics.isEmpty ? "" : ", \(diagnostics.count) unreadable rows"))
        return lines.joined(separator: "\n")
    }
}

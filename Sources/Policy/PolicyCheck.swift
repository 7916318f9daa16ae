/// `policy check`: validates every file of a policy directory.
public enum PolicyCheck {
    /// Loads a directory and reports what is wrong with it, if anything.
    public static func run(directory: String, fields: FieldCatalog) -> PolicyCheckReport {
        do {
            let set = try PolicyLoader(fields: fields).load(directory: directory)
            return PolicyCheckReport(diagnostics: [], ruleCount: set.rules.count, files: set.files)
        } catch {
            return PolicyCheckReport(diagnostics: error.diagnostics, ruleCount: 0, files: [])
        }
    }
}

/// The result of ``PolicyCheck/run(directory:fields:)``.
public struct PolicyCheckReport: Sendable {
    /// Every problem, sorted by position; empty when the set loads.
    public let diagnostics: [PolicyDiagnostic]
    public let ruleCount: Int
    public let files: [String]

    /// True when the directory loads.
    public var passed: Bool { diagnostics.isEmpty }

    /// Compiler-style lines, or a one-line summary when all is well.
    public func render() -> String {
        if passed { return "ok: \(ruleCount) rules in \(files.count) files" }
        let count = diagnostics.count
        return (diagnostics.map(\.description) + ["\(count) error\(count == 1 ? "" : "s"); the policy set does not load"])
            .joined(separator: "\n")
    }
}

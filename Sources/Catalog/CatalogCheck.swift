/// The result of `strongroom catalog check`: every diagnostic, and a text rendering.
public struct CatalogCheck: Sendable {
    /// Every problem found, in file and line order.
    public let diagnostics: [CatalogDiagnostic]
    /// The catalog, when it loaded without errors.
    public let catalog: Catalog?
    /// The directory checked.
    public let directory: String

    /// Checks `directory` (and, when given, compatibility with the deployed `previous` catalog).
    ///
    /// ```swift
    /// let check = CatalogCheck.run(directory: "Catalog")
    /// print(check.render()); exit(check.passed ? 0 : 1)
    /// ```
    public static func run(directory: String, previous: Catalog? = nil) -> CatalogCheck {
        do {
            let (catalog, diagnostics) = try CatalogLoader.check(directory: directory, previous: previous)
            return CatalogCheck(diagnostics: diagnostics, catalog: catalog, directory: directory)
        } catch {
            let diagnostic = CatalogDiagnostic(.unreadableFile, at: SourceLocation(file: directory, line: 0, column: 0),
                                               error.message, hint: nil)
            return CatalogCheck(diagnostics: [diagnostic], catalog: nil, directory: directory)
        }
    }

    /// Whether the catalog has no errors (warnings allowed).
    public var passed: Bool { catalog != nil && !diagnostics.contains { $0.severity == .error } }

    /// Human-readable report: one block per diagnostic, then a summary line.
    public func render() -> String {
        var lines = diagnostics.map(\.description)
        let errors = diagnostics.filter { $0.severity == .error }.count
        let warnings = diagnostics.count - errors
        if let catalog, errors == 0 {
            lines.append("catalog \(directory): OK — \(catalog.services.count) service(s), \(warnings) warning(s)")
        } else {
            lines.append("catalog \(directory): \(errors) error(s), \(warnings) warning(s)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

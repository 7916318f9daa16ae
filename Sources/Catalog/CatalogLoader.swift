#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Yams

/// Loads a catalog directory: `branding.yaml` plus one service per other `*.yaml` file.
public enum CatalogLoader {
    /// Name of the branding file inside the catalog directory.
    public static let brandingFile = "branding.yaml"
    /// Largest catalog file read, in bytes.
    public static let maximumFileSize = 1 << 20

    /// Loads and checks every file in `directory`.
    ///
    /// - Parameters:
    ///   - directory: the catalog directory.
    ///   - previous: the catalog currently deployed, if any; fields changed without a version bump are errors.
    /// - Returns: the catalog.
    /// - Throws: ``CatalogError/invalidCatalog(_:)`` with every problem (file, line, column, hint), or
    ///   ``CatalogError/unreadableDirectory(_:)``.
    public static func load(directory: String, previous: Catalog? = nil) throws(CatalogError) -> Catalog {
        let (catalog, diagnostics) = try check(directory: directory, previous: previous)
        guard let catalog, !diagnostics.contains(where: { $0.severity == .error }) else {
            throw .invalidCatalog(diagnostics)
        }
        return catalog
    }

    /// Loads without throwing for catalog problems: the catalog (when it has no errors) and every diagnostic.
    public static func check(directory: String, previous: Catalog? = nil) throws(CatalogError) -> (Catalog?, [CatalogDiagnostic]) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw .unreadableDirectory(directory)
        }
        var files: [String: String] = [:]
        var diagnostics: [CatalogDiagnostic] = []
        if let loose = looseWritePermissions(directory) {
            diagnostics.append(CatalogDiagnostic(.loosePermissions, at: SourceLocation(file: directory, line: 0, column: 0),
                                                 "the catalog directory can be written by \(loose): whoever can write it changes the services",
                                                 hint: "run `chmod go-w \(directory)`"))
        }
        for name in names.sorted() where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            let path = directory + "/" + name
            if let loose = looseWritePermissions(path) {
                diagnostics.append(CatalogDiagnostic(.loosePermissions, at: SourceLocation(file: name, line: 0, column: 0),
                                                     "\(name) can be written by \(loose): whoever can write it changes the services",
                                                     hint: "run `chmod go-w \(path)`"))
                continue
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                diagnostics.append(CatalogDiagnostic(.unreadableFile, at: SourceLocation(file: name, line: 0, column: 0),
                                                     "cannot read \(name)", hint: "check the file's permissions"))
                continue
            }
            guard data.count <= maximumFileSize else {
                diagnostics.append(CatalogDiagnostic(.unreadableFile, at: SourceLocation(file: name, line: 0, column: 0),
                                                     "\(name) is larger than 1 MiB", hint: "split it, or remove what does not belong"))
                continue
            }
            // Decoding repairs invalid UTF-8; a changed byte count means the file was not valid UTF-8.
            let text = String(decoding: data, as: UTF8.self)
            guard text.utf8.elementsEqual(data) else {
                diagnostics.append(CatalogDiagnostic(.unreadableFile, at: SourceLocation(file: name, line: 0, column: 0),
                                                     "\(name) is not valid UTF-8 text", hint: "save the file as UTF-8"))
                continue
            }
            files[name] = text
        }
        let (catalog, found) = load(files: files, directory: directory, previous: previous)
        return (catalog, diagnostics + found)
    }

    /// Loads from file contents by name (the directory is used for the logo check). Never throws:
    /// problems come back as diagnostics.
    static func load(files: [String: String], directory: String, previous: Catalog? = nil) -> (Catalog?, [CatalogDiagnostic]) {
        var diagnostics: [CatalogDiagnostic] = []
        var roots: [String: Node] = [:]
        for (name, text) in files {
            let sink = DiagnosticSink(file: name)
            if let root = compose(text, sink: sink) { roots[name] = root }
            diagnostics += sink.diagnostics
        }
        var branding: Branding?
        let brandingSink = DiagnosticSink(file: brandingFile)
        if let root = roots[brandingFile] {
            branding = BrandingParser(sink: brandingSink, directory: directory).parse(root)
        } else if files[brandingFile] == nil {
            brandingSink.report(CatalogDiagnostic(.missingBranding, at: SourceLocation(file: brandingFile, line: 0, column: 0),
                                                  "the catalog has no \(brandingFile)",
                                                  hint: "add \(brandingFile) with the agency name, logo, colours and contact"))
        }
        diagnostics += brandingSink.diagnostics
        let currency = branding?.currency ?? BrandingParser.currency(in: roots[brandingFile])
        let languages = branding?.languages ?? BrandingParser.languages(in: roots[brandingFile])
        var services: [Service] = []
        var seen: [String: SourceLocation] = [:]
        for name in roots.keys.sorted() where name != brandingFile {
            guard let root = roots[name] else { continue }
            let sink = DiagnosticSink(file: name)
            if let service = ServiceParser(sink: sink, defaultCurrency: currency, languages: languages).parse(root) {
                if let first = seen[service.id] {
                    sink.error(.duplicateServiceID, at: idNode(root), "service id `\(service.id)` is already used in \(first.file)",
                               hint: "give each service its own id; ids appear in stored requests and must never be reused")
                } else {
                    seen[service.id] = sink.location(of: idNode(root))
                    services.append(service)
                }
            }
            diagnostics += sink.diagnostics
        }
        if !files.keys.contains(where: { $0 != brandingFile }) {
            diagnostics.append(CatalogDiagnostic(.warning, .noServices, at: SourceLocation(file: "", line: 0, column: 0),
                                                 "the catalog defines no services", hint: "add one .yaml file per service"))
        }
        if let previous {
            diagnostics += CatalogEvolution.diagnostics(previous: previous, current: services)
        }
        diagnostics.sort { ($0.location.file, $0.location.line, $0.location.column) < ($1.location.file, $1.location.line, $1.location.column) }
        guard let branding, !diagnostics.contains(where: { $0.severity == .error }) else { return (nil, diagnostics) }
        var catalog = Catalog(services: services, branding: branding)
        catalog.sources = files
        return (catalog, diagnostics)
    }

    private static func idNode(_ root: Node) -> Node? {
        if case let .mapping(mapping) = root { return mapping["id"] ?? root }
        return root
    }

    private static func compose(_ text: String, sink: DiagnosticSink) -> Node? {
        do {
            guard let root = try Yams.compose(yaml: text) else {
                sink.error(.yamlSyntax, at: nil, "the file is empty", hint: "remove it, or fill it in")
                return nil
            }
            return root
        } catch let error as YamlError {
            let (mark, problem) = describe(error)
            sink.report(CatalogDiagnostic(.yamlSyntax, at: SourceLocation(file: sink.file, line: mark?.line ?? 0, column: mark?.column ?? 0),
                                          "YAML syntax error: \(problem)",
                                          hint: "check indentation (spaces, not tabs), colons after keys, and quotes around values containing `: ` or `#`"))
        } catch {
            sink.error(.yamlSyntax, at: nil, "YAML could not be read", hint: "check the file is valid YAML")
        }
        return nil
    }

    private static func describe(_ error: YamlError) -> (Mark?, String) {
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return (mark, problem)
        case let .duplicatedKeysInMapping(duplicates, context):
            return (context.mark, "a key appears twice in one mapping: \(duplicates.map { String($0.prefix(32)) }.joined(separator: ", "))")
        case let .reader(problem, _, _, _):
            return (nil, problem)
        default:
            return (nil, "unreadable YAML")
        }
    }

    /// "the group", "others" or "the group and others" when `path` is writable by them, else `nil`.
    static func looseWritePermissions(_ path: String) -> String? {
        guard let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int else { return nil }
        switch (mode & 0o020 != 0, mode & 0o002 != 0) {
        case (true, true): return "the group and others"
        case (true, false): return "the group"
        case (false, true): return "others"
        case (false, false): return nil
        }
    }
}

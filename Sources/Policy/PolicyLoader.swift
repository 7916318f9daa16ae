#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One source file: its name (as shown in diagnostics) and text.
public struct PolicySource: Sendable, Hashable {
    public var name: String
    public var text: String

    public init(name: String, text: String) {
        self.name = name
        self.text = text
    }
}

/// Loads a policy directory: one `*.schema` file and every `*.policy` file, all or nothing.
///
/// ```swift
/// let loader = PolicyLoader(fields: FieldCatalog(serviceFields: catalog.fieldIDs))
/// let policies = try loader.load(directory: "/srv/strongroom/Policies")
/// ```
public struct PolicyLoader: Sendable {
    public static let maximumFileBytes = Lexer.maximumBytes

    public var fields: FieldCatalog

    public init(fields: FieldCatalog) { self.fields = fields }

    /// Reads, parses and checks a directory.
    /// - Throws: ``PolicyLoadError`` listing every problem, with positions and hints.
    public func load(directory: String) throws(PolicyLoadError) -> PolicySet {
        let (schema, policies) = try Self.readDirectory(directory)
        return try load(schema: schema, policies: policies)
    }

    /// Parses and checks sources already in memory.
    /// - Throws: ``PolicyLoadError`` listing every problem.
    public func load(schema: PolicySource, policies: [PolicySource]) throws(PolicyLoadError) -> PolicySet {
        let parsedSchema: PolicySchema
        do {
            parsedSchema = try SchemaParser.parse(schema.text, file: schema.name)
        } catch {
            throw PolicyLoadError([error.diagnostic])
        }
        return try load(parsedSchema: parsedSchema, policies: policies, schemaSource: schema)
    }

    /// Parses and checks policies against a schema already parsed.
    func load(parsedSchema: PolicySchema, policies: [PolicySource], schemaSource: PolicySource? = nil) throws(PolicyLoadError) -> PolicySet {
        var diagnostics: [PolicyDiagnostic] = []
        var parsed: [(file: String, rules: [RuleSyntax])] = []
        for source in policies {
            let result = PolicyParser.parse(source.text, file: source.name)
            diagnostics += result.diagnostics
            parsed.append((source.name, result.rules))
        }
        var checker = PolicyChecker(schema: parsedSchema, fields: fields)
        let rules = checker.check(parsed)
        diagnostics += checker.diagnostics
        guard diagnostics.isEmpty else { throw PolicyLoadError(diagnostics.sorted { $0.location < $1.location }) }
        return PolicySet(
            rules: rules, schema: parsedSchema, fields: fields, files: policies.map(\.name),
            sources: (schemaSource.map { [$0] } ?? []) + policies)
    }

    /// Reads the schema and policy files of a directory (names relative to it, sorted).
    static func readDirectory(_ directory: String) throws(PolicyLoadError) -> (schema: PolicySource, policies: [PolicySource]) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw PolicyLoadError([PolicyDiagnostic(.io, at: SourceLocation(file: directory, line: 1, column: 1),
                                                    "cannot list the policy directory", hint: "check the path and its permissions")])
        }
        let schemaNames = names.filter { $0.hasSuffix(".schema") }
        guard schemaNames.count == 1 else {
            throw PolicyLoadError([PolicyDiagnostic(.io, at: SourceLocation(file: directory, line: 1, column: 1),
                                                    "expected exactly one `*.schema` file, found \(schemaNames.count)",
                                                    hint: "keep the schema as `strongroom.schema` next to the `.policy` files")])
        }
        var diagnostics: [PolicyDiagnostic] = []
        if let loose = Self.looseWritePermissions(directory) {
            diagnostics.append(PolicyDiagnostic(.loosePermissions, at: SourceLocation(file: directory, line: 1, column: 1),
                                                "the policy directory can be written by \(loose): whoever can write it grants access",
                                                hint: "run `chmod go-w \(directory)`"))
        }
        func read(_ name: String) -> PolicySource? {
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            if let loose = Self.looseWritePermissions(path) {
                diagnostics.append(PolicyDiagnostic(.loosePermissions, at: SourceLocation(file: name, line: 1, column: 1),
                                                    "the file can be written by \(loose): whoever can write it grants access",
                                                    hint: "run `chmod go-w \(path)`"))
                return nil
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            guard size <= maximumFileBytes else {
                diagnostics.append(PolicyDiagnostic(.inputTooLarge, at: SourceLocation(file: name, line: 1, column: 1),
                                                    "file is larger than \(maximumFileBytes) bytes"))
                return nil
            }
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                diagnostics.append(PolicyDiagnostic(.io, at: SourceLocation(file: name, line: 1, column: 1),
                                                    "cannot read the file as UTF-8 text"))
                return nil
            }
            return PolicySource(name: name, text: text)
        }
        let schema = read(schemaNames[0])
        let policies = names.filter { $0.hasSuffix(".policy") }.compactMap(read)
        guard diagnostics.isEmpty, let schema else { throw PolicyLoadError(diagnostics) }
        return (schema, policies)
    }

    /// "the group", "others" or "the group and others" when `path` is writable by them, else `nil`.
    public static func looseWritePermissions(_ path: String) -> String? {
        guard let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int else { return nil }
        switch (mode & 0o020 != 0, mode & 0o002 != 0) {
        case (true, true): return "the group and others"
        case (true, false): return "the group"
        case (false, true): return "others"
        case (false, false): return nil
        }
    }
}

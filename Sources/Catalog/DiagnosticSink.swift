import Yams

/// Collects diagnostics for one catalog file while its YAML tree is walked.
///
/// A reference type so nested readers can report into the same list; it never leaves one load call.
final class DiagnosticSink {
    let file: String
    private(set) var diagnostics: [CatalogDiagnostic] = []

    init(file: String) { self.file = file }

    func location(of node: Node?) -> SourceLocation {
        guard let mark = node?.mark else { return SourceLocation(file: file, line: 0, column: 0) }
        return SourceLocation(file: file, line: mark.line, column: mark.column)
    }

    func error(_ kind: CatalogDiagnostic.Kind, at node: Node?, _ message: String, hint: String? = nil) {
        diagnostics.append(CatalogDiagnostic(.error, kind, at: location(of: node), message, hint: hint))
    }

    func warning(_ kind: CatalogDiagnostic.Kind, at node: Node?, _ message: String, hint: String? = nil) {
        diagnostics.append(CatalogDiagnostic(.warning, kind, at: location(of: node), message, hint: hint))
    }

    func report(_ diagnostic: CatalogDiagnostic) {
        diagnostics.append(diagnostic)
    }

    var errorCount: Int { diagnostics.filter { $0.severity == .error }.count }
}

/// Reads one YAML mapping key by key, remembering which keys were used so unknown ones
/// (typos) are reported instead of silently ignored.
struct MappingReader {
    let node: Node
    let what: String
    let sink: DiagnosticSink
    private let entries: [(key: String, keyNode: Node, value: Node)]

    /// `nil` (with a diagnostic) when `node` is not a mapping.
    init?(_ node: Node, what: String, sink: DiagnosticSink) {
        guard case let .mapping(mapping) = node else {
            sink.error(.invalidValue, at: node, "\(what) must be a mapping of `key: value` lines",
                       hint: "indent the keys of \(what) under it, one per line")
            return nil
        }
        self.node = node
        self.what = what
        self.sink = sink
        entries = mapping.map { (key: $0.key.string ?? "", keyNode: $0.key, value: $0.value) }
    }

    /// The keys in file order.
    var keys: [String] { entries.map(\.key) }

    func has(_ key: String) -> Bool { entries.contains { $0.key == key } }

    func keyNode(_ key: String) -> Node? { entries.first { $0.key == key }?.keyNode }

    /// The value node of `key`, or `nil`; reports a missing required key at the mapping.
    func value(_ key: String, required: Bool = false) -> Node? {
        if let entry = entries.first(where: { $0.key == key }) { return entry.value }
        if required {
            sink.error(.missingKey, at: node, "\(what) is missing `\(key)`", hint: "add a `\(key):` line to \(what)")
        }
        return nil
    }

    /// A scalar string value (not null, not a list or mapping).
    func string(_ key: String, required: Bool = false) -> String? {
        guard let node = value(key, required: required) else { return nil }
        guard case let .scalar(scalar) = node, !(scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)) else {
            sink.error(.invalidValue, at: node, "`\(key)` in \(what) must be a single text value",
                       hint: key.contains("color") || what.contains("colors") ? "quote colours: \"#1F4E79\" (an unquoted # starts a comment)" : "write `\(key): value` on one line, or quote it")
            return nil
        }
        return scalar.string
    }

    func int(_ key: String, required: Bool = false, range: ClosedRange<Int>) -> Int? {
        guard let text = string(key, required: required) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            sink.error(.invalidValue, at: value(key), "`\(key)` in \(what) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return value
    }

    func bool(_ key: String) -> Bool? {
        guard let text = string(key) else { return nil }
        switch text {
        case "true", "yes": return true
        case "false", "no": return false
        default:
            sink.error(.invalidValue, at: value(key), "`\(key)` in \(what) must be true or false")
            return nil
        }
    }

    /// A list of nodes; reports when the value is not a list.
    func list(_ key: String, required: Bool = false) -> [Node]? {
        guard let node = value(key, required: required) else { return nil }
        guard case let .sequence(sequence) = node else {
            sink.error(.invalidValue, at: node, "`\(key)` in \(what) must be a list",
                       hint: "put each entry on its own line starting with `- `")
            return nil
        }
        return Array(sequence)
    }

    /// Reports every key not in `allowed`, with the closest allowed spelling as a hint.
    func rejectUnknownKeys(allowed: [String]) {
        for entry in entries where !allowed.contains(entry.key) {
            let suggestion = allowed.min { editDistance($0, entry.key) < editDistance($1, entry.key) }
            let close = suggestion.map { editDistance($0, entry.key) <= max(2, entry.key.count / 3) } ?? false
            let hint = close ? "did you mean `\(suggestion ?? "")`?" : "allowed keys: \(allowed.joined(separator: ", "))"
            sink.error(.unknownKey, at: entry.keyNode, "unknown key `\(entry.key.prefix(64))` in \(what)", hint: hint)
        }
    }
}

/// Levenshtein distance, for "did you mean" hints on short keys.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.prefix(64)), b = Array(b.prefix(64))
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}

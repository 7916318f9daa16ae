import Yams

/// Turns the `fields:` list of a service file into field definitions, with their history.
struct FieldParser {
    let sink: DiagnosticSink
    let serviceVersion: Int
    let defaultCurrency: Currency?
    /// The catalog's languages, default first, from branding.yaml.
    let languages: [String]

    static let fieldKeys = ["id", "label", "help", "page", "type", "required", "sensitivity", "searchable", "retention",
                            "since", "removed_in", "options", "currency", "validation", "history"]
    static let historyKeys = ["label", "help", "type", "required", "sensitivity", "searchable", "retention",
                              "since", "options", "currency", "validation"]
    static let validationKeys = ["pattern", "pattern_description", "min_length", "max_length", "min", "max",
                                 "decimal_places"]

    /// Parses the whole list; reports duplicate ids.
    func parseFields(_ nodes: [Node]) -> [FieldDefinition] {
        var result: [FieldDefinition] = []
        var seen: [String: SourceLocation] = [:]
        var pageStarts: [String: Int] = [:]
        var previousPage: String?
        for node in nodes {
            let definitions = parseField(node)
            guard let first = definitions.first else { continue }
            if let previous = seen[first.id] {
                sink.error(.duplicateFieldID, at: idNode(node), "field id `\(first.id)` is already used at line \(previous.line)",
                           hint: "give each field its own id; to change a field in a new version use `history:` on the one entry")
                continue
            }
            seen[first.id] = first.location
            result.append(contentsOf: definitions)
            if let page = first.page, page != previousPage, let line = pageStarts[page] {
                sink.error(.splitPage, at: pageNode(node), "page `\(page)` is split: other fields come between field `\(first.id)` and the fields on that page from line \(line)",
                           hint: "fields on one page must follow each other; move field `\(first.id)` up to them, or give it another page")
            }
            if let page = first.page, pageStarts[page] == nil { pageStarts[page] = first.location.line }
            previousPage = first.page
        }
        return result
    }

    private func pageNode(_ node: Node) -> Node? {
        if case let .mapping(mapping) = node { return mapping["page"] ?? node }
        return node
    }

    private func idNode(_ node: Node) -> Node? {
        if case let .mapping(mapping) = node { return mapping["id"] ?? node }
        return node
    }

    /// The current definition first, then its history (newest first), with version ranges resolved.
    func parseField(_ node: Node) -> [FieldDefinition] {
        guard let reader = MappingReader(node, what: "a field", sink: sink) else { return [] }
        reader.rejectUnknownKeys(allowed: Self.fieldKeys)
        guard let id = reader.string("id", required: true) else { return [] }
        if !isSnakeCase(id) {
            sink.error(.invalidValue, at: reader.value("id"), "field id `\(id.prefix(64))` must be snake_case",
                       hint: "use lower-case letters, digits and underscores, starting with a letter (e.g. `move_date`)")
        }
        let what = "field `\(id)`"
        let named = MappingReader(node, what: what, sink: sink) ?? reader
        guard let current = parseDefinition(named, id: id, base: nil) else { return [] }
        let removedIn = named.int("removed_in", range: 2...1_000_000)
        var defs: [FieldDefinition] = [current]
        if let removedIn {
            if removedIn <= current.since {
                sink.error(.versioning, at: named.value("removed_in"), "\(what) is removed in version \(removedIn) but only appears in \(current.since)",
                           hint: "`removed_in` must be later than `since`")
            } else if removedIn > serviceVersion {
                sink.error(.versioning, at: named.value("removed_in"), "\(what) is removed in version \(removedIn), after the service's version \(serviceVersion)",
                           hint: "raise the service `version` to \(removedIn) or lower `removed_in`")
            }
            defs[0] = current.with(until: removedIn)
        }
        for entry in named.list("history") ?? [] {
            guard let historyReader = MappingReader(entry, what: "a history entry of \(what)", sink: sink) else { continue }
            historyReader.rejectUnknownKeys(allowed: Self.historyKeys)
            guard historyReader.has("since") else {
                sink.error(.missingKey, at: entry, "a history entry of \(what) is missing `since`",
                           hint: "say from which version this older definition applied")
                continue
            }
            guard let older = parseDefinition(historyReader, id: id, base: current) else { continue }
            guard let newer = defs.last else { continue }
            if older.since >= newer.since {
                sink.error(.versioning, at: historyReader.value("since"),
                           "\(what) is redefined without a version bump: this definition and the newer one both apply from version \(newer.since)",
                           hint: "bump the service `version`, set the new definition's `since` to it, and keep the old one in `history` with its original `since`")
                continue
            }
            defs.append(older.with(until: newer.since))
        }
        return defs
    }

    private func parseDefinition(_ reader: MappingReader, id: String, base: FieldDefinition?) -> FieldDefinition? {
        let location = sink.location(of: reader.node)
        let label = reader.text("label", required: base == nil, languages: languages) ?? base?.labelText ?? LocalizedText(id)
        let help = reader.text("help", languages: languages) ?? (reader.has("help") ? nil : base?.helpText)
        var page = base?.page
        if base == nil, let raw = reader.string("page") {
            if isSnakeCase(raw) { page = raw } else {
                sink.error(.invalidValue, at: reader.value("page"), "page `\(raw.prefix(64))` in \(reader.what) must be a snake_case identifier",
                           hint: "use lower-case letters, digits and underscores, starting with a letter (e.g. `household`)")
            }
        }
        var type = base?.type ?? .text
        if let raw = reader.string("type", required: base == nil) {
            if let parsed = FieldType(rawValue: raw) {
                type = parsed
            } else {
                sink.error(.invalidValue, at: reader.value("type"), "unknown field type `\(raw.prefix(32))` in \(reader.what)",
                           hint: "use one of: \(FieldType.allCases.map(\.rawValue).joined(separator: ", "))")
                if base == nil { return nil }
            }
        } else if base == nil {
            return nil
        }
        var sensitivity = base?.sensitivity ?? .personal
        if let raw = reader.string("sensitivity", required: base == nil) {
            if let parsed = Sensitivity(rawValue: raw) {
                sensitivity = parsed
            } else {
                sink.error(.invalidValue, at: reader.value("sensitivity"), "unknown sensitivity `\(raw.prefix(32))` in \(reader.what)",
                           hint: "use public, personal, sensitive or special_category")
            }
        }
        let required = reader.bool("required") ?? base?.required ?? false
        let searchable = reader.bool("searchable") ?? base?.searchable ?? false
        if searchable && (reader.has("searchable") || base?.searchable == true) {
            if !sensitivity.isSealed {
                sink.error(.searchableNotAllowed, at: reader.keyNode("searchable") ?? reader.node,
                           "\(reader.what) is public, so it cannot have a blind index",
                           hint: "remove `searchable: true`; public fields are stored in clear and need no blind index")
            } else if type == .choice {
                sink.error(.searchableNotAllowed, at: reader.keyNode("searchable") ?? reader.node,
                           "\(reader.what) is a choice, so it cannot be searchable",
                           hint: "a choice has a few possible values: a database reader counting equal blind indexes would learn which value each request holds; remove `searchable: true` (make the choice public if staff need to filter on it)")
            } else if type.blindIndexNormalization == nil {
                sink.error(.searchableNotAllowed, at: reader.keyNode("searchable") ?? reader.node,
                           "\(reader.what) has type \(type.rawValue), which cannot be searchable",
                           hint: "only email, phone, national_id, text and file_reference fields can be searchable")
            }
        }
        var retention = base?.retention
        if let raw = reader.string("retention") {
            retention = RetentionPeriod(raw)
            if retention == nil {
                sink.error(.invalidValue, at: reader.value("retention"), "retention `\(raw.prefix(16))` in \(reader.what) is not a period",
                           hint: "write a number and a unit: 90d, 12w, 6m or 7y")
            }
        }
        let since = reader.int("since", range: 1...1_000_000) ?? 1
        if since > serviceVersion {
            sink.error(.versioning, at: reader.value("since"), "\(reader.what) starts at version \(since), after the service's version \(serviceVersion)",
                       hint: "raise the service `version` to \(since)")
        }
        let redefinesConstraints = reader.has("validation") || reader.has("options") || reader.has("currency")
        var constraints = parseConstraints(reader, type: type)
        if let base, !redefinesConstraints, base.type == type { constraints = base.constraints }
        return FieldDefinition(id: id, label: label, help: help, page: page, type: type, required: required,
                               sensitivity: sensitivity, searchable: searchable, retention: retention,
                               constraints: constraints, since: since, until: nil, location: location)
    }

    private func isSnakeCase(_ id: String) -> Bool {
        guard let first = id.unicodeScalars.first, ("a"..."z").contains(first), id.count <= 64 else { return false }
        return id.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}

extension FieldDefinition {
    func with(until: Int) -> FieldDefinition {
        FieldDefinition(id: id, label: labelText, help: helpText, page: page, type: type, required: required, sensitivity: sensitivity,
                        searchable: searchable, retention: retention, constraints: constraints, since: since,
                        until: until, location: location)
    }
}

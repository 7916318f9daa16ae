/// Compares a new catalog with the deployed one so stored requests stay readable.
enum CatalogEvolution {
    static func diagnostics(previous: Catalog, current: [Service]) -> [CatalogDiagnostic] {
        var result: [CatalogDiagnostic] = []
        for service in current {
            guard let old = previous.service(service.id) else { continue }
            let at = SourceLocation(file: service.sourceFile, line: 1, column: 1)
            if service.version < old.version {
                result.append(CatalogDiagnostic(.versioning, at: at,
                    "service `\(service.id)` went back from version \(old.version) to \(service.version)",
                    hint: "versions only go up; stored requests refer to them"))
                continue
            }
            for version in 1...old.version {
                let before = Dictionary(old.fields(at: version).map { ($0.id, $0) }) { a, _ in a }
                let after = Dictionary(service.fields(at: version).map { ($0.id, $0) }) { a, _ in a }
                for (id, field) in before.sorted(by: { $0.key < $1.key }) {
                    let location = after[id]?.location ?? at
                    if let now = after[id], now.type == field.type { continue }
                    let changed = after[id] == nil ? "disappeared from" : "changed type in"
                    result.append(CatalogDiagnostic(.versioning, at: location,
                        "field `\(id)` of `\(service.id)` \(changed) version \(version), which stored requests use",
                        hint: version == service.version
                            ? "bump the service `version`; keep the old definition in `history` or end it with `removed_in`"
                            : "keep the old definition in the field's `history` with its original `since`"))
                }
            }
        }
        return result
    }
}

import Catalog

// Temporary: the catalog's translations land on branch catalog-i18n; until it is merged these answer in the default
// language. Delete this file at the merge.
extension Branding {
    var languages: [String] { ["hu", "en"] }
    func name(in language: String) -> String { name }
    func shortName(in language: String) -> String { shortName }
}

extension Service {
    func title(in language: String) -> String { title }
    func description(in language: String) -> String { description }
    func needs(in language: String) -> String? { nil }
    func duration(in language: String) -> String? { nil }
    func pages(at version: Int? = nil) -> [[FieldDefinition]] { fields(at: version ?? self.version).map { [$0] } }
}

extension FieldDefinition {
    func label(in language: String) -> String { label }
    func help(in language: String) -> String? { help }
    func patternDescription(in language: String) -> String? { constraints.pattern?.description }
}

extension ChoiceOption {
    func label(in language: String) -> String { label }
}

extension DecisionRule {
    func reason(in language: String) -> String? {
        if case .reject(let reason) = outcome { return reason }
        return nil
    }
}

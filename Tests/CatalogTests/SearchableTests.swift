import Testing
@testable import Catalog

/// A choice has few values: a blind index of it would let a database reader count who chose what.
@Suite struct SearchableTests {
    @Test func aChoiceCannotBeSearchable() {
        let yaml = """
            id: demo-service
            title: Demo
            version: 1
            retention: 1y
            fields:
              - id: plan
                label: Plan
                type: choice
                sensitivity: personal
                searchable: true
                options:
                  - value: basic
                    label: Basic
                  - value: premium
                    label: Premium
            """
        let (catalog, diagnostics) = Fixtures.loadService(yaml)
        #expect(catalog == nil)
        #expect(diagnostics.contains { $0.kind == .searchableNotAllowed && $0.location.line == 10 }, "\(diagnostics)")
    }
}

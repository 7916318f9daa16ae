import Testing
@testable import Catalog

/// `routing:` names the office a submitted request goes to; every mistake in it is reported with file and line.
@Suite struct RoutingTests {
    static func service(routing: String) -> String {
        LoaderErrorTests.base + "\nrouting:\n" + routing
    }

    @Test func theFirstRuleThatHoldsNamesTheOfficeAndNoneFallsBackToTheDefault() throws {
        let (catalog, diagnostics) = Fixtures.loadService(Self.service(routing: """
              - office: north
                when:
                  field: postcode
                  matches: '^9'
              - office: city-centre
                when:
                  field: postcode
                  matches: '^1'
            """))
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let service = try #require(catalog?.service("demo-service"))
        let facts = DecisionFacts(applicantIsSubject: true, hasProfileAddress: false)
        #expect(service.office(for: ["postcode": .text("91234")], facts: facts) == "north")
        #expect(service.office(for: ["postcode": .text("12345")], facts: facts) == "city-centre")
        #expect(service.office(for: ["postcode": .text("40123")], facts: facts) == nil, "no rule holds: the default office")
        #expect(service.office(for: [:], facts: facts) == nil, "an absent answer routes nowhere by itself")

        let (withCatchAll, more) = Fixtures.loadService(Self.service(routing: """
              - office: north
                when:
                  field: postcode
                  matches: '^9'
              - office: south
            """))
        #expect(more.isEmpty, "\(more)")
        #expect(try #require(withCatchAll?.service("demo-service")).office(for: ["postcode": .text("40123")], facts: facts) == "south")
    }

    @Test(arguments: [
        ("unknown field", "  - office: north\n    when:\n      field: zipcode\n      matches: '^9'\n", CatalogDiagnostic.Kind.unknownRuleField, 26),
        ("office not kebab-case", "  - office: North_Office\n", .invalidValue, 24),
        ("rule after a catch-all", "  - office: south\n  - office: north\n    when:\n      field: postcode\n      matches: '^9'\n", .invalidValue, 25),
        ("unknown key", "  - office: north\n    if:\n      field: postcode\n      matches: '^9'\n", .unknownKey, 25),
        ("missing office", "  - when:\n      field: postcode\n      matches: '^9'\n", .missingKey, 24),
    ])
    func mistakesAreReportedWithTheirLine(_ name: String, _ routing: String, _ kind: CatalogDiagnostic.Kind, _ line: Int) {
        let (catalog, diagnostics) = Fixtures.loadService(Self.service(routing: routing))
        #expect(catalog == nil, "\(name): a catalog with a broken routing rule does not load")
        #expect(diagnostics.contains { $0.kind == kind && $0.location.line == line }, "\(name): \(diagnostics)")
    }
}

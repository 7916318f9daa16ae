import Testing
@testable import Catalog

/// `page:` groups consecutive fields into one step of a multi-step form.
@Suite struct PageTests {
    static func service(pages: [String?]) -> String {
        var yaml = "id: paged\ntitle: Paged\nversion: 1\nretention: 1y\nfields:\n"
        for (index, page) in pages.enumerated() {
            yaml += "  - id: f\(index)\n    label: F\(index)\n    type: text\n    sensitivity: personal\n"
            if let page { yaml += "    page: \(page)\n" }
        }
        return yaml
    }

    @Test func consecutiveFieldsWithOnePageShareAStep() throws {
        let (catalog, diagnostics) = Fixtures.loadService(Self.service(pages: [nil, "household", "household", nil, nil, "contact", "contact", "contact"]))
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let service = try #require(catalog?.service("paged"))
        #expect(service.pages().map { $0.map(\.id) } == [["f0"], ["f1", "f2"], ["f3"], ["f4"], ["f5", "f6", "f7"]])
        #expect(service.field("f1")?.page == "household" && service.field("f0")?.page == nil)
        #expect(service.pages(at: 1) == service.pages())
    }

    @Test func aPageSplitByOtherFieldsIsAnError() throws {
        let (catalog, diagnostics) = Fixtures.loadService(Self.service(pages: ["household", nil, "household"]))
        #expect(catalog == nil)
        let error = try #require(diagnostics.first)
        #expect(diagnostics.count == 1 && error.kind == .splitPage)
        #expect(error.location == SourceLocation(file: "svc.yaml", line: 19, column: 11))
        #expect(error.message.contains("page `household` is split") && error.message.contains("line 6"))
        let (_, other) = Fixtures.loadService(Self.service(pages: ["a", "b", "a"]))
        #expect(other.map(\.kind) == [.splitPage])
    }

    @Test func pageIdsAreSnakeCase() {
        let (_, diagnostics) = Fixtures.loadService(Self.service(pages: ["Household Size"]))
        #expect(diagnostics.map(\.kind) == [.invalidValue])
        #expect(diagnostics.first?.message.contains("snake_case") == true)
    }

    @Test func pagesFollowTheVersion() throws {
        // benefit-application groups income and household size; version 1 still had the employer field at the end.
        let benefit = try #require(try Fixtures.sampleCatalog().service("benefit-application"))
        let current = benefit.pages().map { $0.map(\.id) }
        #expect(current == [["full_name"], ["national_id"], ["monthly_income", "household_size"], ["bank_account"], ["reason"]])
        #expect(benefit.pages(at: 1).last?.map(\.id) == ["employer_name"])
        #expect(benefit.pages(at: 1)[2].map(\.type) == [.money, .text])
    }
}

import Testing
@testable import Catalog

@Suite struct VersioningTests {
    @Test func v1RequestStaysReadableAfterRetypeAndRemoval() throws {
        let service = try #require(try Fixtures.sampleCatalog().service("benefit-application"))
        #expect(service.version == 2)
        let v1 = Dictionary(uniqueKeysWithValues: service.fields(at: 1).map { ($0.id, $0) })
        let v2 = Dictionary(uniqueKeysWithValues: service.fields(at: 2).map { ($0.id, $0) })
        #expect(v1["household_size"]?.type == .text)
        #expect(v2["household_size"]?.type == .number)
        #expect(v1["employer_name"] != nil && v2["employer_name"] == nil)
        #expect(service.fields.map(\.id) == service.fields(at: 2).map(\.id))

        // A value sealed under v1 opens with the v1 definition.
        let storedV1 = FieldValue.text("two adults, one child").canonical
        let household = try #require(service.field("household_size", at: 1))
        #expect(try FieldValue(canonical: storedV1, type: household.type) == .text("two adults, one child"))
        #expect(throws: CatalogError.self) { try FieldValue(canonical: storedV1, type: .number) }
        let employer = try #require(service.field("employer_name", at: 1))
        #expect(try FieldValue(canonical: "Acme", type: employer.type) == .text("Acme"))
        // The current version rejects the removed field and the old type.
        #expect(throws: CatalogError.self) { try service.validate(["employer_name": .string("Acme")], partial: true) }
        #expect(throws: CatalogError.self) { try service.validate(["household_size": .string("two")], partial: true) }
    }

    static let v1 = """
        id: evolving
        title: Evolving
        version: 1
        retention: 1y
        fields:
          - id: size
            label: Size
            type: text
            sensitivity: personal
          - id: note
            label: Note
            type: text
            sensitivity: personal
        """

    @Test func retypeWithoutVersionBumpAgainstDeployedCatalogIsRejected() throws {
        let deployed = try #require(Fixtures.loadService(Self.v1).0)
        let retyped = Self.v1.replacingFirst("    type: text", with: "    type: number")
        let (catalog, diagnostics) = CatalogLoader.load(
            files: ["branding.yaml": Fixtures.branding, "svc.yaml": retyped], directory: Fixtures.sampleDirectory, previous: deployed)
        #expect(catalog == nil)
        #expect(diagnostics.map(\.kind) == [.versioning])
        #expect(diagnostics.first?.location.line == 6)

        let dropped = Self.v1.replacingFirst("\n  - id: note\n    label: Note\n    type: text\n    sensitivity: personal", with: "")
            .replacingFirst("version: 1", with: "version: 2")
        let (_, droppedDiagnostics) = CatalogLoader.load(
            files: ["branding.yaml": Fixtures.branding, "svc.yaml": dropped], directory: Fixtures.sampleDirectory, previous: deployed)
        #expect(droppedDiagnostics.map(\.kind) == [.versioning], "history must keep v1's field")
    }

    @Test func properRetypeWithHistoryLoadsAgainstDeployedCatalog() throws {
        let deployed = try #require(Fixtures.loadService(Self.v1).0)
        let v2 = Self.v1
            .replacingFirst("version: 1", with: "version: 2")
            .replacingFirst("    type: text\n    sensitivity: personal\n  - id: note",
                            with: "    type: number\n    sensitivity: personal\n    since: 2\n    history:\n      - since: 1\n        type: text\n  - id: note")
            .replacingFirst("    label: Note\n    type: text\n    sensitivity: personal", with: "    label: Note\n    type: text\n    sensitivity: personal\n    removed_in: 2")
        let (catalog, diagnostics) = CatalogLoader.load(
            files: ["branding.yaml": Fixtures.branding, "svc.yaml": v2], directory: Fixtures.sampleDirectory, previous: deployed)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let service = try #require(catalog?.service("evolving"))
        #expect(service.field("size", at: 1)?.type == .text)
        #expect(service.field("size")?.type == .number)
        #expect(service.field("note", at: 1) != nil && service.field("note") == nil)
    }

    @Test func versionRangesAreChecked() {
        let future = Self.v1.replacingFirst("    label: Size\n", with: "    label: Size\n    since: 3\n")
        #expect(Fixtures.loadService(future).1.map(\.kind) == [.versioning])
        let removedTooEarly = Self.v1.replacingFirst("    label: Size\n", with: "    label: Size\n    removed_in: 2\n")
        #expect(Fixtures.loadService(removedTooEarly).1.map(\.kind) == [.versioning])
    }
}

import Foundation
import Testing

@testable import Policy

@Suite struct PolicyStoreTests {
    typealias F = PolicyFixtures

    /// A temporary copy of the default policy directory.
    static func copyOfDefaults() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("policy-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: F.policiesDirectory) where name.hasSuffix(".policy") || name.hasSuffix(".schema") {
            try FileManager.default.copyItem(atPath: F.policiesDirectory + "/" + name, toPath: directory + "/" + name)
        }
        return directory
    }

    @Test func reloadKeepsThePreviousSetWhenAFileIsBroken() throws {
        let directory = try Self.copyOfDefaults()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try PolicyStore(directory: directory, loader: F.loader)
        let before = store.current
        #expect(store.decide(F.alice, .read, F.benefit, Context()).isPermitted)

        // Break one file: the citizen rules would vanish if loading were not all or nothing.
        try "permit citizen to read on request when resource.ownr == principal.id;"
            .write(toFile: directory + "/citizen.policy", atomically: true, encoding: .utf8)
        let result = store.reload(directory: directory, loader: F.loader)
        guard case .failure(let error) = result else {
            Issue.record("reload should fail")
            return
        }
        #expect(error.diagnostics.first?.location.file == "citizen.policy")
        #expect(error.description.contains("did you mean `resource.owner`?"))
        #expect(store.current === before)
        #expect(store.lastError != nil)
        #expect(store.decide(F.alice, .read, F.benefit, Context()).isPermitted)

        // Fix it: the new set takes over and the error clears.
        try "rule \"only\" permit citizen to read on profile when principal.id == resource.owner reveal *;"
            .write(toFile: directory + "/citizen.policy", atomically: true, encoding: .utf8)
        let fixed = store.reload(directory: directory, loader: F.loader)
        #expect((try? fixed.get()) != nil)
        #expect(store.current !== before)
        #expect(store.lastError == nil)
        #expect(!store.decide(F.alice, .read, F.benefit, Context()).isPermitted)
    }

    @Test func reloadFromMemoryIsAllOrNothing() throws {
        let store = PolicyStore(F.defaultSet)
        let schema = F.sources.schema
        let good = PolicySource(name: "a.policy", text: "permit citizen to read on profile when principal.id == resource.owner;")
        let bad = PolicySource(name: "b.policy", text: "permit citizen to read on profile when resource.sealed;")
        let result = store.reload(schema: schema, policies: [good, bad], loader: F.loader)
        #expect((try? result.get()) == nil)
        #expect(store.current === F.defaultSet)
    }

    @Test func missingDirectoryAndMissingSchemaAreErrors() throws {
        #expect(throws: PolicyLoadError.self) { try F.loader.load(directory: "/nonexistent/policies") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("policy-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            _ = try F.loader.load(directory: directory)
            Issue.record("should not load without a schema")
        } catch {
            #expect(error.diagnostics.first?.message.contains("exactly one `*.schema`") == true)
        }
    }

    @Test func concurrentDecisionsAndReloadsAreSafe() async throws {
        let store = PolicyStore(F.defaultSet)
        let schema = F.sources.schema, policies = F.sources.policies
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<8 {
                group.addTask {
                    for _ in 0..<50 {
                        if index == 0 {
                            store.reload(schema: schema, policies: policies, loader: F.loader)
                        } else {
                            #expect(store.decide(F.alice, .read, F.benefit, Context()).isPermitted)
                        }
                    }
                }
            }
        }
    }
}

import AuditLog
import Catalog
import Foundation
import Policy
import Sodium
import Strongroom
import TestSupport
import Testing

/// The rules in force are in the log, and nobody changes them unseen: every load and reload is an entry with the
/// SHA-256 of every file and of the set; a reload takes effect only once recorded; rule files that others can write
/// are refused with the chmod that fixes it.
@Suite struct RulesInForceTests {
    static func copy(_ name: String) throws -> (TemporaryDirectory, String) {
        let temp = TemporaryDirectory(prefix: "strongroom-rules")
        let path = temp.appending(name)
        try FileManager.default.copyItem(atPath: InstallationFixture.repositoryRoot + "/" + name, toPath: path)
        return (temp, path)
    }

    static func sha256(ofFile path: String) throws -> String {
        SHA256Digest.hash([UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))).hexString
    }

    @Test func openingRecordsTheCatalogAndPoliciesByDigest() throws {
        let fixture = try InstallationFixture()
        let opening = Array(try fixture.auditEntries().prefix(fixture.openingEntries))
        #expect(opening.map(\.action) == ["catalog.load", "policies.load"])
        let policies = try #require(opening.last)
        let policyFiles = try FileManager.default.contentsOfDirectory(atPath: fixture.configuration.policyDirectory)
            .filter { $0.hasSuffix(".policy") || $0.hasSuffix(".schema") }
        #expect(!policyFiles.isEmpty)
        #expect(policies.details["files"] == String(policyFiles.count))
        for name in policyFiles {
            #expect(policies.details["sha256:" + name] == (try Self.sha256(ofFile: fixture.configuration.policyDirectory + "/" + name)))
        }
        #expect(policies.details["set.sha256"]?.count == 64)
        let catalog = try #require(opening.first)
        let catalogFiles = try FileManager.default.contentsOfDirectory(atPath: fixture.configuration.catalogDirectory).filter { $0.hasSuffix(".yaml") }
        #expect(catalogFiles.count > 1, "the services and the branding")
        for name in catalogFiles {
            #expect(catalog.details["sha256:" + name] == (try Self.sha256(ofFile: fixture.configuration.catalogDirectory + "/" + name)))
        }
    }

    @Test func anEditedPolicyIsInTheLogWithItsNewDigestBeforeItTakesEffect() async throws {
        let (temp, policies) = try Self.copy("Policies")
        _ = temp
        let fixture = try InstallationFixture { $0.policyDirectory = policies }
        let loaded = try #require(try fixture.auditEntries().last { $0.action == "policies.load" })
        let file = policies + "/citizen.policy"
        try (try String(contentsOfFile: file, encoding: .utf8) + "\n# an edit\n").write(toFile: file, atomically: true, encoding: .utf8)
        guard case .success = await fixture.installation.reloadPolicies() else { Issue.record("the edited set should load"); return }
        let reload = try #require(try fixture.auditEntries().last { $0.action == "policies.reload" })
        #expect(reload.decision == .allow())
        #expect(reload.details["sha256:citizen.policy"] == (try Self.sha256(ofFile: file)))
        #expect(reload.details["sha256:citizen.policy"] != loaded.details["sha256:citizen.policy"])
        #expect(reload.details["set.sha256"] != loaded.details["set.sha256"])
        #expect(reload.details["sha256:strongroom.schema"] == loaded.details["sha256:strongroom.schema"])

        // A broken edit is recorded as refused, and changes nothing.
        try "permit citizen to read on profile when resource.nonexistent == 1;\n".write(toFile: policies + "/broken.policy", atomically: true, encoding: .utf8)
        guard case .failure = await fixture.installation.reloadPolicies() else { Issue.record("a broken set must not load"); return }
        let refused = try #require(try fixture.auditEntries().last { $0.action == "policies.reload" })
        #expect(refused.decision.effect == .deny)
        #expect(refused.details["outcome"]?.contains("refused") == true)
    }

    @Test func aPolicyFileOthersCanWriteIsRefusedWithTheFix() async throws {
        let (temp, policies) = try Self.copy("Policies")
        _ = temp
        let fixture = try InstallationFixture { $0.policyDirectory = policies }
        let file = policies + "/citizen.policy"
        try FileManager.default.setAttributes([.posixPermissions: 0o664], ofItemAtPath: file)
        guard case .failure(let error) = await fixture.installation.reloadPolicies() else { Issue.record("a loose file must be refused"); return }
        #expect(error.diagnostics.contains { $0.kind == .loosePermissions && $0.hint == "run `chmod go-w \(file)`" })
        // Opening an installation on it is refused too.
        #expect(throws: PolicyLoadError.self) { _ = try Installation(configuration: fixture.configuration) }
        // A world-writable directory as well.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: policies)
        guard case .failure(let again) = await fixture.installation.reloadPolicies() else { Issue.record("a loose directory must be refused"); return }
        #expect(again.diagnostics.contains { $0.kind == .loosePermissions && $0.message.contains("others") })
    }

    @Test func aCatalogFileOthersCanWriteIsRefusedWithTheFix() throws {
        let (temp, catalog) = try Self.copy("Catalog")
        _ = temp
        let file = catalog + "/branding.yaml"
        try FileManager.default.setAttributes([.posixPermissions: 0o646], ofItemAtPath: file)
        #expect {
            _ = try InstallationFixture { $0.catalogDirectory = catalog }
        } throws: { error in
            (error as? CatalogError)?.diagnostics.contains { $0.kind == .loosePermissions && $0.hint == "run `chmod go-w \(file)`" } == true
        }
    }
}

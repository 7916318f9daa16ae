import Foundation
import Policy
import Strongroom
import TestSupport
import Testing

@Suite("Policy reload")
struct PolicyReloadTests {
    @Test("a broken policy file on reload keeps the previous set in force; a fixed one takes effect")
    func reloadIsAllOrNothing() async throws {
        let copy = TemporaryDirectory(prefix: "strongroom-policies")
        let policies = copy.appending("Policies")
        try FileManager.default.copyItem(atPath: InstallationFixture.repositoryRoot + "/Policies", toPath: policies)
        let fixture = try InstallationFixture { $0.policyDirectory = policies }
        let before = fixture.installation.policies.current.rules.count
        let citizen = Principal(id: "c1", roles: ["citizen"], kind: .citizen)
        let own = Resource.profile(owner: "c1")
        #expect(fixture.installation.policies.decide(citizen, .read, own, Context()).isPermitted)

        let file = policies + "/citizen.policy"
        let original = try String(contentsOfFile: file, encoding: .utf8)
        try (original + "\npermit citizen to read on profile when resource.nonexistent == 1;\n").write(toFile: file, atomically: true, encoding: .utf8)
        guard case .failure(let error) = await fixture.installation.reloadPolicies() else {
            Issue.record("a policy naming an unknown attribute must not load")
            return
        }
        #expect("\(error)".contains("citizen.policy:"))
        #expect(fixture.installation.policies.current.rules.count == before)
        #expect(fixture.installation.policies.decide(citizen, .read, own, Context()).isPermitted)

        // Remove the citizen's own-profile rule: after a good reload the citizen is denied.
        let without = original.replacingOccurrences(of: "rule \"citizen-own-profile\"", with: "rule \"citizen-own-profile\"\nforbid citizen to read on profile;\nrule \"citizen-own-profile-kept\"")
        try without.write(toFile: file, atomically: true, encoding: .utf8)
        guard case .success = await fixture.installation.reloadPolicies() else {
            Issue.record("the edited policy set should load")
            return
        }
        #expect(!fixture.installation.policies.decide(citizen, .read, own, Context()).isPermitted)
    }
}

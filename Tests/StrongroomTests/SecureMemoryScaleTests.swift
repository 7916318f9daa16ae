import Sealing
import Sodium
import Strongroom
import Testing
import TestSupport

/// Issue: one process stopped serving new citizens after about 12,000, when secure memory ran out of kernel
/// mappings. 100,000 distinct citizens' keys (subject keys and the derived field keys, both cached) must all work.
@Suite struct SecureMemoryScaleTests {
    @Test func aHundredThousandCitizensKeysAllSealAndOpen() async throws {
        let fixture = try InstallationFixture()
        let installation = fixture.installation
        let count = 100_000
        // Minutes of computing on a loaded machine: on a thread of its own, so the cooperative pool's two threads
        // stay free for the tests running beside it (several of them wait for other tasks).
        let (created, opened) = try await onOwnThread { () throws -> (Int, Int) in
            let subjects = (0..<count).map { "sub_scale_\($0)" }
            let created = try installation.subjectKeys.createKeys(subjects: subjects, scope: "subject")
            var sealed: [(FieldPlace, [UInt8])] = []
            sealed.reserveCapacity(count)
            for (index, subject) in subjects.enumerated() {
                let key = try installation.subjectKeys.keyID(subject: subject, scope: "subject")
                let place = FieldPlace(collection: "profiles", recordID: "acc_\(index)", field: "name")
                sealed.append((place, try installation.sealer.seal(Array("citizen \(index)".utf8), for: place, subjectKeyID: key)))
            }
            // Every one opens, with every subject key and derived key still cached (live) from sealing.
            var opened = 0
            for (index, (place, envelope)) in sealed.enumerated() {
                let value = try installation.sealer.open(envelope, at: place)
                if value == Array("citizen \(index)".utf8) { opened += 1 }
            }
            return (created, opened)
        }
        #expect(created == count)
        #expect(opened == count)
        withExtendedLifetime(fixture) {}
    }
}

import Sealing
import Sodium
import Strongroom
import Testing

/// Issue: one process stopped serving new citizens after about 12,000, when secure memory ran out of kernel
/// mappings. 100,000 distinct citizens' keys (subject keys and the derived field keys, both cached) must all work.
@Suite struct SecureMemoryScaleTests {
    @Test func aHundredThousandCitizensKeysAllSealAndOpen() async throws {
        let fixture = try InstallationFixture()
        let installation = fixture.installation
        let count = 100_000
        let subjects = (0..<count).map { "sub_scale_\($0)" }
        #expect(try installation.subjectKeys.createKeys(subjects: subjects, scope: "subject") == count)
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
        #expect(opened == count)
    }
}

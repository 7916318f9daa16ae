import Keyring
import Sealing
import Testing
import TestSupport

@Suite("Blind indexes")
struct BlindIndexTests {
    @Test("normalisation", arguments: [
        (Normalization.email, "  Alice.Smith@Example.ORG ", "alice.smith@example.org"),
        (.email, "E\u{301}va@Example.org", "\u{e9}va@example.org"),
        (.exact, "e\u{301}", "\u{e9}"),
    ])
    func normalise(kind: Normalization, input: String, expected: String) {
        #expect(kind.apply(input) == expected)
    }

    @Test func equalValuesIndexEquallyAcrossSpellings() throws {
        let keys = try TestKeys()
        let indexer = BlindIndexer(keyring: keys.keyring)
        let a = try indexer.index("Alice@Example.org", normalization: .email, collection: "profiles", field: "email")
        let b = try indexer.index(" alice@example.ORG", normalization: .email, collection: "profiles", field: "email")
        let c = try indexer.index("bob@example.org", normalization: .email, collection: "profiles", field: "email")
        #expect(a == b)
        #expect(a != c)
        #expect(a.bytes.count == 16)
        let otherField = try indexer.index("Alice@Example.org", normalization: .email, collection: "profiles", field: "contact")
        #expect(a.bytes != otherField.bytes, "per-field keys")
        let otherKeys = BlindIndexer(keyring: try TestKeys().keyring)
        #expect(try otherKeys.index("Alice@Example.org", normalization: .email, collection: "profiles", field: "email").bytes != a.bytes)
    }

    @Test func searchCoversEveryLiveVersion() throws {
        let keys = try TestKeys()
        let indexer = BlindIndexer(keyring: keys.keyring)
        let old = try indexer.index("X1", normalization: .exact, collection: "c", field: "f")
        try keys.keyring.rotate(.index)
        let new = try indexer.index("X1", normalization: .exact, collection: "c", field: "f")
        #expect(old.keyVersion == 1 && new.keyVersion == 2 && old.bytes != new.bytes)
        let all = try indexer.searchIndexes("X1", normalization: .exact, collection: "c", field: "f")
        #expect(Set(all) == [old, new])
    }
}

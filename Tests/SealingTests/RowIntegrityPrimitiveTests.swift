import Keyring
import Sealing
import Sodium
import Testing
import TestSupport

@Suite("Row MACs and field revisions")
struct RowIntegrityPrimitiveTests {
    let keys: TestKeys
    let authenticator: RowAuthenticator
    let sealer: FieldSealer
    let columns: [RowValue] = [.text("citizen"), .blob([1, 2, 3]), .integer(42), .null, .text("")]

    init() throws {
        keys = try TestKeys()
        authenticator = RowAuthenticator(keyring: keys.keyring)
        sealer = FieldSealer(keyring: keys.keyring)
    }

    @Test func aMACVerifiesOnlyForItsOwnTableKeyAndColumns() throws {
        let mac = try authenticator.mac(table: "accounts", key: "acc_1", columns: columns)
        #expect(mac.count == RowAuthenticator.byteCount)
        #expect(authenticator.verify(mac, table: "accounts", key: "acc_1", columns: columns))
        #expect(!authenticator.verify(mac, table: "requests", key: "acc_1", columns: columns))
        #expect(!authenticator.verify(mac, table: "accounts", key: "acc_2", columns: columns))
        #expect(!authenticator.verify(nil, table: "accounts", key: "acc_1", columns: columns))
        #expect(!authenticator.verify(Array(mac.prefix(35)), table: "accounts", key: "acc_1", columns: columns))
        // Every column, and every byte of the tag, counts.
        for index in columns.indices {
            var changed = columns
            changed[index] = columns[index] == .null ? .text("") : .null
            #expect(!authenticator.verify(mac, table: "accounts", key: "acc_1", columns: changed))
        }
        for index in 4..<mac.count {
            var tampered = mac
            tampered[index] ^= 0x01
            #expect(!authenticator.verify(tampered, table: "accounts", key: "acc_1", columns: columns))
        }
    }

    @Test func theEncodingIsUnambiguous() throws {
        // Moving a byte between adjacent columns, or between a text and a blob of the same bytes, changes the MAC.
        let a = try authenticator.mac(table: "t", key: "k", columns: [.text("ab"), .text("c")])
        #expect(!authenticator.verify(a, table: "t", key: "k", columns: [.text("a"), .text("bc")]))
        #expect(!authenticator.verify(a, table: "t", key: "k", columns: [.blob(Array("ab".utf8)), .text("c")]))
        #expect(!authenticator.verify(a, table: "tk", key: "", columns: [.text("ab"), .text("c")]))
        #expect(!authenticator.verify(a, table: "t", key: "k", columns: [.text("ab"), .text("c"), .null]))
    }

    @Test func aMACNamingAnUnknownKeyVersionFails() throws {
        var mac = try authenticator.mac(table: "t", key: "k", columns: columns)
        #expect(RowAuthenticator.keyVersion(of: mac) == 1)
        mac[3] = 9
        #expect(!authenticator.verify(mac, table: "t", key: "k", columns: columns))
    }

    @Test func rowsMACdBeforeAnIndexKeyRotationStillVerify() throws {
        let before = try authenticator.mac(table: "t", key: "k", columns: columns)
        _ = try keys.keyring.rotate(.index)
        let after = try authenticator.mac(table: "t", key: "k", columns: columns)
        #expect(RowAuthenticator.keyVersion(of: after) == 2)
        #expect(authenticator.verify(before, table: "t", key: "k", columns: columns))
        #expect(authenticator.verify(after, table: "t", key: "k", columns: columns))
    }

    @Test func tokenHashesAreKeyedAndFollowRotation() throws {
        let token = SecureRandom.bytes(count: 32)
        let hash = try authenticator.tokenHash(token)
        #expect(hash.count == 32 && hash != SHA256Digest.hash(token))
        #expect(try RowAuthenticator(keyring: TestKeys().keyring).tokenHash(token) != hash)
        #expect(try authenticator.olderTokenHashes(token).isEmpty)
        _ = try keys.keyring.rotate(.index)
        #expect(try authenticator.tokenHash(token) != hash)
        #expect(try authenticator.olderTokenHashes(token) == [hash])
    }

    @Test func envelopesCarryTheirRevisionInTheAuthenticatedHeader() throws {
        let place = FieldPlace(collection: "requests", recordID: "r-1", field: "bank_account")
        let revision = FieldRevision.random()
        let sealed = try sealer.seal(Array("IE29".utf8), for: place, revision: revision)
        #expect(sealed[0] == SealedEnvelope.formatVersion)
        #expect(try SealedEnvelope.revision(of: sealed) == revision)
        #expect(try sealer.open(sealed, at: place) == Array("IE29".utf8))
        // Changing the revision in the header, or downgrading to format 1 by cutting it out, does not open.
        var relabelled = sealed
        let offset = 3 + "records".utf8.count + 4
        relabelled[offset] ^= 0x80
        #expect(throws: SealingError.authenticationFailed) { try sealer.open(relabelled, at: place) }
        let downgraded = [1] + Array(sealed[1..<offset]) + Array(sealed[(offset + 8)...])
        #expect(throws: SealingError.authenticationFailed) { try sealer.open(downgraded, at: place) }
        // A value sealed before revisions (format 1) still opens and has none.
        let legacy = try sealer.seal(Array("old".utf8), for: place, revision: nil)
        #expect(legacy[0] == 1)
        #expect(try SealedEnvelope.revision(of: legacy) == nil)
        #expect(try sealer.open(legacy, at: place) == Array("old".utf8))
        // Two writes of the same value have different revisions.
        #expect(try SealedEnvelope.revision(of: sealer.seal([1], for: place)) != SealedEnvelope.revision(of: sealer.seal([1], for: place)))
    }

    @Test func revisionsAdmitOnlyTheCurrentEnvelope() throws {
        let place = FieldPlace(collection: "requests", recordID: "r-1", field: "bank_account")
        let old = try sealer.seal(Array("old".utf8), for: place)
        let new = try sealer.seal(Array("new".utf8), for: place)
        var revisions = FieldRevisions()
        revisions.set(try SealedEnvelope.revision(of: new), collection: "requests", field: "bank_account")
        #expect(revisions.admits(new, collection: "requests", field: "bank_account"))
        #expect(!revisions.admits(old, collection: "requests", field: "bank_account"))
        #expect(!revisions.admits(try sealer.seal([1], for: place, revision: nil), collection: "requests", field: "bank_account"))
        #expect(!revisions.admits(new, collection: "decisions", field: "bank_account"))
        #expect(!revisions.admits([0xff, 0, 0], collection: "requests", field: "bank_account"))
        // A field without an entry admits only a format 1 envelope.
        #expect(revisions.admits(try sealer.seal([1], for: place, revision: nil), collection: "requests", field: "reason"))
        #expect(!revisions.admits(old, collection: "requests", field: "reason"))
        revisions.set(nil, collection: "requests", field: "bank_account")
        #expect(!revisions.admits(new, collection: "requests", field: "bank_account"))
    }

    @Test func revisionTextIsCanonical() throws {
        var revisions = FieldRevisions()
        revisions.set(FieldRevision(rawValue: 0x0102), collection: "requests", field: "b")
        revisions.set(FieldRevision(rawValue: 0xffff_ffff_ffff_ffff), collection: "decisions", field: "reason")
        #expect(revisions.text == "decisions/reason=ffffffffffffffff;requests/b=0000000000000102")
        #expect(FieldRevisions(text: revisions.text) == revisions)
        #expect(FieldRevisions(text: "") == FieldRevisions())
        for bad in ["x", "a=1", "a=000000000000010", "=0000000000000001", "a=0000000000000001;a=0000000000000002", "a=000000000000000g", ";", "a=0000000000000001;", "a=+000000000000001", "a==000000000000001"] {
            #expect(FieldRevisions(text: bad) == nil, "\(bad)")
        }
    }

    @Test("random revision texts never crash the parser")
    func fuzzRevisionText() {
        var generator = SplitMix64(seed: 0x7e57)
        let alphabet = Array("ab/=;0123456789f".utf8)
        for _ in 0..<5000 {
            let length = Int(generator.next() % 60)
            let text = String(decoding: (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }, as: UTF8.self)
            if let parsed = FieldRevisions(text: text) { #expect(FieldRevisions(text: parsed.text) == parsed) }
        }
    }
}

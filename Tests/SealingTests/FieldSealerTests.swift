import Keyring
import Sealing
import Sodium
import Testing
import TestSupport

@Suite("Field sealing")
struct FieldSealerTests {
    let keys: TestKeys
    let sealer: FieldSealer
    let place = FieldPlace(collection: "requests", recordID: "r-1001", field: "income")
    let value = Array("canary-income-93817".utf8)

    init() throws {
        keys = try TestKeys()
        sealer = FieldSealer(keyring: keys.keyring)
    }

    @Test func roundTrip() throws {
        let sealed = try sealer.seal(value, for: place)
        #expect(sealed[0] == SealedEnvelope.formatVersion)
        #expect(try sealer.open(sealed, at: place) == value)
        #expect(try sealer.seal(value, for: place) != sealed, "random nonces make every seal different")
        #expect(try sealer.open(try sealer.seal([], for: place), at: place) == [])
    }

    @Test("flipping any byte of the envelope fails (header, nonce, ciphertext or tag)")
    func flipAnyByte() throws {
        let sealed = try sealer.seal(value, for: place)
        for index in sealed.indices {
            var tampered = sealed
            tampered[index] ^= 0x01
            #expect(throws: (any Error).self) { try sealer.open(tampered, at: place) }
            do {
                _ = try sealer.open(tampered, at: place)
            } catch let error as SealingError {
                #expect(!error.message.contains("canary"))
            }
        }
    }

    @Test("moving a ciphertext to another record, field or collection fails", arguments: [
        FieldPlace(collection: "requests", recordID: "r-1002", field: "income"),
        FieldPlace(collection: "requests", recordID: "r-1001", field: "national_id"),
        FieldPlace(collection: "profiles", recordID: "r-1001", field: "income"),
        FieldPlace(collection: "requests", recordID: "r-100", field: "1income"),
    ])
    func movedFails(other: FieldPlace) throws {
        let sealed = try sealer.seal(value, for: place)
        #expect(throws: SealingError.authenticationFailed) { try sealer.open(sealed, at: other) }
    }

    @Test("opening at a place with a part longer than 255 bytes is refused, never a crash", arguments: [
        FieldPlace(collection: String(repeating: "c", count: 256), recordID: "r-1001", field: "income"),
        FieldPlace(collection: "requests", recordID: String(repeating: "r", count: 300), field: "income"),
        FieldPlace(collection: "requests", recordID: "r-1001", field: String(repeating: "é", count: 200)),
    ])
    func overlongPlaceIsRefused(other: FieldPlace) throws {
        let sealed = try sealer.seal(value, for: place)
        #expect(throws: SealingError.self) { try sealer.open(sealed, at: other) }
        #expect(throws: SealingError.self) { try sealer.seal(value, for: other) }
    }

    @Test("a ciphertext does not open under another key ring")
    func wrongKeyFails() throws {
        let sealed = try sealer.seal(value, for: place)
        let other = FieldSealer(keyring: try TestKeys().keyring)
        #expect(throws: SealingError.authenticationFailed) { try other.open(sealed, at: place) }
    }

    @Test("rewriting the key version in the header fails")
    func swappedKeyVersion() throws {
        let v1 = try sealer.seal(value, for: place)
        try keys.keyring.rotate(.records)
        let v2 = try sealer.seal(value, for: place)
        #expect(try FieldSealer.keyVersion(of: v1).version == 1)
        #expect(try FieldSealer.keyVersion(of: v2).version == 2)
        #expect(try sealer.open(v1, at: place) == value)
        var relabelled = v1
        relabelled[3 + "records".utf8.count + 3] = 2
        #expect(throws: SealingError.authenticationFailed) { try sealer.open(relabelled, at: place) }
    }

    @Test("truncated and malformed envelopes are refused", arguments: [0, 1, 2, 3, 10, 14, 40, 55])
    func malformed(length: Int) throws {
        let sealed = try sealer.seal(value, for: place)
        #expect(throws: (any Error).self) { try sealer.open(Array(sealed.prefix(length)), at: place) }
    }

    @Test func unknownFormatVersion() throws {
        var sealed = try sealer.seal(value, for: place)
        sealed[0] = 3
        #expect(throws: SealingError.malformed) { try sealer.open(sealed, at: place) }
    }

    @Test func subjectBoundFieldsNeedTheSubjectKey() throws {
        let store = InMemorySubjectKeys()
        let subjectID = SecureRandom.bytes(count: 16)
        try store.add(subjectID)
        let bound = FieldSealer(keyring: keys.keyring, subjectKeys: store)
        let sealed = try bound.seal(value, for: place, subjectKeyID: subjectID)
        #expect(try bound.open(sealed, at: place) == value)
        store.destroy(subjectID)
        #expect(throws: SealingError.keyUnavailableCode) { try bound.open(sealed, at: place) }
    }

    @Test("random envelopes never crash the parser")
    func fuzzParser() throws {
        var generator = SplitMix64(seed: 0x5eed)
        let sealed = try sealer.seal(value, for: place)
        for _ in 0..<5_000 {
            var bytes = sealed
            let mutations = Int(generator.next() % 4) + 1
            for _ in 0..<mutations {
                switch generator.next() % 3 {
                case 0: bytes[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next())
                case 1: bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count + 1))))
                default: bytes += [UInt8(truncatingIfNeeded: generator.next())]
                }
                if bytes.isEmpty { break }
            }
            if bytes == sealed { continue }
            #expect(throws: (any Error).self) { try sealer.open(bytes, at: place) }
        }
    }
}

final class InMemorySubjectKeys: SubjectKeyProvider, @unchecked Sendable {
    // @unchecked Sendable: guarded by `lock`.
    private var keys: [[UInt8]: SecretBytes] = [:]
    private let lock = NSLockLike()

    func add(_ id: [UInt8]) throws {
        let key = try SecretBytes(randomCount: 32)
        lock.withLock { keys[id] = key }
    }

    func destroy(_ id: [UInt8]) { lock.withLock { keys[id] = nil } }

    func subjectKey(id: [UInt8]) throws -> SecretBytes {
        guard let key = lock.withLock({ keys[id] }) else { throw SealingError.keyUnavailable(SealingError.malformed) }
        return key
    }
}

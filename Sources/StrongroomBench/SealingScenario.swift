import AuditLog
import Keyring
import Sealing
import Sodium

/// Scenario 1: seal and open one field value through `FieldSealer`, beside raw XChaCha20-Poly1305 of the same bytes.
///
/// The floor is `XChaCha20Poly1305.seal/open` (libsodium) with the same data key, a fresh random nonce per seal and
/// associated data of the same length the envelope binds; what is left is the sealing layer's own cost (key lookup,
/// place validation, envelope building and parsing).
struct SealingScenario {
    let sizes: [Int]
    let operations: Int
    let runs: Int

    func run() throws -> [BenchFigure] {
        let scratch = try ScratchDirectory(prefix: "strongroom-bench-keys")
        let keyring = try Keyring.create(in: KeyDirectory(path: scratch.appending("Keys")), protection: .plain) { publicKey in
            try AuditVerifierKey(name: "strongroom-bench", publicKey: publicKey).text
        }
        let sealer = FieldSealer(keyring: keyring)
        let dataKey = try keyring.currentKey(.records)
        let place = FieldPlace(collection: "requests", recordID: "req_0123456789abcdefghijklmn", field: "bank_account")
        let associatedData = Self.associatedData(keyID: dataKey.id.rawValue, version: dataKey.version, place: place)
        var sink = Sink()
        var figures: [BenchFigure] = []
        for size in sizes {
            let count = size >= 4096 ? max(1, operations / 4) : operations
            let plaintext = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            // Warm up both paths (key cache, allocator).
            for _ in 0..<min(count, 1000) {
                sink.consume(try sealer.open(try sealer.seal(plaintext, for: place), at: place))
            }
            let seal = try Measure.interleaved(
                runs: runs,
                figure: { try Measure.time { for _ in 0..<count { sink.consume(try sealer.seal(plaintext, for: place)) } } },
                floor: {
                    try Measure.time {
                        for _ in 0..<count {
                            sink.consume(try XChaCha20Poly1305.seal(
                                plaintext, key: dataKey.key, nonce: XChaCha20Poly1305.randomNonce(), associatedData: associatedData))
                        }
                    }
                })
            let envelope = try sealer.seal(plaintext, for: place)
            let nonce = XChaCha20Poly1305.randomNonce()
            let ciphertext = try XChaCha20Poly1305.seal(plaintext, key: dataKey.key, nonce: nonce, associatedData: associatedData)
            let open = try Measure.interleaved(
                runs: runs,
                figure: { try Measure.time { for _ in 0..<count { sink.consume(try sealer.open(envelope, at: place)) } } },
                floor: {
                    try Measure.time {
                        for _ in 0..<count {
                            sink.consume(try XChaCha20Poly1305.open(ciphertext, key: dataKey.key, nonce: nonce, associatedData: associatedData))
                        }
                    }
                })
            let label = size >= 1024 ? "\(size / 1024) KiB" : "\(size) B"
            let floorText = "XChaCha20Poly1305 (libsodium) of the same \(label), same key, AD of \(associatedData.count) B"
            figures.append(BenchFigure(
                scenario: "seal", name: "field seal \(label)", value: seal.figure * 1e6 / Double(count), unit: "µs/op",
                lowerIsBetter: true, floor: seal.floor * 1e6 / Double(count), floorDescription: floorText,
                note: "envelope \(envelope.count) B"))
            figures.append(BenchFigure(
                scenario: "seal", name: "field open \(label)", value: open.figure * 1e6 / Double(count), unit: "µs/op",
                lowerIsBetter: true, floor: open.floor * 1e6 / Double(count), floorDescription: floorText))
        }
        sink.publish()
        return figures
    }

    /// An envelope header shaped like v1's: format, flags, key id, key version.
    static func header(keyID: String, version: UInt32, subjectKeyID: [UInt8]? = nil) -> [UInt8] {
        [1, subjectKeyID == nil ? 0 : 1, UInt8(keyID.utf8.count)] + Array(keyID.utf8)
            + (0..<4).map { UInt8(truncatingIfNeeded: version >> (24 - 8 * $0)) } + (subjectKeyID ?? [])
    }

    /// Associated data shaped like a v1 envelope's (see `SealedEnvelope`): label, header, then the place's parts.
    static func associatedData(keyID: String, version: UInt32, place: FieldPlace) -> [UInt8] {
        associatedData(header: header(keyID: keyID, version: version), place: place)
    }

    /// Associated data for an envelope with this header.
    static func associatedData(header: [UInt8], place: FieldPlace) -> [UInt8] {
        var out = Array("strongroom.field.v1".utf8) + header
        for part in [place.collection, place.recordID, place.field] {
            out.append(UInt8(part.utf8.count))
            out += Array(part.utf8)
        }
        return out
    }
}

import AuditLog
import Foundation
import TestSupport
import Testing
@testable import Witness

/// The witness's own files read base64 with the audit log's canonical codec, not Foundation's: the seed in
/// `witness.key` and each log's last cosigned root in `witness.state` have one spelling.
@Suite("Witness files: canonical base64")
struct WitnessFileBase64Tests {
    /// `text` with the unused bits of its last character before the padding set: the same bytes to a lax decoder.
    static func withUnusedBitsSet(_ text: String) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var characters = Array(text)
        guard let last = characters.lastIndex(where: { $0 != "=" }), let value = alphabet.firstIndex(of: characters[last]) else { return text }
        characters[last] = alphabet[value ^ 1]
        return String(characters)
    }

    @Test func aStateRootWithBitsAfterTheDataIsRefused() throws {
        let directory = TemporaryDirectory()
        let witness = WitnessDirectory(path: directory.appending("w"))
        _ = try witness.initialize(name: "witness.test/w1")
        let log = try ToyLog()
        var state = try witness.loadState()
        // A root whose base64 has no '/' (which JSON would escape as "\/").
        let hash = [UInt8](repeating: 1, count: 32)
        state.update(WitnessedLog(origin: log.origin, keys: [log.signer.verifierKey], size: 3, rootHash: hash))
        try witness.saveState(state)
        #expect(try witness.loadState() == state)

        let root = WitnessDirectory.base64(hash)
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: witness.statePath)), as: UTF8.self)
        #expect(text.contains(root))
        for variant in [Self.withUnusedBitsSet(root), String(root.dropLast()), root + "=", " " + root,
                        root.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")] where variant != root {
            try Data(text.replacingOccurrences(of: root, with: variant).utf8).write(to: URL(fileURLWithPath: witness.statePath))
            let error = #expect(throws: WitnessError.corruptFileCode, "\(variant.debugDescription)") { try witness.loadState() }
            #expect(error?.message.contains("canonical base64") == true)
        }
    }

    @Test func aSeedWithBitsAfterTheDataIsRefused() throws {
        let directory = TemporaryDirectory()
        let witness = WitnessDirectory(path: directory.appending("w"))
        let key = try witness.initialize(name: "witness.test/w1")
        #expect(try witness.loadCosigner().verifierKey == key)
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: witness.keyPath)), as: UTF8.self)
        let seedLine = try #require(text.split(separator: "\n").first { $0.hasPrefix("seed ") })
        let seed = String(seedLine.dropFirst(5))
        #expect(seed.hasSuffix("="), "32 bytes: one padding character")
        for variant in [Self.withUnusedBitsSet(seed), String(seed.dropLast()), seed + "=="] {
            try Data(text.replacingOccurrences(of: seed, with: variant).utf8).write(to: URL(fileURLWithPath: witness.keyPath))
            let error = #expect(throws: WitnessError.corruptFileCode, "\(variant.debugDescription)") { try witness.loadCosigner() }
            #expect(error?.message.contains("canonical base64") == true)
        }
    }
}

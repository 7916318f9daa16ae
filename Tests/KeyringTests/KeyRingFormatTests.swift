import Foundation
@testable import Keyring
import Sodium
import Testing
import TestSupport

/// The key ring's MAC covers an encoding of our own (format 2), not whatever Foundation's JSON encoder prints; key
/// rings written before (format 1) still open, verified the old way, and are rewritten in format 2.
@Suite("Key ring format and MAC")
struct KeyRingFormatTests {
    // MARK: The encoding

    @Test func theCanonicalEncodingIsExactlyAsDocumented() throws {
        let body = KeyRingDocument.Body(
            format: 2, rootKeyID: "0011223344556677",
            keys: [
                .init(id: "records", version: 1, createdMillis: 1_700_000_000_000, nonce: String(repeating: "ab", count: 24),
                      wrapped: String(repeating: "cd", count: 48)),
                .init(id: "index", version: 2, createdMillis: -1, nonce: "ef", wrapped: "01"),
            ],
            minimumVersions: ["records": 1, "index": 2])
        // Computed independently (Python: struct.pack and hashlib.blake2b), from the layout in KeyRingDocument.
        let expected = "7374726f6e67726f6f6d2e6b657972696e672e7632" + "00000002" + "00000010" + "30303131323233333434353536363737"
            + "00000002"
            + "00000007" + "7265636f726473" + "00000001" + "0000018bcfe56800"
            + "00000030" + String(repeating: "6162", count: 24) + "00000060" + String(repeating: "6364", count: 48)
            + "00000005" + "696e646578" + "00000002" + "ffffffffffffffff" + "00000002" + "6566" + "00000002" + "3031"
            + "00000002" + "00000005" + "696e646578" + "00000002" + "00000007" + "7265636f726473" + "00000001"
        #expect(KeyRingDocument.canonicalBytes(of: body).hexString == expected)
        let root = try SecretBytes(count: 32) { for i in 0..<32 { $0[i] = UInt8(i) } }
        let mac = try KeyRingDocument.mac(of: body, key: try Keyring.macKey(for: root))
        #expect(mac.hexString == "2d4916160d80b1d2070ef374e69f504929054813c222aff213bc359f89496e9a")
    }

    @Test func theEncodingDoesNotDependOnDictionaryOrderOrPrinting() throws {
        var a = KeyRingDocument.Body(format: 2, rootKeyID: "r", keys: [], minimumVersions: [:])
        var b = a
        for id in ["records", "index", "subjects", "zeta", "alpha"] { a.minimumVersions[id] = 3 }
        for id in ["alpha", "zeta", "subjects", "index", "records"] { b.minimumVersions[id] = 3 }
        #expect(KeyRingDocument.canonicalBytes(of: a) == KeyRingDocument.canonicalBytes(of: b))
        // Lengths keep neighbouring fields apart: moving a character from one to the next changes the encoding.
        let split1 = KeyRingDocument.Body(format: 2, rootKeyID: "ab", keys: [.init(id: "c", version: 1, createdMillis: 0, nonce: "", wrapped: "")], minimumVersions: [:])
        let split2 = KeyRingDocument.Body(format: 2, rootKeyID: "a", keys: [.init(id: "bc", version: 1, createdMillis: 0, nonce: "", wrapped: "")], minimumVersions: [:])
        #expect(KeyRingDocument.canonicalBytes(of: split1) != KeyRingDocument.canonicalBytes(of: split2))
    }

    @Test func aNewKeyRingIsWrittenInTheCurrentFormat() throws {
        let keys = try TestKeys()
        let json = try Self.readJSON(keys.directory.keyRingPath)
        #expect((json["body"] as? [String: Any])?["format"] as? Int == KeyRingDocument.currentFormat)
    }

    // MARK: What the MAC covers

    @Test func reorderedKeysAndOtherWhitespaceStillVerify() throws {
        let keys = try TestKeys()
        try keys.keyring.rotate(.records)
        try keys.keyring.retire(.records, below: 2)
        let expected = try keys.keyring.key(.records, version: 2)
        let json = try Self.readJSON(keys.directory.keyRingPath)
        // Keys in reverse order, odd spacing, escapes where plain characters were: the same document.
        let text = Self.printReversed(json, escapeLetters: true)
        #expect(text != String(decoding: try Data(contentsOf: URL(fileURLWithPath: keys.directory.keyRingPath)), as: UTF8.self))
        try Data(text.utf8).write(to: URL(fileURLWithPath: keys.directory.keyRingPath))
        let reopened = try Keyring.open(keys.directory)
        #expect(try reopened.key(.records, version: 2) == expected)
        #expect(reopened.minimumVersion(.records) == 2)
    }

    struct Tamper: Sendable, CustomTestStringConvertible {
        let name: String
        let change: @Sendable (inout [String: Any]) -> Void
        var testDescription: String { name }
    }

    static func editBody(_ json: inout [String: Any], _ change: (inout [String: Any]) -> Void) {
        var body = json["body"] as? [String: Any] ?? [:]
        change(&body)
        json["body"] = body
    }

    static func editEntry(_ json: inout [String: Any], _ index: Int, _ change: @escaping (inout [String: Any]) -> Void) {
        editBody(&json) { body in
            var entries = body["keys"] as? [[String: Any]] ?? []
            change(&entries[index])
            body["keys"] = entries
        }
    }

    static func flipHexDigit(_ text: Any?) -> String {
        var characters = Array(text as? String ?? "")
        characters[0] = characters[0] == "0" ? "1" : "0"
        return String(characters)
    }

    static let tampers: [Tamper] = [
        Tamper(name: "an entry's creation time") { json in editEntry(&json, 0) { $0["createdMillis"] = (($0["createdMillis"] as? Int) ?? 0) + 1 } },
        Tamper(name: "an entry's version") { json in editEntry(&json, 2) { $0["version"] = 7 } },
        Tamper(name: "an entry's id") { json in editEntry(&json, 0) { $0["id"] = "subjects" } },
        Tamper(name: "an entry's nonce") { json in editEntry(&json, 1) { $0["nonce"] = flipHexDigit($0["nonce"]) } },
        Tamper(name: "an entry's wrapped key") { json in editEntry(&json, 1) { $0["wrapped"] = flipHexDigit($0["wrapped"]) } },
        Tamper(name: "the same nonce in capitals") { json in editEntry(&json, 1) { $0["nonce"] = ($0["nonce"] as? String ?? "").uppercased() } },
        Tamper(name: "a minimum version lowered") { json in editBody(&json) { $0["minimumVersions"] = ["records": 1, "index": 1] } },
        Tamper(name: "a minimum version added") { json in
            editBody(&json) { body in
                var minimums = body["minimumVersions"] as? [String: Any] ?? [:]
                minimums["subjects"] = 1
                body["minimumVersions"] = minimums
            }
        },
        Tamper(name: "an entry removed") { json in editBody(&json) { body in body["keys"] = Array((body["keys"] as? [Any] ?? []).dropLast()) } },
        Tamper(name: "entries reordered") { json in editBody(&json) { body in body["keys"] = Array((body["keys"] as? [Any] ?? []).reversed()) } },
        Tamper(name: "an entry duplicated") { json in
            editBody(&json) { body in
                let entries = body["keys"] as? [Any] ?? []
                body["keys"] = entries + entries.prefix(1)
            }
        },
        Tamper(name: "format relabelled 1 (a format 2 MAC read the old way)") { json in editBody(&json) { $0["format"] = 1 } },
        Tamper(name: "the MAC itself") { json in json["mac"] = flipHexDigit(json["mac"]) },
    ]

    @Test(arguments: tampers)
    func anyChangedFieldIsRefused(_ tamper: Tamper) throws {
        let keys = try TestKeys()
        try keys.keyring.rotate(.records)
        try keys.keyring.retire(.records, below: 2)
        var json = try Self.readJSON(keys.directory.keyRingPath)
        tamper.change(&json)
        try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .prettyPrinted])
            .write(to: URL(fileURLWithPath: keys.directory.keyRingPath))
        #expect(throws: KeyringError.tamperedCode) { try Keyring.open(keys.directory) }
    }

    @Test func anotherRootKeyIDOrAnUnknownFormatIsRefused() throws {
        let keys = try TestKeys()
        var json = try Self.readJSON(keys.directory.keyRingPath)
        Self.editBody(&json) { $0["rootKeyID"] = "0000000000000000" }
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: keys.directory.keyRingPath))
        #expect(throws: KeyringError.rootKeyMismatchCode) { try Keyring.open(keys.directory) }
        Self.editBody(&json) { $0["format"] = 3 }
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: keys.directory.keyRingPath))
        let error = #expect(throws: KeyringError.corruptFileCode) { try Keyring.open(keys.directory) }
        #expect(error?.message.contains("format 3") == true)
    }

    // MARK: Key rings written before (format 1)

    /// A key directory written by the code before this format (commit 6132aad): `root.key` (plain) and
    /// `keyring.json`, after rotating both data keys and retiring records version 1.
    enum Legacy {
        static let rootKey = "5352524f4f540100d2086a5882b4d53c2f2dc6de8418551f7c8128f51e52757ab70468a155ad42aa1d75273ea8d57f8d"
        static let indexVersion1 = "7c98daf2e4eca253535f063807d31063acb2b5aaf29d82897fb48a3e38f6372d"
        static let recordsVersion2 = "3808f5494625ce7d2ef2f8f5e2afd22c1ac951760b43219f1adc2235e1a03eac"
        static let keyRing = """
        {
          "body" : {
            "format" : 1,
            "keys" : [
              {
                "createdMillis" : 1796684091596,
                "id" : "records",
                "nonce" : "3fc86741379d509bb2a83b9202ff65f3fa430c83ad3adb96",
                "version" : 1,
                "wrapped" : "91cda8c2becb9668ad3c8dda1c0949e0f4d45f40fc428734cd00ff40cd1f209a014bebbb09751fc1b0a0a2f55e4bf163"
              },
              {
                "createdMillis" : 1796684091596,
                "id" : "index",
                "nonce" : "7e51cd1fb35afe4ea6944f81cefc2884e3d22fb91836ca06",
                "version" : 1,
                "wrapped" : "cece991bbd614a44503af7b0cc165a677fdf3dd2cc218f85cd7f9df92bb5039ee35a4efa79ffd52daf7977193b1e7fab"
              },
              {
                "createdMillis" : 1750000000000,
                "id" : "records",
                "nonce" : "ef4c7972faaa4081c553018586429561b96f768e2b28eb6d",
                "version" : 2,
                "wrapped" : "5938b25fb4f7e54886231be8f14a7cea7873383012271c8d82c3383972b099371fb065f0850f28c183c1ba1bb9ff16e1"
              },
              {
                "createdMillis" : 1750000100000,
                "id" : "index",
                "nonce" : "4a0bafe8efaf61d1a5a64dd894efe52f9f38d5b940fdff9c",
                "version" : 2,
                "wrapped" : "9e068d158f746915f23638845d5997470c833a65d1aa377415f3c1ac5f2ce36f5cb0d93532e4d221fd676e85c07b84a6"
              }
            ],
            "minimumVersions" : {
              "index" : 1,
              "records" : 2
            },
            "rootKeyID" : "6773284944545c0f"
          },
          "mac" : "aaa3c132a416732a8db433be3e302e50428c5e45aa6c1dc8f0bd56e158517fa0"
        }
        """
    }

    static func legacyDirectory() throws -> (TemporaryDirectory, KeyDirectory) {
        let temporary = TemporaryDirectory(prefix: "strongroom-legacy-keys")
        let directory = KeyDirectory(path: temporary.appending("Keys"))
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let root = try #require([UInt8](hexString: Legacy.rootKey))
        #expect(FileManager.default.createFile(atPath: directory.rootKeyPath, contents: Data(root), attributes: [.posixPermissions: 0o600]))
        #expect(FileManager.default.createFile(
            atPath: directory.keyRingPath, contents: Data((Legacy.keyRing + "\n").utf8), attributes: [.posixPermissions: 0o600]))
        return (temporary, directory)
    }

    @Test func aFormatOneKeyRingOpensAndIsRewrittenInFormatTwo() throws {
        let (temporary, directory) = try Self.legacyDirectory()
        _ = temporary
        let before = try Self.readJSON(directory.keyRingPath)
        #expect((before["body"] as? [String: Any])?["format"] as? Int == 1)

        let keyring = try Keyring.open(directory)
        #expect(try keyring.key(.index, version: 1).withUnsafeBytes { Array($0) }.hexString == Legacy.indexVersion1)
        #expect(try keyring.currentKey(.records).key.withUnsafeBytes { Array($0) }.hexString == Legacy.recordsVersion2)
        #expect(throws: KeyringError.retiredKeyCode) { try keyring.key(.records, version: 1) }

        let after = try Self.readJSON(directory.keyRingPath)
        let afterBody = try #require(after["body"] as? [String: Any])
        let beforeBody = try #require(before["body"] as? [String: Any])
        #expect(afterBody["format"] as? Int == 2)
        #expect(after["mac"] as? String != before["mac"] as? String)
        #expect((afterBody["keys"] as? [[String: Any]])?.count == (beforeBody["keys"] as? [[String: Any]])?.count)
        #expect(NSDictionary(dictionary: afterBody["minimumVersions"] as? [String: Any] ?? [:])
            == NSDictionary(dictionary: beforeBody["minimumVersions"] as? [String: Any] ?? [:]))
        let mode = (try FileManager.default.attributesOfItem(atPath: directory.keyRingPath)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("keyring.json") }
        #expect(files == ["keyring.json"], "no temporary file left")

        let reopened = try Keyring.open(directory)
        #expect(try reopened.currentKey(.records).key == keyring.currentKey(.records).key)
        #expect(try reopened.key(.index, version: 1) == keyring.key(.index, version: 1))
    }

    @Test func aTamperedFormatOneKeyRingIsRefusedAndLeftAsItWas() throws {
        let (temporary, directory) = try Self.legacyDirectory()
        _ = temporary
        var json = try Self.readJSON(directory.keyRingPath)
        Self.editBody(&json) { $0["minimumVersions"] = ["records": 1, "index": 1] }
        let tampered = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .prettyPrinted])
        try tampered.write(to: URL(fileURLWithPath: directory.keyRingPath))
        #expect(throws: KeyringError.tamperedCode) { try Keyring.open(directory) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.keyRingPath)) == tampered)
    }

    @Test func aFormatOneMACRelabelledFormatTwoIsRefused() throws {
        let (temporary, directory) = try Self.legacyDirectory()
        _ = temporary
        var json = try Self.readJSON(directory.keyRingPath)
        Self.editBody(&json) { $0["format"] = 2 }
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: directory.keyRingPath))
        #expect(throws: KeyringError.tamperedCode) { try Keyring.open(directory) }
    }

    // MARK: Helpers

    static func readJSON(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// JSON with every object's keys in reverse order, tabs and blank lines between tokens, and (optionally) every
    /// letter of every string written as a `\u` escape.
    static func printReversed(_ value: Any, escapeLetters: Bool) -> String {
        switch value {
        case let object as [String: Any]:
            let members = object.keys.sorted(by: >).map { "\n\t\(printReversed($0, escapeLetters: escapeLetters)) :\t\(printReversed(object[$0]!, escapeLetters: escapeLetters))" }
            return "{" + members.joined(separator: " ,\n") + "\n}"
        case let array as [Any]:
            return "[ " + array.map { printReversed($0, escapeLetters: escapeLetters) }.joined(separator: " ,  ") + " ]"
        case let string as String:
            let body = string.unicodeScalars.map { scalar -> String in
                escapeLetters && scalar.properties.isAlphabetic ? String(format: "\\u%04x", scalar.value) : String(scalar)
            }.joined()
            return "\"\(body)\""
        case let number as NSNumber:
            return number.stringValue
        default:
            return "null"
        }
    }
}

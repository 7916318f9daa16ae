import Foundation
import Keyring
import Sodium
import Testing
import TestSupport

@Suite("Key directory and key ring")
struct KeyringTests {
    @Test func createThenOpen() throws {
        let keys = try TestKeys()
        let reopened = try Keyring.open(keys.directory)
        let a = try keys.keyring.currentKey(.records)
        let b = try reopened.currentKey(.records)
        #expect(a.version == 1 && b.version == 1)
        #expect(a.key == b.key)
        #expect(try keys.keyring.auditSigningKeyPair().publicKey == reopened.auditSigningKeyPair().publicKey)
        let status = reopened.status()
        #expect(status.map(\.id) == [.index, .records])
        #expect(status.allSatisfy { $0.state == .active })
    }

    @Test("files and directory get owner-only permissions")
    func permissions() throws {
        let keys = try TestKeys()
        let fm = FileManager.default
        func mode(_ path: String) throws -> Int { (try fm.attributesOfItem(atPath: path)[.posixPermissions] as! NSNumber).intValue }
        #expect(try mode(keys.directory.path) == 0o700)
        for path in [keys.directory.rootKeyPath, keys.directory.keyRingPath, keys.directory.auditSigningKeyPath] {
            #expect(try mode(path) == 0o600)
        }
        #expect(try mode(keys.directory.auditPublicKeyPath) == 0o644)
    }

    @Test("a key file readable by group or others is refused, with a chmod hint", arguments: [0o640, 0o604, 0o660, 0o644, 0o620])
    func loosePermissionsRefused(mode: Int) throws {
        let keys = try TestKeys()
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: keys.directory.rootKeyPath)
        let error = #expect(throws: KeyringError.filePermissionsCode) { try Keyring.open(keys.directory) }
        #expect(error?.message.contains("chmod 600") == true)
    }

    @Test func looseDirectoryRefused() throws {
        let keys = try TestKeys()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: keys.directory.path)
        let error = #expect(throws: KeyringError.directoryPermissionsCode) { try Keyring.open(keys.directory) }
        #expect(error?.message.contains("chmod 700") == true)
    }

    @Test func missingDirectory() throws {
        let temp = TemporaryDirectory()
        let error = #expect(throws: KeyringError.directoryMissingCode) {
            try Keyring.open(KeyDirectory(path: temp.appending("nope")))
        }
        #expect(error?.message.contains("strongroom init") == true)
    }

    @Test func missingRootKey() throws {
        let keys = try TestKeys()
        try FileManager.default.removeItem(atPath: keys.directory.rootKeyPath)
        #expect(throws: KeyringError.fileMissingCode) { try Keyring.open(keys.directory) }
    }

    @Test("truncated or corrupted root key files are refused", arguments: [0, 5, 8, 39, 47])
    func truncatedRootKey(length: Int) throws {
        let keys = try TestKeys()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: keys.directory.rootKeyPath))
        try bytes.prefix(length).write(to: URL(fileURLWithPath: keys.directory.rootKeyPath))
        #expect(throws: KeyringError.corruptFileCode) { try Keyring.open(keys.directory) }
    }

    @Test func corruptedRootKeyByte() throws {
        let keys = try TestKeys()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: keys.directory.rootKeyPath)))
        bytes[12] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: keys.directory.rootKeyPath))
        #expect(throws: KeyringError.corruptFileCode) { try Keyring.open(keys.directory) }
    }

    @Test("an edited key ring fails its integrity check")
    func tamperedKeyRing() throws {
        let keys = try TestKeys()
        try keys.keyring.rotate(.records)
        let url = URL(fileURLWithPath: keys.directory.keyRingPath)
        var text = try String(contentsOf: url, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"records\" : 1", with: "\"records\" : 2")
        try text.write(to: url, atomically: false, encoding: .utf8)
        #expect(throws: KeyringError.tamperedCode) { try Keyring.open(keys.directory) }
    }

    @Test func garbageKeyRing() throws {
        let keys = try TestKeys()
        try "{ not json".write(toFile: keys.directory.keyRingPath, atomically: false, encoding: .utf8)
        #expect(throws: KeyringError.corruptFileCode) { try Keyring.open(keys.directory) }
    }

    @Test("a key ring from another root key is refused")
    func swappedRootKey() throws {
        let a = try TestKeys()
        let b = try TestKeys()
        try FileManager.default.removeItem(atPath: a.directory.rootKeyPath)
        try FileManager.default.copyItem(atPath: b.directory.rootKeyPath, toPath: a.directory.rootKeyPath)
        #expect(throws: KeyringError.rootKeyMismatchCode) { try Keyring.open(a.directory) }
    }

    @Test("init over an existing key directory is refused unless forced")
    func initRefusesOverwrite() throws {
        let keys = try TestKeys()
        let error = #expect(throws: KeyringError.alreadyInitializedCode) {
            try Keyring.create(in: keys.directory, protection: .plain) { _ in "" }
        }
        #expect(error?.message.contains("--force") == true)
        let forced = try Keyring.create(in: keys.directory, protection: .plain, force: true) { _ in "" }
        #expect(try forced.currentKey(.records).key != keys.keyring.currentKey(.records).key)
    }

    @Test func passphraseProtectedRoot() throws {
        let temp = TemporaryDirectory()
        let directory = KeyDirectory(path: temp.appending("Keys"))
        let created = try Keyring.create(
            in: directory, protection: .passphrase(Array("correct horse battery".utf8), limits: .minimumForTesting)) { _ in "" }
        #expect(try Keyring.needsPassphrase(directory))
        #expect(throws: KeyringError.passphraseRequiredCode) { try Keyring.open(directory) }
        #expect(throws: KeyringError.wrongPassphraseCode) { try Keyring.open(directory, passphrase: Array("wrong".utf8)) }
        let opened = try Keyring.open(directory, passphrase: Array("correct horse battery".utf8))
        #expect(try opened.currentKey(.records).key == created.currentKey(.records).key)
        let rootFile = try String(decoding: Data(contentsOf: URL(fileURLWithPath: directory.rootKeyPath)), as: UTF8.self)
        #expect(!rootFile.contains("correct horse"))
    }

    @Test func rotationKeepsOldVersionsReadable() throws {
        let keys = try TestKeys()
        let v1 = try keys.keyring.currentKey(.records)
        #expect(try keys.keyring.rotate(.records) == 2)
        let v2 = try keys.keyring.currentKey(.records)
        #expect(v2.version == 2 && v2.key != v1.key)
        #expect(try keys.keyring.key(.records, version: 1) == v1.key)
        let reopened = try Keyring.open(keys.directory)
        #expect(try reopened.currentKey(.records).version == 2)
        #expect(reopened.status().first { $0.id == .records && $0.version == 1 }?.state == .decryptOnly)
        #expect(throws: KeyringError.unknownKeyCode) { try reopened.key(.records, version: 9) }
    }

    @Test("a completed write leaves no temporary file beside the key ring")
    func atomicWriteLeavesNoTemporaries() throws {
        let keys = try TestKeys()
        try keys.keyring.rotate(.index)
        let files = try FileManager.default.contentsOfDirectory(atPath: keys.directory.path)
        #expect(files.sorted() == ["audit-signing.key", "audit-signing.pub", "keyring.json", "root.key"])
    }

    @Test("an interrupted write leaves the previous key ring intact")
    func interruptedWriteLeavesThePreviousKeyRing() throws {
        let keys = try TestKeys()
        try keys.keyring.rotate(.index)
        let expected = try keys.keyring.currentKey(.index)
        let expectedBytes = expected.key.withUnsafeBytes { Array($0) }
        // What a write cut off before its rename leaves behind: a partial temporary beside the untouched file.
        let stray = keys.directory.path + "/keyring.json.tmp-99999-1"
        #expect(FileManager.default.createFile(atPath: stray, contents: Data(#"{"version":1,"keys":[{"id":"ind"#.utf8), attributes: [.posixPermissions: 0o600]))
        let reopened = try Keyring.open(keys.directory)
        let current = try reopened.currentKey(.index)
        #expect(current.version == expected.version && current.version == 2)
        #expect(current.key.withUnsafeBytes { Array($0) } == expectedBytes)
        #expect(try reopened.key(.records, version: 1).withUnsafeBytes { Array($0) } == keys.keyring.key(.records, version: 1).withUnsafeBytes { Array($0) })
    }

    @Test("status and errors never contain key bytes")
    func noKeyBytesInOutput() throws {
        let keys = try TestKeys()
        let keyHex = try keys.keyring.currentKey(.records).key.withUnsafeBytes { Array($0) }.hexString
        let rendered = String(describing: keys.keyring.status()) + String(describing: try keys.keyring.currentKey(.records))
        #expect(!rendered.contains(String(keyHex.prefix(12))))
    }
}

import Foundation
import Keyring
import Sodium
import Testing
import TestSupport

/// A running process (the server) keeps its key ring open while the CLI rotates keys in another process. These tests
/// use separate `Keyring` instances on one key directory for the two processes.
@Suite("Following a root rotation made by another process")
struct RootRotationFollowTests {
    @Test("after a root rotation, a running key ring sees later data-key rotations, opens old and new versions")
    func dataRotationAfterRootRotation() throws {
        let keys = try TestKeys()
        let server = try Keyring.open(keys.directory, passphrase: nil, refreshInterval: .zero)
        let v1 = try server.currentKey(.records)
        #expect(v1.version == 1)
        // The CLI: a root rotation, then (a later command, a fresh process) a data-key rotation.
        let rotated = try Keyring.open(keys.directory).rotateRoot(to: .plain)
        #expect(try Keyring.open(keys.directory).rotate(.records) == 2)
        let cli = try Keyring.open(keys.directory)
        // The server had not looked at the disk in between: it must follow both at once.
        let current = try server.currentKey(.records)
        #expect(current.version == 2)
        #expect(current.key == (try cli.key(.records, version: 2)))
        #expect(try server.key(.records, version: 1) == v1.key)
        #expect(server.rootKeyID == rotated.rootKeyID)
        #expect(server.lastRefreshError == nil)
        // The audit signing key file is wrapped by the new root now; the server still reads it.
        #expect(try server.auditSigningKeyPair().publicKey == cli.auditSigningKeyPair().publicKey)
        // And what follows keeps being followed: another rotation, then a retirement.
        try cli.rotate(.records)
        #expect(try server.currentKey(.records).version == 3)
        try cli.retire(.records, below: 2)
        #expect(throws: KeyringError.retiredKeyCode) { try server.key(.records, version: 1) }
    }

    @Test("a key ring that looked at the disk between the root rotation and the data-key rotation follows both")
    func refreshBetween() throws {
        let keys = try TestKeys()
        let server = try Keyring.open(keys.directory, passphrase: nil, refreshInterval: .seconds(3600))
        let v1 = try server.currentKey(.records)
        _ = try Keyring.open(keys.directory).rotateRoot(to: .plain)
        #expect(server.refreshIfChanged())
        #expect(try server.currentKey(.records).version == 1)
        try Keyring.open(keys.directory).rotate(.index)
        try Keyring.open(keys.directory).rotate(.records)
        #expect(server.refreshIfChanged())
        #expect(try server.currentKey(.records).version == 2)
        #expect(try server.currentKey(.index).version == 2)
        #expect(try server.key(.records, version: 1) == v1.key)
        // The server can itself write the key ring under the new root (a rotation from this process).
        #expect(try server.rotate(.records) == 3)
        #expect(try Keyring.open(keys.directory).key(.records, version: 3) == server.key(.records, version: 3))
    }

    @Test("a passphrase-protected root: followed with the same passphrase; a new passphrase needs a restart")
    func passphraseProtectedRoot() throws {
        let temp = TemporaryDirectory()
        let directory = KeyDirectory(path: temp.appending("Keys"))
        let passphrase = Array("correct horse battery staple".utf8)
        _ = try Keyring.create(in: directory, protection: .passphrase(passphrase, limits: .minimumForTesting)) { "k+" + $0.hexString }
        let server = try Keyring.open(directory, passphrase: passphrase, refreshInterval: .zero)
        let v1 = try server.currentKey(.records)

        _ = try Keyring.open(directory, passphrase: passphrase).rotateRoot(to: .passphrase(passphrase, limits: .minimumForTesting))
        try Keyring.open(directory, passphrase: passphrase).rotate(.records)
        #expect(try server.currentKey(.records).version == 2)
        #expect(try server.key(.records, version: 1) == v1.key)

        let other = Array("a different passphrase".utf8)
        _ = try Keyring.open(directory, passphrase: passphrase).rotateRoot(to: .passphrase(other, limits: .minimumForTesting))
        try Keyring.open(directory, passphrase: other).rotate(.records)
        // Refused with a clear reason; the keys in force keep working.
        #expect(try server.currentKey(.records).version == 2)
        #expect(server.lastRefreshError == KeyringError.rootRotatedElsewhereCode)
        #expect(server.lastRefreshError?.message.contains("restart") == true)
        #expect(try server.key(.records, version: 1) == v1.key)
    }

    @Test("another key directory put in place (other root, other keys) is refused; the keys in force stay")
    func foreignKeyDirectoryRefused() throws {
        let keys = try TestKeys()
        let server = try Keyring.open(keys.directory, passphrase: nil, refreshInterval: .zero)
        let v1 = try server.currentKey(.records)
        let foreign = try TestKeys()
        try foreign.keyring.rotate(.records)
        for name in ["root.key", "keyring.json"] {
            let target = keys.directory.file(name)
            try? FileManager.default.removeItem(atPath: target)
            try FileManager.default.copyItem(atPath: foreign.directory.file(name), toPath: target)
        }
        #expect(try server.currentKey(.records).version == 1)
        #expect(server.lastRefreshError == KeyringError.rolledBackCode)
        #expect(try server.currentKey(.records).key == v1.key)
    }
}

import Foundation
import Keyring
import Sodium
import Testing
import TestSupport

private struct SimulatedCrash: Error {}

/// Every key version's bytes, for comparing a key ring before and after a root rotation.
private func allKeys(_ keyring: Keyring) throws -> [String: SecretBytes] {
    var keys: [String: SecretBytes] = [:]
    for status in keyring.status() where status.state != .retired {
        keys["\(status.id)@\(status.version)"] = try keyring.key(status.id, version: status.version)
    }
    return keys
}

private func leftovers(_ directory: KeyDirectory) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
        $0.hasSuffix(".next") || $0.hasSuffix(".old") || $0.hasSuffix(".commit") || $0.contains(".tmp-") || $0.hasSuffix(".pending")
    }
}

@Suite("Key rotation, retirement and root rotation")
struct RotationTests {
    @Test("a data-key rotation adds a version that new seals use; older versions keep opening")
    func dataKeyRotation() throws {
        let keys = try TestKeys()
        let v1 = try keys.keyring.currentKey(.records)
        #expect(try keys.keyring.rotate(.records) == 2)
        let v2 = try keys.keyring.currentKey(.records)
        #expect(v2.version == 2 && v2.key != v1.key)
        #expect(try keys.keyring.key(.records, version: 1) == v1.key)
        let reopened = try Keyring.open(keys.directory)
        #expect(try reopened.currentKey(.records).version == 2)
        #expect(reopened.status().first { $0.id == .records && $0.version == 1 }?.state == .decryptOnly)
    }

    @Test("a running key ring picks up a rotation made by another process")
    func runningKeyringPicksUpRotation() throws {
        let keys = try TestKeys()
        let server = try Keyring.open(keys.directory, passphrase: nil, refreshInterval: .zero)
        #expect(try server.currentKey(.records).version == 1)
        let cli = try Keyring.open(keys.directory)
        try cli.rotate(.records)
        #expect(try server.currentKey(.records).version == 2)
        #expect(try server.key(.records, version: 2) == cli.key(.records, version: 2))
        // Explicit refresh on a key ring with the default interval.
        try cli.rotate(.index)
        #expect(keys.keyring.refreshIfChanged())
        #expect(try keys.keyring.currentKey(.index).version == 2)
    }

    @Test("two processes rotating one after the other lose no version")
    func concurrentRotationsKeepEveryVersion() throws {
        let keys = try TestKeys()
        let a = try Keyring.open(keys.directory)
        let b = try Keyring.open(keys.directory)
        #expect(try a.rotate(.records) == 2)
        #expect(try b.rotate(.records) == 3)  // b re-reads the file under the lock first
        let reopened = try Keyring.open(keys.directory)
        #expect(reopened.status().filter { $0.id == .records }.map(\.version) == [1, 2, 3])
        #expect(try reopened.key(.records, version: 2) == a.key(.records, version: 2))
    }

    @Test("a retired version fails closed, even in a process that had it cached")
    func retiredVersionFailsClosed() throws {
        let keys = try TestKeys()
        let server = try Keyring.open(keys.directory, passphrase: nil, refreshInterval: .zero)
        _ = try server.key(.records, version: 1)  // cached
        let cli = try Keyring.open(keys.directory)
        try cli.rotate(.records)
        #expect(try cli.retire(.records, below: 2) == 1)
        let error = #expect(throws: KeyringError.retiredKeyCode) { try server.key(.records, version: 1) }
        #expect(error?.message.contains("keys rewrap") == true)
        #expect(throws: KeyringError.retiredKeyCode) { try Keyring.open(keys.directory).key(.records, version: 1) }
        #expect(try server.currentKey(.records).version == 2)
        #expect(server.status().first { $0.version == 1 && $0.id == .records }?.state == .retired)
        // A retired version cannot be revived, and the newest version cannot be retired.
        #expect(throws: KeyringError.invalidArgumentCode) { try cli.retire(.records, below: 1) }
        #expect(throws: KeyringError.invalidArgumentCode) { try cli.retire(.records, below: 3) }
    }

    @Test("an older key ring put back on disk is refused by a running key ring")
    func rollbackRefusedOnRefresh() throws {
        let keys = try TestKeys()
        let before = try Data(contentsOf: URL(fileURLWithPath: keys.directory.keyRingPath))
        let cli = try Keyring.open(keys.directory)
        try cli.rotate(.records)
        try cli.retire(.records, below: 2)
        #expect(keys.keyring.refreshIfChanged())
        try before.write(to: URL(fileURLWithPath: keys.directory.keyRingPath))
        #expect(!keys.keyring.refreshIfChanged())
        #expect(keys.keyring.lastRefreshError == KeyringError.rolledBackCode)
        #expect(throws: KeyringError.retiredKeyCode) { try keys.keyring.key(.records, version: 1) }
    }

    @Test("root rotation rewraps every key and the signing key; no key changes, the old root file is gone")
    func rootRotation() throws {
        let keys = try TestKeys()
        try keys.keyring.rotate(.records)
        let before = try allKeys(keys.keyring)
        let signing = try keys.keyring.auditSigningKeyPair().publicKey
        let oldRootFile = try Data(contentsOf: URL(fileURLWithPath: keys.directory.rootKeyPath))
        let oldID = keys.keyring.rootKeyID
        let rotated = try keys.keyring.rotateRoot(to: .plain)
        #expect(rotated.rootKeyID != oldID)
        #expect(try Data(contentsOf: URL(fileURLWithPath: keys.directory.rootKeyPath)) != oldRootFile)
        #expect(try leftovers(keys.directory).isEmpty)
        for reopened in [rotated, try Keyring.open(keys.directory)] {
            #expect(try allKeys(reopened) == before)
            #expect(try reopened.auditSigningKeyPair().publicKey == signing)
            #expect(reopened.rootKeyID == rotated.rootKeyID)
        }
        // The old root key no longer opens the key ring.
        try oldRootFile.write(to: URL(fileURLWithPath: keys.directory.rootKeyPath))
        #expect(throws: KeyringError.rootKeyMismatchCode) { try Keyring.open(keys.directory) }
    }

    @Test("root rotation interrupted at any step leaves a directory that opens with the same keys", arguments: RootRotationStep.allCases)
    func rootRotationCrash(at step: RootRotationStep) throws {
        let keys = try TestKeys()
        try keys.keyring.rotate(.records)
        try keys.keyring.rotate(.index)
        let before = try allKeys(keys.keyring)
        let signing = try keys.keyring.auditSigningKeyPair().publicKey
        let oldID = keys.keyring.rootKeyID
        #expect(throws: SimulatedCrash.self) {
            _ = try keys.keyring.rotateRoot(to: .plain) { if $0 == step { throw SimulatedCrash() } }
        }
        let recovered = try Keyring.open(keys.directory)
        #expect(try allKeys(recovered) == before)
        #expect(try recovered.auditSigningKeyPair().publicKey == signing)
        let committed = RootRotationStep.allCases.firstIndex(of: step)! > RootRotationStep.allCases.firstIndex(of: .commit)!
        #expect((recovered.rootKeyID != oldID) == committed)
        #expect(try leftovers(keys.directory).isEmpty)
        // The recovered directory is fully usable: another rotation of each kind works.
        #expect(try recovered.rotate(.records) == 3)
        let again = try recovered.rotateRoot(to: .plain)
        #expect(try again.key(.records, version: 1) == before["records@1"]!)
    }

    @Test("a crash during recovery is recovered the same way")
    func crashDuringRecovery() throws {
        let keys = try TestKeys()
        let before = try allKeys(keys.keyring)
        #expect(throws: SimulatedCrash.self) {
            _ = try keys.keyring.rotateRoot(to: .plain) { if $0 == .installKeyRing { throw SimulatedCrash() } }
        }
        // needsPassphrase and open both look at the committed root while the switch is unfinished.
        #expect(try Keyring.needsPassphrase(keys.directory) == false)
        #expect(try allKeys(Keyring.open(keys.directory)) == before)
    }

    @Test("root rotation keeps passphrase protection, with the same or a new passphrase")
    func passphraseProtectionKept() throws {
        let temp = TemporaryDirectory()
        let directory = KeyDirectory(path: temp.appending("Keys"))
        let old = Array("old correct horse".utf8), new = Array("new battery staple".utf8)
        let keyring = try Keyring.create(in: directory, protection: .passphrase(old, limits: .minimumForTesting)) { "k+" + $0.hexString }
        let before = try allKeys(keyring)
        #expect(throws: SimulatedCrash.self) {
            _ = try keyring.rotateRoot(to: .passphrase(new, limits: .minimumForTesting)) { if $0 == .installRootKey { throw SimulatedCrash() } }
        }
        // Committed with a new passphrase: only the new one finishes the switch.
        #expect(try Keyring.needsPassphrase(directory))
        #expect(throws: KeyringError.rotationPendingCode) { try Keyring.open(directory, passphrase: old) }
        let recovered = try Keyring.open(directory, passphrase: new)
        #expect(try allKeys(recovered) == before)
        let same = try recovered.rotateRoot(to: .passphrase(new, limits: .minimumForTesting))
        #expect(try Keyring.needsPassphrase(directory))
        #expect(throws: KeyringError.wrongPassphraseCode) { try Keyring.open(directory, passphrase: old) }
        #expect(try allKeys(Keyring.open(directory, passphrase: new)) == before)
        _ = same
    }

    @Test("a staged audit signing key is installed or discarded, and blocks a root rotation meanwhile")
    func auditSigningKeyStaging() throws {
        let keys = try TestKeys()
        let old = try keys.keyring.auditSigningKeyPair().publicKey
        let staged = try keys.keyring.stageAuditSigningKey()
        #expect(try keys.keyring.pendingAuditSigningKeyPair()?.publicKey == staged.publicKey)
        #expect(throws: KeyringError.rotationPendingCode) { _ = try keys.keyring.rotateRoot(to: .plain) }
        try keys.keyring.discardPendingAuditSigningKey()
        #expect(try keys.keyring.pendingAuditSigningKeyPair() == nil)
        #expect(try keys.keyring.auditSigningKeyPair().publicKey == old)
        let next = try keys.keyring.stageAuditSigningKey()
        try keys.keyring.installPendingAuditSigningKey()
        #expect(try Keyring.open(keys.directory).auditSigningKeyPair().publicKey == next.publicKey)
        #expect(try leftovers(keys.directory).isEmpty)
    }
}

import Sodium

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One step of a root key rotation, in the order they run. Tests inject a failure before any of them to prove that
/// a crash there leaves a key directory that opens with the right keys.
public enum RootRotationStep: String, CaseIterable, Sendable {
    /// Write the new root key to `root.key.next`.
    case stageRootKey
    /// Write the key ring, every entry rewrapped under the new root, to `keyring.json.next`.
    case stageKeyRing
    /// Write the audit signing key, rewrapped, to `audit-signing.key.next`.
    case stageAuditSigningKey
    /// Write `root-rotation.commit` (the new root key id). Before it the rotation is discarded on open; after it, finished.
    case commit
    /// Rename `keyring.json.next` over `keyring.json`.
    case installKeyRing
    /// Rename `audit-signing.key.next` over `audit-signing.key`.
    case installAuditSigningKey
    /// Hard-link the old `root.key` to `root.key.old`, so its bytes can be overwritten after the switch.
    case keepOldRootForDestruction
    /// Rename `root.key.next` over `root.key`.
    case installRootKey
    /// Overwrite `root.key.old` with zeros, fsync, unlink.
    case destroyOldRoot
    /// Remove the commit marker.
    case finish
}

/// The file protocol of a root key rotation and its recovery.
///
/// Every new file is first written beside the old one as `<name>.next` (temporary file, fsync, rename, directory
/// fsync). The commit point is the marker file `root-rotation.commit`. On open, under the directory lock:
/// - no marker: the rotation never committed; the `.next` files are destroyed and the old root key stays in force;
/// - marker: every `.next` file is renamed into place (those already renamed are skipped), the old root key file is
///   overwritten and unlinked, and the marker removed. Each of these is idempotent, so a crash during recovery is
///   recovered the same way.
enum RootRotation {
    static let nextSuffix = ".next"
    static let markerName = "root-rotation.commit"
    static let oldRootName = "root.key.old"

    static func marker(_ directory: KeyDirectory) -> String { directory.file(markerName) }
    static func next(_ path: String) -> String { path + nextSuffix }
    static func oldRoot(_ directory: KeyDirectory) -> String { directory.file(oldRootName) }

    /// The files a rotation replaces, in the order they are installed (the root key last).
    static func rewrappedFiles(_ directory: KeyDirectory) -> [String] {
        [directory.keyRingPath, directory.auditSigningKeyPath]
    }

    /// The root key file that holds the root in force: `root.key.next` once a rotation has committed but not finished.
    static func effectiveRootKeyPath(_ directory: KeyDirectory) -> String {
        if SecureFile.exists(marker(directory)) && SecureFile.exists(next(directory.rootKeyPath)) {
            return next(directory.rootKeyPath)
        }
        return directory.rootKeyPath
    }

    static func isPending(_ directory: KeyDirectory) -> Bool {
        SecureFile.exists(marker(directory)) || SecureFile.exists(oldRoot(directory))
            || ([directory.rootKeyPath] + rewrappedFiles(directory)).contains { SecureFile.exists(next($0)) }
    }

    /// Settles an interrupted rotation, if there is one (see the type's documentation).
    static func recoverIfNeeded(_ directory: KeyDirectory, passphrase: [UInt8]?) throws {
        guard isPending(directory) else { return }
        try DirectoryLock.withExclusive(directory) {
            guard isPending(directory) else { return }
            if SecureFile.exists(marker(directory)) {
                try rollForward(directory, passphrase: passphrase, beforeStep: { _ in })
            } else {
                for path in [directory.rootKeyPath] + rewrappedFiles(directory) { try destroy(next(path)) }
                try destroy(oldRoot(directory))
            }
        }
    }

    /// Installs the staged files. Runs after the commit marker is durable, during a rotation or on recovery.
    static func rollForward(
        _ directory: KeyDirectory, passphrase: [UInt8]?, knownRoot: SecretBytes? = nil, beforeStep: (RootRotationStep) throws -> Void
    ) throws {
        let markerText = String(decoding: try SecureFile.readChecked(marker(directory)), as: UTF8.self)
        let expectedRootID = markerText.split(separator: "\n").first.map(String.init) ?? ""
        // The staged key ring must belong to the committed root before anything is renamed.
        let rootPath = effectiveRootKeyPath(directory)
        var rootBytes = try SecureFile.readChecked(rootPath)
        defer { SecretBytes.wipe(&rootBytes) }
        let newRoot: SecretBytes
        do {
            newRoot = try knownRoot ?? RootKeyFile.decode(rootBytes, path: rootPath, passphrase: passphrase)
        } catch let error as KeyringError where error == KeyringError.wrongPassphraseCode || error == KeyringError.passphraseRequiredCode {
            throw KeyringError.rotationPending(
                "the new root key in \(rootPath) needs its passphrase (the new one, if the rotation changed it); open again with it")
        }
        guard try Keyring.rootKeyID(newRoot) == expectedRootID else {
            throw KeyringError.rotationPending("\(rootPath) is not the root key named in \(marker(directory)); restore Keys/ from the key backup")
        }
        let keyRingPath = SecureFile.exists(next(directory.keyRingPath)) ? next(directory.keyRingPath) : directory.keyRingPath
        _ = try Keyring.readVerifiedDocument(directory, root: newRoot, macKey: try Keyring.macKey(for: newRoot), path: keyRingPath)

        try beforeStep(.installKeyRing)
        try install(next(directory.keyRingPath), as: directory.keyRingPath)
        try beforeStep(.installAuditSigningKey)
        try install(next(directory.auditSigningKeyPath), as: directory.auditSigningKeyPath)
        if SecureFile.exists(next(directory.rootKeyPath)) {
            try beforeStep(.keepOldRootForDestruction)
            if !SecureFile.exists(oldRoot(directory)) {
                guard link(directory.rootKeyPath, oldRoot(directory)) == 0 else {
                    throw KeyringError.io("linking \(directory.rootKeyPath) to \(oldRoot(directory))", errno: errno)
                }
                try SecureFile.syncDirectory(directory.path)
            }
            try beforeStep(.installRootKey)
            try install(next(directory.rootKeyPath), as: directory.rootKeyPath)
        }
        try beforeStep(.destroyOldRoot)
        try destroy(oldRoot(directory))
        try beforeStep(.finish)
        try SecureFile.remove(marker(directory))
    }

    /// Renames `staged` over `live` when it is still there (a previous attempt may have done it already).
    static func install(_ staged: String, as live: String) throws {
        guard SecureFile.exists(staged) else { return }
        guard rename(staged, live) == 0 else { throw KeyringError.io("renaming \(staged) to \(live)", errno: errno) }
        try SecureFile.syncDirectory(SecureFile.parentDirectory(of: live))
    }

    /// Overwrites a key file with zeros, fsyncs it, then unlinks it. Missing files are fine.
    ///
    /// On copy-on-write or journalling file systems and SSDs the old blocks may survive the overwrite; the
    /// documentation says so and recommends an encrypted volume for `Keys/`.
    static func destroy(_ path: String) throws {
        guard SecureFile.exists(path) else { return }
        let fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
        if fd >= 0 {
            var info = stat()
            if fstat(fd, &info) == 0, info.st_size > 0 {
                let zeros = [UInt8](repeating: 0, count: Int(info.st_size))
                _ = zeros.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
                _ = fsync(fd)
            }
            close(fd)
        }
        try SecureFile.remove(path)
    }
}

extension Keyring {
    /// Replaces the root key: every key in the key ring and the audit signing key are rewrapped under a new random
    /// root key; no record is re-encrypted and every data key keeps its bytes, id and version.
    ///
    /// Crash-safe: new files are staged as `.next`, then a commit marker is written, then they are renamed into
    /// place, and only then is the old root key file overwritten and unlinked. Opening the directory after a crash
    /// at any point finishes or discards the rotation (see ``RootRotationStep``), so there is always exactly one
    /// working root key.
    ///
    /// - Parameters:
    ///   - protection: how the new root key file is protected (keep the passphrase protection the old one had).
    ///   - beforeStep: called before each step; tests throw from it to simulate a crash at that point.
    /// - Returns: the key ring under the new root key. This instance follows the rotation too on its next refresh
    ///   (as any other process with the key directory does), but the returned one is ready at once.
    public func rotateRoot(
        to protection: RootKeyProtection, beforeStep: (RootRotationStep) throws -> Void = { _ in }
    ) throws -> Keyring {
        try DirectoryLock.withExclusive(directory) {
            // Settle anything left over and start from the key ring on disk, verified under the root in force.
            if RootRotation.isPending(directory) {
                throw KeyringError.rotationPending("an earlier root rotation was interrupted; open the key directory once to settle it, then rotate again")
            }
            guard !SecureFile.exists(pendingAuditSigningKeyPath) else {
                throw KeyringError.rotationPending("an audit signing key rotation is unfinished (\(pendingAuditSigningKeyPath)); finish it with `strongroom keys rotate --audit-signing` first")
            }
            // Start from the key ring on disk, under the root in force (following one rotated by another process).
            try refresh(strict: true, directoryLocked: true)
            let (root, macKey) = state.withLock { ($0.rootMaterial.key, $0.rootMaterial.macKey) }
            let (current, _) = try Self.readVerifiedDocument(directory, root: root, macKey: macKey)
            let signingFile = try SecureFile.readChecked(directory.auditSigningKeyPath)
            let signingKey = try AuditSigningKeyFile.decode(signingFile, root: root, path: directory.auditSigningKeyPath)

            let newRoot = try SecretBytes(randomCount: 32)
            let newMacKey = try Self.macKey(for: newRoot)
            var body = current.body
            body.rootKeyID = try Self.rootKeyID(newRoot)
            body.keys = try current.body.keys.map { entry in
                let key = try Self.unwrap(entry, root: root, path: directory.keyRingPath)
                let newNonce = XChaCha20Poly1305.randomNonce()
                var rewrapped = entry
                rewrapped.nonce = newNonce.hexString
                rewrapped.wrapped = try XChaCha20Poly1305.wrap(
                    key, key: newRoot, nonce: newNonce, associatedData: Self.wrapContext(KeyID(rawValue: entry.id), entry.version)
                ).hexString
                return rewrapped
            }
            let document = try KeyRingDocument.sealed(body, macKey: newMacKey)

            try beforeStep(.stageRootKey)
            try SecureFile.writeAtomically(try RootKeyFile.encode(newRoot, protection: protection), to: RootRotation.next(directory.rootKeyPath))
            try beforeStep(.stageKeyRing)
            try SecureFile.writeAtomically(try document.encoded(), to: RootRotation.next(directory.keyRingPath))
            try beforeStep(.stageAuditSigningKey)
            try SecureFile.writeAtomically(
                try AuditSigningKeyFile.encode(signingKey, root: newRoot), to: RootRotation.next(directory.auditSigningKeyPath))
            try beforeStep(.commit)
            try SecureFile.writeAtomically(Array((body.rootKeyID + "\n").utf8), to: RootRotation.marker(directory))
            try RootRotation.rollForward(directory, passphrase: nil, knownRoot: newRoot, beforeStep: beforeStep)
            var retained: SecretBytes?
            if case .passphrase(let passphrase, _) = protection { retained = try passphrase.withUnsafeBytes { try SecretBytes(copying: $0) } }
            return try Keyring(
                directory: directory, root: newRoot, document: document, stamp: FileStamp(path: directory.keyRingPath),
                refreshInterval: refreshInterval, passphrase: retained)
        }
    }

    /// Whether the root key file is passphrase-protected.
    public var rootKeyIsPassphraseProtected: Bool {
        (try? SecureFile.readChecked(directory.rootKeyPath)).map(RootKeyFile.isPassphraseProtected) ?? false
    }
}

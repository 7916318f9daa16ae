import Sodium

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension Keyring {
    /// Re-reads `keyring.json` if it changed on disk since this key ring read it, so a running server picks up a
    /// rotation (new seals use the new version) or a retirement (the retired version fails closed) made by the CLI.
    ///
    /// The new document must carry a valid MAC and only move forward: every version this process knows must still be
    /// there with the same key bytes, and no minimum version may go down. After a root rotation made by another
    /// process, the new root key is loaded from the key directory (with the passphrase this key ring was opened with,
    /// when the root key is passphrase-protected) and must be the one the document names; every key this process
    /// knows must unwrap under it to the very same bytes. Otherwise the new document is refused, the one in force
    /// stays, and ``lastRefreshError`` says why (a root rotation that changed the passphrase, for example, needs a
    /// restart with the new passphrase).
    ///
    /// - Returns: whether a new document was taken into use.
    @discardableResult
    public func refreshIfChanged() -> Bool {
        (try? refresh()) ?? false
    }

    /// Why the last refresh of the key ring from disk was refused, or `nil`.
    public var lastRefreshError: KeyringError? { state.withLock { $0.refreshError } }

    /// Refreshes at most once per ``refreshInterval``: a `stat` on the hot path, nothing more.
    func refreshIfDue() {
        let now = ContinuousClock.now
        let interval = refreshInterval
        let due = state.withLock { state -> Bool in
            guard state.refreshIsDue(at: now, interval: interval) else { return false }
            state.lastCheck = now
            return true
        }
        if due { _ = try? refresh() }
    }

    /// - Parameters:
    ///   - strict: throw instead of keeping the old document when the file on disk is refused.
    ///   - directoryLocked: the caller holds the key directory's lock already.
    @discardableResult
    func refresh(strict: Bool = false, directoryLocked: Bool = false) throws -> Bool {
        let onDisk = FileStamp(path: directory.keyRingPath)
        // Strict callers are about to write the key ring: they always re-read it, whatever the stamp says.
        let unchanged = !strict && state.withLock { $0.stamp != nil && $0.stamp == onDisk }
        if unchanged { return false }
        do {
            var root = state.withLock { $0.rootMaterial }
            var document: KeyRingDocument
            var stamp: FileStamp?
            do {
                (document, stamp) = try Self.readVerifiedDocument(directory, root: root.key, macKey: root.macKey)
            } catch let error as KeyringError where error == KeyringError.rootKeyMismatchCode {
                // Another process rotated the root key: load the new one, under the lock so the files agree.
                (root, document, stamp) = try directoryLocked
                    ? loadRotatedRoot() : DirectoryLock.withExclusive(directory) { try loadRotatedRoot() }
            }
            try state.withLock { state in
                // Another thread may have taken this very file into use meanwhile.
                if !strict, let stamp, state.stamp == stamp { return }
                try Self.checkMovesForward(
                    from: state.document.body, under: state.rootMaterial, to: document.body, under: root, path: directory.keyRingPath)
                state.rootMaterial = root
                state.update { $0 = document }
                state.stamp = stamp
                state.refreshError = nil
                state.dropCached { $0.version < (document.body.minimumVersions[$0.id.rawValue] ?? 1) }
            }
            return true
        } catch {
            let refused = error as? KeyringError ?? KeyringError.io("reading \(directory.keyRingPath)", errno: 0)
            state.withLock {
                $0.refreshError = refused
                $0.stamp = onDisk
            }
            if strict { throw refused }
            return false
        }
    }

    /// The root key now in the key directory with the key ring it opens, after a root rotation by another process.
    /// The caller holds the directory lock, so no rotation is half done (a committed but unfinished one is read
    /// through its staged root key, as ``Keyring/open(_:passphrase:)`` would).
    private func loadRotatedRoot() throws -> (RootMaterial, KeyRingDocument, FileStamp?) {
        let path = RootRotation.effectiveRootKeyPath(directory)
        var bytes = try SecureFile.readChecked(path)
        defer { SecretBytes.wipe(&bytes) }
        var passphraseBytes = passphrase?.withUnsafeBytes { [UInt8]($0) }
        defer { if passphraseBytes != nil { SecretBytes.wipe(&passphraseBytes!) } }
        let key: SecretBytes
        do {
            key = try RootKeyFile.decode(bytes, path: path, passphrase: passphraseBytes)
        } catch let error as KeyringError where error == KeyringError.passphraseRequiredCode || error == KeyringError.wrongPassphraseCode {
            throw KeyringError.rootRotatedElsewhere(
                "the new root key in \(path) does not open with the passphrase this process was started with; restart it with the new passphrase")
        }
        let root = try RootMaterial(key)
        let (document, stamp) = try Self.readVerifiedDocument(directory, root: root.key, macKey: root.macKey)
        return (root, document, stamp)
    }

    /// Refuses a key ring that does not extend the one in force: a version missing or with other key bytes (compared
    /// unwrapped when the root key changed, since every entry is then rewrapped), or a minimum version that went down.
    static func checkMovesForward(
        from old: KeyRingDocument.Body, under oldRoot: RootMaterial, to new: KeyRingDocument.Body, under newRoot: RootMaterial,
        path: String
    ) throws {
        if oldRoot.id == newRoot.id {
            for entry in old.keys where !new.keys.contains(entry) {
                throw KeyringError.rolledBack(path, "key \(entry.id) version \(entry.version) is missing or changed")
            }
        } else {
            for entry in old.keys {
                guard let match = new.keys.first(where: { $0.id == entry.id && $0.version == entry.version }),
                    match.createdMillis == entry.createdMillis,
                    try unwrap(match, root: newRoot.key, path: path) == unwrap(entry, root: oldRoot.key, path: path)
                else {
                    throw KeyringError.rolledBack(path, "key \(entry.id) version \(entry.version) is missing or changed across the root rotation")
                }
            }
        }
        for (id, minimum) in old.minimumVersions where (new.minimumVersions[id] ?? 1) < minimum {
            throw KeyringError.rolledBack(path, "the minimum version of \(id) went down from \(minimum)")
        }
    }

    // MARK: - Retiring

    /// Sets the minimum decryption version of `id`: versions below `version` are retired, and data still sealed under
    /// them fails closed (``KeyringError/retiredKeyCode``) until it is rewrapped. A retired version cannot be revived.
    ///
    /// - Throws: ``KeyringError`` when `version` is above the newest version (new seals would have no key) or below
    ///   the minimum already in force.
    /// - Returns: the previous minimum version.
    @discardableResult
    public func retire(_ id: KeyID, below version: UInt32) throws -> UInt32 {
        try DirectoryLock.withExclusive(directory) {
            try refresh(strict: true, directoryLocked: true)
            let previous = try state.withLock { state -> UInt32 in
                guard let newest = state.newest[id.rawValue] else { throw KeyringError.unknownKey(id.rawValue, nil) }
                let previous = state.document.body.minimumVersions[id.rawValue] ?? 1
                guard version <= newest else {
                    throw KeyringError.invalidArgument(
                        "cannot retire every version of \(id): the newest is \(newest), so --below must be at most \(newest)")
                }
                guard version >= previous else {
                    throw KeyringError.invalidArgument(
                        "versions of \(id) below \(previous) are already retired, and a retired version cannot be revived")
                }
                state.update { $0.body.minimumVersions[id.rawValue] = version }
                state.dropCached { $0.id == id && $0.version < version }
                return previous
            }
            try persist()
            return previous
        }
    }

    /// The minimum decryption version of `id` (1 when nothing was retired).
    public func minimumVersion(_ id: KeyID) -> UInt32 {
        state.withLock { $0.document.body.minimumVersions[id.rawValue] ?? 1 }
    }
}

extension Keyring {
    /// The root key's id (a fingerprint: first 8 bytes of a keyed BLAKE2b of a constant), for audit entries and
    /// status. It reveals nothing about the key.
    public var rootKeyID: String { state.withLock { $0.document.body.rootKeyID } }
}

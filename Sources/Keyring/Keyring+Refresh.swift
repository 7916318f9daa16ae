#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension Keyring {
    /// Re-reads `keyring.json` if it changed on disk since this key ring read it, so a running server picks up a
    /// rotation (new seals use the new version) or a retirement (the retired version fails closed) made by the CLI.
    ///
    /// The new document must be under the same root key, carry a valid MAC, and only move forward: every version
    /// this process knows must still be there, wrapped identically, and no minimum version may go down. Otherwise
    /// it is refused, the document in force stays, and ``lastRefreshError`` says why (after a root rotation, for
    /// example, the server must be restarted to load the new root key).
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
        let due = state.withLock { state -> Bool in
            let now = ContinuousClock.now
            if let last = state.lastCheck, now - last < refreshInterval { return false }
            state.lastCheck = now
            return true
        }
        if due { _ = try? refresh() }
    }

    /// - Parameter strict: throw instead of keeping the old document when the file on disk is refused.
    @discardableResult
    func refresh(strict: Bool = false) throws -> Bool {
        let onDisk = FileStamp(path: directory.keyRingPath)
        // Strict callers are about to write the key ring: they always re-read it, whatever the stamp says.
        let unchanged = !strict && state.withLock { $0.stamp != nil && $0.stamp == onDisk }
        if unchanged { return false }
        do {
            let (document, stamp) = try Self.readVerifiedDocument(directory, root: root, macKey: macKey)
            try state.withLock { state in
                try Self.checkMovesForward(from: state.document.body, to: document.body, path: directory.keyRingPath)
                state.document = document
                state.stamp = stamp
                state.refreshError = nil
                for cached in state.cache.keys where cached.version < (document.body.minimumVersions[cached.id.rawValue] ?? 1) {
                    state.cache[cached] = nil
                }
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

    static func checkMovesForward(from old: KeyRingDocument.Body, to new: KeyRingDocument.Body, path: String) throws {
        for entry in old.keys where !new.keys.contains(entry) {
            throw KeyringError.rolledBack(path, "key \(entry.id) version \(entry.version) is missing or changed")
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
            try refresh(strict: true)
            let previous = try state.withLock { state -> UInt32 in
                let versions = state.document.body.keys.filter { $0.id == id.rawValue }.map(\.version)
                guard let newest = versions.max() else { throw KeyringError.unknownKey(id.rawValue, nil) }
                let previous = state.document.body.minimumVersions[id.rawValue] ?? 1
                guard version <= newest else {
                    throw KeyringError.invalidArgument(
                        "cannot retire every version of \(id): the newest is \(newest), so --below must be at most \(newest)")
                }
                guard version >= previous else {
                    throw KeyringError.invalidArgument(
                        "versions of \(id) below \(previous) are already retired, and a retired version cannot be revived")
                }
                state.document.body.minimumVersions[id.rawValue] = version
                for cached in state.cache.keys where cached.id == id && cached.version < version { state.cache[cached] = nil }
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

import Sodium

extension Keyring {
    /// The staged next audit signing key: written, wrapped by the root key, before the handover entry is committed.
    var pendingAuditSigningKeyPath: String { directory.file("audit-signing.key.pending") }

    /// Generates the next audit signing key pair and stages it as `audit-signing.key.pending` (wrapped by the root
    /// key, fsynced). The signing key in force does not change until ``installPendingAuditSigningKey()``.
    ///
    /// The caller commits the signed handover entry to the log between staging and installing; if it crashes in
    /// between, it settles the pending key by looking at the log (the handover names the new key, or it does not).
    /// - Throws: ``KeyringError`` when a staged key already exists (settle it first) or the file cannot be written.
    public func stageAuditSigningKey() throws -> Ed25519.KeyPair {
        try DirectoryLock.withExclusive(directory) {
            guard !SecureFile.exists(pendingAuditSigningKeyPath) else {
                throw KeyringError.invalidArgument(
                    "an audit signing key is already staged in \(pendingAuditSigningKeyPath); settle it first (install or discard)")
            }
            let pair = try Ed25519.KeyPair.generate()
            try SecureFile.writeAtomically(try AuditSigningKeyFile.encode(pair.secretKey, root: root), to: pendingAuditSigningKeyPath)
            return pair
        }
    }

    /// The staged audit signing key pair, if a rotation left one.
    public func pendingAuditSigningKeyPair() throws -> Ed25519.KeyPair? {
        guard SecureFile.exists(pendingAuditSigningKeyPath) else { return nil }
        let bytes = try SecureFile.readChecked(pendingAuditSigningKeyPath)
        return try Ed25519.KeyPair(secretKey: AuditSigningKeyFile.decode(bytes, root: root, path: pendingAuditSigningKeyPath))
    }

    /// Makes the staged key the audit signing key (atomic rename; the old key file is overwritten and unlinked).
    public func installPendingAuditSigningKey() throws {
        try DirectoryLock.withExclusive(directory) {
            let previous = directory.file("audit-signing.key.previous")
            if SecureFile.exists(directory.auditSigningKeyPath) && !SecureFile.exists(previous) {
                // A second name for the old key's inode, so its bytes can be overwritten once it is replaced.
                _ = link(directory.auditSigningKeyPath, previous)
            }
            try RootRotation.install(pendingAuditSigningKeyPath, as: directory.auditSigningKeyPath)
            try RootRotation.destroy(previous)
        }
    }

    /// Destroys the staged key (the handover never committed).
    public func discardPendingAuditSigningKey() throws {
        try DirectoryLock.withExclusive(directory) { try RootRotation.destroy(pendingAuditSigningKeyPath) }
    }
}

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

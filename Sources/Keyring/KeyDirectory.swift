#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The key directory: root key, key ring, audit signing key pair. Mode 0700; every key file 0600.
public struct KeyDirectory: Sendable, Equatable {
    /// The directory's path.
    public let path: String

    public init(path: String) {
        self.path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    /// The root key (key-encryption key) file.
    public var rootKeyPath: String { file("root.key") }
    /// The key ring: every data and index key, wrapped by the root key.
    public var keyRingPath: String { file("keyring.json") }
    /// The audit signing secret key, wrapped by the root key.
    public var auditSigningKeyPath: String { file("audit-signing.key") }
    /// The audit signing public key, for auditors (not secret; mode 0644).
    public var auditPublicKeyPath: String { file("audit-signing.pub") }

    /// A path inside the directory.
    public func file(_ name: String) -> String { path + "/" + name }

    /// Written once every row of the records database carries its MAC: from then on a row without a valid MAC is
    /// refused, never authenticated afresh. It lives here, outside the database, so a database writer cannot
    /// remove it.
    public var rowIntegrityMarkerPath: String { file("row-integrity.marker") }

    /// Whether the row integrity marker exists.
    public var hasRowIntegrityMarker: Bool { SecureFile.exists(rowIntegrityMarkerPath) }

    /// Writes the row integrity marker (0600, atomically).
    public func writeRowIntegrityMarker(_ text: String) throws {
        try SecureFile.writeAtomically(Array(text.utf8), to: rowIntegrityMarkerPath)
    }

    /// The audit log as the server last signed it (size, root, chain head, frontier, key in force), signed by the key
    /// in force. Kept here, outside the database, so that a database writer cannot make the server sign a rewrite.
    public var auditSignerStatePath: String { file("audit-signer.state") }

    /// The signer state's text, or `nil` when there is none yet. Checked like every key file (owner, 0600).
    public func readAuditSignerState() throws -> String? {
        guard SecureFile.exists(auditSignerStatePath) else { return nil }
        return String(decoding: try SecureFile.readChecked(auditSignerStatePath, maximumSize: 64 * 1024), as: UTF8.self)
    }

    /// Replaces the signer state (0600, written to a temporary file, fsynced and renamed over the old one).
    public func writeAuditSignerState(_ text: String) throws {
        try SecureFile.writeAtomically(Array(text.utf8), to: auditSignerStatePath)
    }

    /// Removes the signer state (an operator's explicit re-anchoring).
    public func removeAuditSignerState() throws {
        if SecureFile.exists(auditSignerStatePath) { try SecureFile.remove(auditSignerStatePath) }
    }

    /// Whether the directory exists.
    public var exists: Bool { SecureFile.exists(path) }

    /// Whether the directory already holds a root key or key ring.
    public var holdsKeys: Bool { SecureFile.exists(rootKeyPath) || SecureFile.exists(keyRingPath) }

    /// Creates the directory with mode 0700 (and its parents), or tightens an existing empty one.
    public func create() throws {
        var built = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            built += "/" + component
            if mkdir(built, 0o700) != 0 && errno != EEXIST {
                throw KeyringError.io("creating \(built)", errno: errno)
            }
        }
        guard chmod(path, 0o700) == 0 else { throw KeyringError.io("chmod of \(path)", errno: errno) }
    }

    /// Checks that the directory exists and that no other user can write into it or list it.
    public func checkPermissions() throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { throw KeyringError.directoryMissing(path) }
            throw KeyringError.io("stat of \(path)", errno: errno)
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw KeyringError.directoryMissing(path) }
        guard info.st_mode & 0o077 == 0 else { throw KeyringError.directoryPermissions(path, mode: UInt32(info.st_mode)) }
    }
}

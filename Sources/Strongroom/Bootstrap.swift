import Keyring
import Sodium
import Storage

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Creating a Strongroom installation: keys, data directory, database.
public enum Bootstrap {
    /// What `init` created, for printing.
    public struct Report: Sendable {
        public let keyDirectory: String
        public let dataDirectory: String
        public let databasePath: String
        public let publicKeyPath: String
        public let keys: [KeyStatus]
        public let passphraseProtected: Bool

        public func render() -> String {
            var out = "Created key directory \(keyDirectory) (mode 0700)\n"
            out += "  root key          \(keyDirectory)/root.key\(passphraseProtected ? " (passphrase-protected)" : "")\n"
            out += "  key ring          \(keyDirectory)/keyring.json\n"
            out += "  audit signing key \(keyDirectory)/audit-signing.key\n"
            out += "  audit public key  \(publicKeyPath)  <- give this to auditors\n"
            for key in keys { out += "  data key          \(key.id) v\(key.version) \(key.state.rawValue)\n" }
            out += "Created database \(databasePath) (WAL, synchronous=FULL)\n"
            out += "Back up \(keyDirectory) and \(dataDirectory) to different places: keys never go in the same backup as data.\n"
            return out
        }
    }

    /// Creates the key directory and the database, refusing to overwrite existing keys unless `force`.
    public static func initialize(
        keys: KeyDirectory, dataDirectory: String, protection: RootKeyProtection, force: Bool
    ) throws -> Report {
        let keyring = try Keyring.create(in: keys, protection: protection, force: force) { publicKey in
            "strongroom-audit+" + publicKey.hexString
        }
        try createDirectory(dataDirectory)
        let database = try StrongroomDatabase(dataDirectory: dataDirectory)
        let passphraseProtected: Bool
        if case .passphrase = protection { passphraseProtected = true } else { passphraseProtected = false }
        return Report(
            keyDirectory: keys.path, dataDirectory: dataDirectory, databasePath: database.path,
            publicKeyPath: keys.auditPublicKeyPath, keys: keyring.status(), passphraseProtected: passphraseProtected)
    }

    static func createDirectory(_ path: String) throws {
        var built = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            built += "/" + component
            if mkdir(built, 0o700) != 0 && errno != EEXIST {
                throw StorageError.cannotOpen(path, cause: nil)
            }
        }
    }
}

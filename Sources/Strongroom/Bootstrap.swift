import AuditLog
import Keyring
import Sodium
import Storage


/// Creating a Strongroom installation: keys, data directory, database, and the audit log's first entry.
public enum Bootstrap {
    /// What `init` created, for printing.
    public struct Report: Sendable {
        public let keyDirectory: String
        public let dataDirectory: String
        public let databasePath: String
        public let publicKeyPath: String
        public let publicKey: String
        public let keys: [KeyStatus]
        public let passphraseProtected: Bool
        public let firstCheckpoint: String

        public func render() -> String {
            var out = "Created key directory \(keyDirectory) (mode 0700)\n"
            out += "  root key          \(keyDirectory)/root.key\(passphraseProtected ? " (passphrase-protected)" : "")\n"
            out += "  key ring          \(keyDirectory)/keyring.json\n"
            out += "  audit signing key \(keyDirectory)/audit-signing.key\n"
            out += "  audit public key  \(publicKeyPath)  <- give this to auditors\n"
            out += "                    \(publicKey)\n"
            for key in keys { out += "  data key          \(key.id) v\(key.version) \(key.state.rawValue)\n" }
            out += "Created database \(databasePath) (WAL, synchronous=FULL)\n"
            out += "The audit log begins with the creation of these keys (entry 0); first signed checkpoint:\n"
            out += firstCheckpoint.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n") + "\n"
            out += "Back up \(keyDirectory) and \(dataDirectory) to different places: keys never go in the same backup as data.\n"
            return out
        }
    }

    /// Creates the key directory and the database, refusing to overwrite existing keys unless `force`.
    /// The creation of the keys is the audit log's first entry, and a first checkpoint is signed.
    public static func initialize(
        keys: KeyDirectory, dataDirectory: String, protection: RootKeyProtection, force: Bool,
        keyName: String = StrongroomConfiguration.defaultAuditKeyName, origin: String = StrongroomConfiguration.defaultAuditOrigin
    ) throws -> Report {
        if !force, StrongroomDatabase.exists(inDataDirectory: dataDirectory) {
            throw StrongroomError.conflict(
                "database_exists",
                "the data directory \(dataDirectory) already holds a database; new keys could not read it. Use another --data path, or move the old database away first")
        }
        let keyring = try Keyring.create(in: keys, protection: protection, force: force) { publicKey in
            try AuditVerifierKey(name: keyName, publicKey: publicKey).text
        }
        try StrongroomDatabase.createDataDirectory(dataDirectory)
        let database = try StrongroomDatabase(dataDirectory: dataDirectory)
        let signer = try AuditCheckpointSigner(name: keyName, keyPair: try keyring.auditSigningKeyPair())
        let store = SQLiteAuditStore(database: database)
        let statuses = keyring.status()
        var anchor = AuditAnchor(origin: origin, genesisKey: signer.verifierKey)
        let checkpoint = try database.write { db -> SignedCheckpoint in
            _ = try store.append(
                AuditEntryDraft(
                    actor: AuditActor(id: "operator", role: "system"), action: "keys.create", target: AuditTarget(collection: "keys"),
                    decision: .allow(), purpose: "security-operations", requestID: "init", flags: [.keyOperation],
                    details: [
                        "audit_key": signer.verifierKey.text,
                        "data_keys": statuses.map { "\($0.id)@\($0.version)" }.joined(separator: ","),
                    ]),
                in: db)
            return try store.signCheckpoint(extending: &anchor, signer: { _ in signer }, in: db)
        }
        // The log as first signed, kept outside the database: from here on nothing is signed that does not extend it.
        try keys.writeAuditSignerState(try anchor.signedText(by: signer))
        let passphraseProtected: Bool
        if case .passphrase = protection { passphraseProtected = true } else { passphraseProtected = false }
        return Report(
            keyDirectory: keys.path, dataDirectory: dataDirectory, databasePath: database.path,
            publicKeyPath: keys.auditPublicKeyPath, publicKey: signer.verifierKey.text, keys: statuses,
            passphraseProtected: passphraseProtected, firstCheckpoint: checkpoint.text)
    }
}

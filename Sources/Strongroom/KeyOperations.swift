import AuditLog
import GRDB
import Keyring
import Logging
import Sodium
import Storage

import Foundation

/// Key rotation, retirement and audit signing key handover, each audited (flag `keyOperation`) and allowed to the
/// security-officer role only. Details name key ids, versions and fingerprints — never key bytes.
///
/// Works on a key ring and the records database without a catalog, so `strongroom keys …` can run while the server
/// serves: rotations (root included) and retirements reach a running server through ``Keyring/refreshIfChanged()``
/// (within a second), audit-signing handovers through the log (see SECURITY.md, "Rotation and rewrap").
public struct KeyOperations: Sendable {
    /// The one role allowed to run key operations.
    public static let role = "security-officer"

    public let keyring: Keyring
    public let database: StrongroomDatabase
    let audit: SQLiteAuditStore
    /// The subject key store, when the caller has it open; otherwise it is opened from the key directory when needed.
    let subjectKeys: SubjectKeyStore?

    public init(keyring: Keyring, database: StrongroomDatabase, subjectKeys: SubjectKeyStore? = nil) {
        self.keyring = keyring
        self.database = database
        self.audit = SQLiteAuditStore(database: database)
        self.subjectKeys = subjectKeys
    }

    /// Throws `forbidden` unless `caller` holds the security-officer role.
    static func authorize(_ caller: AuthenticatedCaller) throws {
        guard caller.roles.contains(role) else {
            throw StrongroomError.forbidden("key operations are allowed to the \(role) role only")
        }
    }

    static func draft(
        _ action: String, caller: AuthenticatedCaller, requestID: String, details: [String: String]
    ) -> AuditEntryDraft {
        AuditEntryDraft(
            actor: AuditActor(id: caller.accountID, role: caller.auditRole), action: action, target: AuditTarget(collection: "keys"),
            decision: .allow(), purpose: "security-operations", requestID: bounded(requestID, 128), flags: [.keyOperation],
            details: details)
    }

    // MARK: - Data keys

    /// Adds a new version of a data key (`records` or `index`); new seals use it at once, in this process and — within
    /// a second — in a running server. The rotation and its audit entry commit together.
    ///
    /// - Returns: the new version.
    @discardableResult
    public func rotateDataKey(_ id: KeyID, caller: AuthenticatedCaller, requestID: String) throws -> UInt32 {
        try Self.authorize(caller)
        guard id == .records || id == .index || id == SubjectKeyStore.wrappingKeyID else {
            throw StrongroomError.invalid(
                "unknown_key", "the data keys are \"records\", \"index\" and \"subjects\"; \(id.rawValue) is none of them")
        }
        let keyring = self.keyring, audit = self.audit
        return try database.write { db in
            let previous = try keyring.currentKey(id).version
            let version = try keyring.rotate(id)
            _ = try audit.append(
                Self.draft("keys.rotate", caller: caller, requestID: requestID, details: [
                    "key": id.rawValue, "kind": "data", "previous_version": String(previous), "new_version": String(version),
                ]), in: db)
            return version
        }
    }

    // MARK: - Retiring

    /// What ``retire(_:below:force:caller:requestID:)`` did.
    public struct Retirement: Sendable, Equatable {
        public let previousMinimum: UInt32
        public let minimum: UInt32
        /// Sealed fields left under the newly retired versions (non-zero only with `force`).
        public let fieldsLeft: [UInt32: Int]
    }

    /// Sets the minimum decryption version of `records`, or of `subjects` (the key that wraps shredding keys).
    ///
    /// `records`: refused while sealed fields remain under an older version, unless `force` (then those fields fail
    /// closed). `subjects`: refused while any shredding key is still wrapped by an older version — `force` does not
    /// apply, since it would make every field of those citizens unreadable; `keys rewrap` moves them first.
    /// Nothing is changed when it is refused.
    public func retire(
        _ id: KeyID, below version: UInt32, force: Bool, caller: AuthenticatedCaller, requestID: String
    ) throws -> Retirement {
        try Self.authorize(caller)
        if id == SubjectKeyStore.wrappingKeyID { return try retireWrappingKey(below: version, caller: caller, requestID: requestID) }
        guard id == .records else {
            throw StrongroomError.invalid(
                "unsupported_key",
                "only \"records\" and \"subjects\" versions can be retired: sign-in indexes use index key version 1, so retiring \"index\" would lock every account out")
        }
        let keyring = self.keyring, audit = self.audit
        return try database.write { db in
            let counts = try FieldRows.sealedCountsByKeyVersion(in: db)
            let left = counts.filter { $0.key < version && $0.value > 0 }
            if !left.isEmpty && !force {
                let list = left.sorted { $0.key < $1.key }.map { "v\($0.key): \($0.value)" }.joined(separator: ", ")
                throw StrongroomError.conflict(
                    "fields_remain",
                    "sealed fields remain under versions below \(version) (\(list)); run `strongroom keys rewrap` first, or pass --force to make them fail closed")
            }
            let previous: UInt32
            do {
                previous = try keyring.retire(id, below: version)
            } catch let error as KeyringError {
                throw StrongroomError.invalid("invalid_version", error.message)
            }
            var details = [
                "key": id.rawValue, "previous_minimum_version": String(previous), "minimum_version": String(version),
            ]
            if !left.isEmpty {
                details["forced"] = "true"
                details["fields_left"] = left.sorted { $0.key < $1.key }.map { "v\($0.key)=\($0.value)" }.joined(separator: ",")
            }
            _ = try audit.append(Self.draft("keys.retire", caller: caller, requestID: requestID, details: details), in: db)
            return Retirement(previousMinimum: previous, minimum: version, fieldsLeft: left)
        }
    }

    /// Retires old versions of the key that wraps shredding keys, once no shredding key is wrapped by them.
    private func retireWrappingKey(below version: UInt32, caller: AuthenticatedCaller, requestID: String) throws -> Retirement {
        let id = SubjectKeyStore.wrappingKeyID
        let keyring = self.keyring, audit = self.audit
        let store = try subjectKeys ?? SubjectKeyStore.existing(in: keyring.directory, keyring: keyring)
        return try database.write { db in
            let previous: UInt32
            do {
                if let store {
                    previous = try store.retireWrappingVersions(below: version)
                } else {
                    // No subject key store yet: no shredding key can be wrapped by any version.
                    previous = try keyring.retire(id, below: version)
                }
            } catch let error as KeyringError {
                throw StrongroomError.invalid("invalid_version", error.message)
            }
            _ = try audit.append(
                Self.draft("keys.retire", caller: caller, requestID: requestID, details: [
                    "key": id.rawValue, "previous_minimum_version": String(previous), "minimum_version": String(version),
                ]), in: db)
            return Retirement(previousMinimum: previous, minimum: version, fieldsLeft: [:])
        }
    }

    // MARK: - Root key

    /// Replaces the root key (see ``Keyring/rotateRoot(to:beforeStep:)``) and records it. The entry names the old and
    /// new root key ids (fingerprints), never key bytes.
    ///
    /// - Returns: the key ring under the new root; ``keyring`` must not be used afterwards.
    public func rotateRoot(
        to protection: RootKeyProtection, caller: AuthenticatedCaller, requestID: String,
        beforeStep: (RootRotationStep) throws -> Void = { _ in }
    ) throws -> Keyring {
        try Self.authorize(caller)
        let oldID = keyring.rootKeyID
        let rotated = try keyring.rotateRoot(to: protection, beforeStep: beforeStep)
        var protected = "false"
        if case .passphrase = protection { protected = "true" }
        _ = try database.write { db in
            try audit.append(
                Self.draft("keys.rotate", caller: caller, requestID: requestID, details: [
                    "key": "root", "kind": "root", "previous_root_id": oldID, "new_root_id": rotated.rootKeyID,
                    "passphrase_protected": protected, "rewrapped": rotated.status().map { "\($0.id)@\($0.version)" }.joined(separator: ",")
                        + ",audit-signing",
                ]), in: db)
        }
        return rotated
    }

    // MARK: - Audit signing key

    /// What an audit signing key rotation did.
    public struct AuditKeyRotation: Sendable {
        public let oldKey: AuditVerifierKey
        public let newKey: AuditVerifierKey
        /// The sequence number of the handover entry.
        public let handoverSeq: UInt64
        /// The first checkpoint signed by the new key.
        public let checkpoint: SignedCheckpoint
    }

    /// Replaces the audit checkpoint signing key with a handover the verifier follows:
    /// 1. the new key is staged in the key directory (wrapped by the root key);
    /// 2. one transaction: a checkpoint signed by the old key, the handover entry signed by the old key
    ///    (``AuditKeyHandover``), and a checkpoint signed by the new key;
    /// 3. the staged key is installed as `audit-signing.key`, and the new verifier key is noted (as a comment) in
    ///    `audit-signing.pub`, whose trusted first key stays as it was.
    ///
    /// A crash between 2 and 3 is settled by the next call (or ``settlePendingAuditSigningKey(keyName:)``): the
    /// staged key is installed when the log holds its handover, and destroyed otherwise.
    public func rotateAuditSigningKey(
        keyName: String, origin: String, caller: AuthenticatedCaller, requestID: String
    ) throws -> AuditKeyRotation {
        try Self.authorize(caller)
        try settlePendingAuditSigningKey(keyName: keyName)
        let oldSigner = try AuditCheckpointSigner(name: keyName, keyPair: try keyring.auditSigningKeyPair())
        let newPair = try keyring.stageAuditSigningKey()
        let newSigner = try AuditCheckpointSigner(name: keyName, keyPair: newPair)
        let audit = self.audit
        // Signs through the anchored signer: the old key's checkpoint only over a log that extends the one last
        // signed, the new key's only after it has followed the handover it just checked.
        let signer = CheckpointSignerResolver(keyring: keyring, keyName: keyName, origin: origin, store: audit, logger: Logger(label: "strongroom.keys"))
        let committed: (seq: UInt64, checkpoint: SignedCheckpoint)
        do {
            try signer.verifyCommittedLog(reader: database.pool)
            committed = try database.write { db in
                guard try signer.checkpoint(in: db) != nil else {
                    throw StrongroomError.conflict("audit_key_unavailable", "the audit signing key in force is not the installed key; settle the earlier rotation first")
                }
                var handover = AuditKeyHandover.draft(
                    from: oldSigner, to: newSigner.verifierKey, actor: AuditActor(id: caller.accountID, role: caller.auditRole),
                    requestID: bounded(requestID, 128))
                handover.target = AuditTarget(collection: "keys")
                handover.purpose = "security-operations"
                handover.details["key"] = "audit-signing"
                let entry = try audit.append(handover, in: db)
                guard let checkpoint = try signer.checkpoint(in: db), checkpoint.checkpoint.size == entry.seq + 1 else {
                    throw StrongroomError.conflict("audit_key_unavailable", "the new audit signing key could not sign the checkpoint after its handover; nothing was changed")
                }
                return (entry.seq, checkpoint)
            }
        } catch {
            try? keyring.discardPendingAuditSigningKey()
            throw error
        }
        try keyring.installPendingAuditSigningKey()
        try Self.notePublicKey(newSigner.verifierKey, handoverSeq: committed.seq, in: keyring.directory.auditPublicKeyPath)
        return AuditKeyRotation(
            oldKey: oldSigner.verifierKey, newKey: newSigner.verifierKey, handoverSeq: committed.seq, checkpoint: committed.checkpoint)
    }

    /// Installs or discards an audit signing key left staged by an interrupted rotation, by what the log says.
    ///
    /// - Returns: `true` when a staged key was installed, `false` when there was none or it was discarded.
    @discardableResult
    public func settlePendingAuditSigningKey(keyName: String) throws -> Bool {
        guard let pending = try keyring.pendingAuditSigningKeyPair() else { return false }
        let pendingKey = try AuditVerifierKey(name: keyName, publicKey: pending.publicKey)
        let audit = self.audit
        let latest = try database.readBlocking { db in
            try audit.entries(matching: AuditQuery(flags: [.checkpointKeyHandover], limit: 100_000), in: db).last
        }
        if let latest, latest.details["handover.newKey"] == pendingKey.text {
            try keyring.installPendingAuditSigningKey()
            try Self.notePublicKey(pendingKey, handoverSeq: latest.seq, in: keyring.directory.auditPublicKeyPath)
            return true
        }
        try keyring.discardPendingAuditSigningKey()
        return false
    }

    /// Appends a comment naming the new key to the public key file. The trusted key lines stay as they were: an
    /// auditor's copy of the original file still verifies, because the verifier follows handovers from it.
    static func notePublicKey(_ key: AuditVerifierKey, handoverSeq: UInt64, in path: String) throws {
        let existing = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let line = "# \(key.text) in force after the key handover at entry \(handoverSeq) (verifiers follow it from the key above)\n"
        guard !existing.contains(key.text) else { return }
        let text = existing.isEmpty || existing.hasSuffix("\n") ? existing + line : existing + "\n" + line
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    // MARK: - Reading

    /// Sealed fields per `records` key version, and blind index rows per `index` key version.
    public func counts() throws -> (sealed: [UInt32: Int], indexes: [UInt32: Int]) {
        try database.readBlocking { db in (try FieldRows.sealedCountsByKeyVersion(in: db), try FieldRows.indexCountsByKeyVersion(in: db)) }
    }
}

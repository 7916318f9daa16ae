import AuditLog
import GRDB
import Keyring
import Logging
import Storage
import Synchronization

/// Signs checkpoints, and only over a log that extends the one it last signed.
///
/// The signer keeps its anchor (``AuditAnchor``: size, root, chain head, frontier and key in force of the log it last
/// signed) in `Keys/audit-signer.state`, outside the database and signed by the key in force. Before each checkpoint
/// it re-hashes the canonical bytes of the entries added since, follows key handovers only when the key in force
/// signed them, and checks that the stored tree agrees. When the log does not extend the anchor — an entry rewritten,
/// rows deleted, the tree altered, a handover forged, the database rolled back — it signs nothing, refuses every
/// further audited operation (the store refuses appends: fail closed), raises the alarm and says how to investigate.
///
/// A security officer rotates the audit signing key from the CLI while the server runs: from the handover entry on,
/// only the new key may sign, so the signer uses the installed key file or, until the CLI has installed it, the
/// staged one. If neither is the key in force, it signs nothing and says so.
public final class CheckpointSignerResolver: Sendable {
    private let keyring: Keyring
    private let keyName: String
    private let origin: String
    private let store: SQLiteAuditStore
    private let logger: Logger
    /// Called once when the log is found not to extend the anchor (the installation writes the alarm entry).
    private let onMismatch: @Sendable (AuditAnchorMismatch) -> Void
    /// The newest anchor known good: from the state file, or extended since over checked entries.
    private let anchor = Mutex<AuditAnchor?>(nil)
    /// The mismatch found, once found: from then on nothing is signed.
    private let mismatch = Mutex<AuditAnchorMismatch?>(nil)
    /// The last signer read from the key file. If the key file cannot be read for a moment (for example while the CLI
    /// replaces it during a root rotation), this process keeps signing with the key it has while it is in force.
    private let lastInstalled = Mutex<AuditCheckpointSigner?>(nil)

    /// - Parameter onMismatch: called once when the log is found not to extend the anchor (to write the alarm).
    public init(
        keyring: Keyring, keyName: String, origin: String, store: SQLiteAuditStore, logger: Logger,
        onMismatch: @escaping @Sendable (AuditAnchorMismatch) -> Void = { _ in }
    ) {
        self.keyring = keyring
        self.keyName = keyName
        self.origin = origin
        self.store = store
        self.logger = logger
        self.onMismatch = onMismatch
    }

    /// Signs and stores a checkpoint of the log as it is in `db`'s transaction (or only when `policy` says one is due),
    /// after proving that the log extends the one last signed. The anchor file is updated once the transaction has
    /// committed. Returns `nil` when none was due or the key in force is not available here.
    ///
    /// - Throws: ``StorageError/auditLocked(_:)`` when the log does not extend the anchor (now or earlier).
    @discardableResult
    public func checkpoint(in db: Database, ifDue policy: AuditCheckpointPolicy? = nil) throws -> SignedCheckpoint? {
        try refuseIfMismatched()
        if let policy, try !store.isCheckpointDue(policy, in: db) { return nil }
        var extended = try currentAnchor()
        var signerUsed: AuditCheckpointSigner?
        let signed: SignedCheckpoint
        do {
            signed = try store.signCheckpoint(extending: &extended, signer: { key in
                guard let signer = try self.signer(for: key) else { throw KeyNotHere() }
                signerUsed = signer
                return signer
            }, in: db)
        } catch let found as AuditAnchorMismatch {
            throw record(found)
        } catch is KeyNotHere {
            logger.warning(
                "audit checkpoint not signed: the key in force is neither the installed nor the staged audit signing key; finish the key rotation (keys rotate audit-signing)")
            return nil
        }
        guard let signerUsed else { return signed }
        let text = try extended.signedText(by: signerUsed)
        let committed = extended
        db.afterNextTransaction(onCommit: { [self] db in
            // A batch may have rolled this write back to its savepoint while committing the others: keep the anchor
            // only if the log really holds what was signed.
            guard store.stillHolds(committed, in: db) else { return }
            advance(to: committed)
            let keys = keyring.directory
            do { try keys.writeAuditSignerState(text) } catch {
                logger.error(
                    "the audit signer state could not be written; the next checkpoint proves consistency from the previous one",
                    metadata: ["path": .string(keys.auditSignerStatePath), "error": .string("\(error)")])
            }
        })
        return signed
    }

    /// Proves that the committed log extends the anchor (re-hashing the entries added since on a read snapshot), so
    /// the next checkpoint's transaction has little left to check. Run at server start and before each due check.
    ///
    /// - Throws: ``StorageError/auditLocked(_:)`` when it does not; the alarm is raised and writes are refused.
    public func verifyCommittedLog(reader: any DatabaseReader) throws {
        try refuseIfMismatched()
        var extended = try currentAnchor()
        do {
            try reader.read { db in _ = try store.extend(&extended, in: db) }
        } catch let found as AuditAnchorMismatch {
            throw record(found)
        }
        advance(to: extended)
    }

    /// Keeps `newer` as the anchor unless a longer one is already known.
    private func advance(to newer: AuditAnchor) {
        anchor.withLock { current in if current.map({ $0.size <= newer.size }) ?? true { current = newer } }
    }

    /// ``verifyCommittedLog(reader:)`` for opening an installation: a mismatch is recorded (writes refused, alarm
    /// raised) rather than thrown, so read-only work and the operator's tools still open it.
    public func prepare(reader: any DatabaseReader) {
        do { try verifyCommittedLog(reader: reader) } catch {
            logger.error("audit signer state not established", metadata: ["error": .string("\(error)")])
        }
    }

    /// The mismatch found, if any (for status and tests).
    public var foundMismatch: AuditAnchorMismatch? { mismatch.withLock { $0 } }

    /// The anchor in force: the one in memory, else the state file, else — once, for a log made before the signer
    /// kept state — one adopted after verifying the whole log against `Keys/audit-signing.pub`.
    private func currentAnchor() throws -> AuditAnchor {
        if let known = anchor.withLock({ $0 }) { return known }
        let loaded = try loadOrAdopt()
        anchor.withLock { if $0 == nil { $0 = loaded } }
        return anchor.withLock { $0 } ?? loaded
    }

    private func loadOrAdopt() throws -> AuditAnchor {
        let directory = keyring.directory
        if let text = try directory.readAuditSignerState() {
            var trusted: [AuditVerifierKey] = []
            if let installed = try? installedSigner() { trusted.append(installed.verifierKey) }
            if let pending = try? keyring.pendingAuditSigningKeyPair(), let staged = try? AuditCheckpointSigner(name: keyName, keyPair: pending) {
                trusted.append(staged.verifierKey)
            }
            do {
                let loaded = try AuditAnchor(signedText: text, trusting: trusted)
                guard loaded.origin == origin else {
                    throw AuditError.malformedCheckpoint("the audit signer state is for origin \(loaded.origin), this installation signs \(origin)")
                }
                return loaded
            } catch let error as AuditError {
                let reason = "\(error.message) (\(directory.auditSignerStatePath)). Nothing will be signed; restore the file from the key backup, or after investigation re-anchor with `strongroom audit anchor --reset`"
                logger.critical("audit signer state refused", metadata: ["reason": .string(reason)])
                store.refuseAppends(reason)
                throw StorageError.auditLocked(reason)
            }
        }
        return try adopt()
    }

    /// Anchors a log that has no signer state yet: every entry re-hashed and every stored checkpoint verified against
    /// the trusted public key file, the newest of them at least covering something. The unsigned tail after the newest
    /// checkpoint is trusted as found (once, at upgrade); SECURITY.md says so.
    private func adopt() throws -> AuditAnchor {
        let size = try store.reader.read { try store.size(in: $0) }
        // An empty log has nothing to verify: it starts with the installed key.
        if size == 0 { return persisted(AuditAnchor(origin: origin, genesisKey: try installedSigner().verifierKey)) }
        let keys = try AuditVerifierKey.load(fromFile: keyring.directory.auditPublicKeyPath)
        guard let genesis = keys.first else {
            throw StorageError.auditLocked("\(keyring.directory.auditPublicKeyPath) names no key; restore it from the key backup")
        }
        let report = AuditVerifier(trustedKeys: keys, origin: origin).verify(store)
        if let failure = report.failure {
            throw record(AuditAnchorMismatch(.entryChanged, seq: failure.seq, "the log does not verify against \(keyring.directory.auditPublicKeyPath): \(failure.detail)"))
        }
        if size > 0 && report.latestVerifiedCheckpoint == nil {
            throw record(AuditAnchorMismatch(.entryChanged, seq: nil, "the log holds \(size) entries but no signed checkpoint: its checkpoints were deleted"))
        }
        var adopted = AuditAnchor(origin: origin, genesisKey: genesis)
        do {
            try store.reader.read { db in _ = try store.extend(&adopted, in: db) }
        } catch let found as AuditAnchorMismatch {
            throw record(found)
        }
        logger.notice(
            "audit signer state adopted: the log verified against the audit public key; from now on the server signs only logs that extend it",
            metadata: ["entries": .stringConvertible(adopted.size)])
        return persisted(adopted)
    }

    /// Writes an adopted anchor to the state file (signed by the key in force, when it is here), so that other
    /// processes — the CLI — prove their checkpoints from it too.
    private func persisted(_ adopted: AuditAnchor) -> AuditAnchor {
        do {
            if let signer = try signer(for: adopted.keyInForce) {
                try keyring.directory.writeAuditSignerState(try adopted.signedText(by: signer))
            }
        } catch {
            logger.warning("the adopted audit signer state could not be written", metadata: ["error": .string("\(error)")])
        }
        return adopted
    }

    private func refuseIfMismatched() throws {
        if let found = mismatch.withLock({ $0 }) { throw StorageError.auditLocked(Self.lockMessage(found)) }
    }

    /// Records the first mismatch: appends are refused, the alarm raised, the operator told.
    private func record(_ found: AuditAnchorMismatch) -> StorageError {
        let first = mismatch.withLock { current -> Bool in
            guard current == nil else { return false }
            current = found
            return true
        }
        let message = Self.lockMessage(found)
        if first {
            store.refuseAppends(message)
            logger.critical("audit log integrity failure: nothing is signed and audited operations are refused", metadata: [
                "kind": .string(found.kind.rawValue), "detail": .string(found.detail),
                "investigate": .string(Self.investigation),
            ])
            onMismatch(found)
        }
        return StorageError.auditLocked(message)
    }

    static let investigation =
        "compare the database with its last backup; run `strongroom audit verify --since` with a checkpoint saved earlier and `strongroom audit show --action integrity.alarm`; restore the database from a backup that verifies, or after investigation re-anchor with `strongroom audit anchor --reset`"

    static func lockMessage(_ found: AuditAnchorMismatch) -> String {
        "the audit log does not extend the log this server last signed (\(found.detail)); for safety the server signs nothing and refuses audited operations: \(investigation)"
    }

    private struct KeyNotHere: Error {}

    private func installedSigner() throws -> AuditCheckpointSigner {
        if let read = try? AuditCheckpointSigner(name: keyName, keyPair: try keyring.auditSigningKeyPair()) {
            lastInstalled.withLock { $0 = read }
            return read
        }
        if let cached = lastInstalled.withLock({ $0 }) { return cached }
        return try AuditCheckpointSigner(name: keyName, keyPair: try keyring.auditSigningKeyPair())
    }

    /// The signer holding `key`: the installed key, or the staged one; `nil` when neither is it.
    private func signer(for key: AuditVerifierKey) throws -> AuditCheckpointSigner? {
        let installed = try installedSigner()
        if installed.verifierKey == key { return installed }
        if let pending = try? keyring.pendingAuditSigningKeyPair() {
            let staged = try AuditCheckpointSigner(name: keyName, keyPair: pending)
            if staged.verifierKey == key { return staged }
        }
        return nil
    }
}

import AuditLog
import GRDB
import Keyring
import Storage
import Synchronization

/// Picks the key that may sign the next checkpoint: the audit signing key in force in the log itself.
///
/// A security officer rotates the audit signing key from the CLI while the server runs. From the handover entry on,
/// only the new key may sign; so before each checkpoint the server looks for handover entries it has not yet seen
/// (a range scan from the last seq it looked at) and signs with the key the latest one names — the installed key
/// file, or the staged one if the CLI has not installed it yet. If neither matches, it signs nothing and says so,
/// rather than sign a checkpoint that auditors would reject.
public final class CheckpointSignerResolver: Sendable {
    private let keyring: Keyring
    private let keyName: String
    private let origin: String
    private let store: SQLiteAuditStore
    private let seen = Mutex<(scannedSeq: Int64, keyInForce: String?)>((-1, nil))
    /// The last signer read from the key file. If the key file cannot be read for a moment (for example while the CLI
    /// replaces it during a root rotation, which the key ring follows on its next refresh), this process keeps signing
    /// with the key it has while that key is still in force.
    private let lastInstalled = Mutex<AuditCheckpointSigner?>(nil)

    init(keyring: Keyring, keyName: String, origin: String, store: SQLiteAuditStore) {
        self.keyring = keyring
        self.keyName = keyName
        self.origin = origin
        self.store = store
    }

    /// Signs and stores a checkpoint of the log as it is in `db`'s transaction, with the key in force (or when `policy`
    /// says one is due). Returns `nil` when none was due or the key in force is not available here.
    @discardableResult
    public func checkpoint(in db: Database, ifDue policy: AuditCheckpointPolicy? = nil) throws -> SignedCheckpoint? {
        guard let signer = try signer(in: db) else { return nil }
        if let policy { return try store.checkpointIfDue(policy: policy, signer: signer, origin: origin, in: db) }
        return try store.makeCheckpoint(signer: signer, origin: origin, in: db)
    }

    /// The signer for a checkpoint made in `db`'s transaction, or `nil` when the key in force is not available here.
    func signer(in db: Database) throws -> AuditCheckpointSigner? {
        let (from, known) = seen.withLock { ($0.scannedSeq, $0.keyInForce) }
        var keyInForce = known
        let handovers = try Int64.fetchAll(
            db, sql: "SELECT seq FROM audit_entry WHERE seq > ? AND action = 'audit.key-handover' ORDER BY seq", arguments: [from])
        for seq in handovers {
            if let entry = try store.entry(seq: UInt64(seq), in: db), let newKey = entry.details["handover.newKey"] {
                keyInForce = newKey
            }
        }
        let last = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM audit_entry") ?? -1
        seen.withLock { $0 = (last, keyInForce) }
        let installed: AuditCheckpointSigner
        if let read = try? AuditCheckpointSigner(name: keyName, keyPair: try keyring.auditSigningKeyPair()) {
            installed = read
            lastInstalled.withLock { $0 = read }
        } else if let cached = lastInstalled.withLock({ $0 }) {
            installed = cached
        } else {
            return nil
        }
        guard let keyInForce, installed.verifierKey.text != keyInForce else { return installed }
        if let pending = try? keyring.pendingAuditSigningKeyPair() {
            let staged = try AuditCheckpointSigner(name: keyName, keyPair: pending)
            if staged.verifierKey.text == keyInForce { return staged }
        }
        return nil
    }
}

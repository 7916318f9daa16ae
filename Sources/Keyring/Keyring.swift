import Sodium
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A data key together with its identity, as used to seal.
public struct VersionedKey: Sendable {
    public let id: KeyID
    public let version: UInt32
    public let key: SecretBytes
}

/// The key hierarchy in memory: a root key (key-encryption key) that unwraps versioned data keys on demand.
///
/// The root key and unwrapped keys live only in ``SecretBytes``. The records database never holds an unwrapped key.
public final class Keyring: Sendable {
    /// Where the keys live.
    public let directory: KeyDirectory
    let root: SecretBytes
    let macKey: SecretBytes
    let state: Mutex<State>
    /// How often ``currentKey(_:)`` looks at `keyring.json` for a rotation made by another process.
    let refreshInterval: Duration

    struct State {
        var document: KeyRingDocument
        var cache: [CacheKey: SecretBytes] = [:]
        /// Identity of the `keyring.json` file the document came from (inode, size, mtime).
        var stamp: FileStamp?
        var lastCheck: ContinuousClock.Instant?
        /// Why the last refresh from disk was refused (the previous document stays in force).
        var refreshError: KeyringError?
    }

    struct CacheKey: Hashable {
        let id: KeyID
        let version: UInt32
    }

    init(
        directory: KeyDirectory, root: SecretBytes, document: KeyRingDocument, stamp: FileStamp? = nil,
        refreshInterval: Duration = .seconds(1)
    ) throws {
        self.directory = directory
        self.root = root
        self.macKey = try Self.macKey(for: root)
        self.refreshInterval = refreshInterval
        self.state = Mutex(State(document: document, stamp: stamp, lastCheck: ContinuousClock.now))
    }

    static func macKey(for root: SecretBytes) throws -> SecretBytes {
        try BLAKE2b.deriveKey(from: root, context: Array("strongroom.keyring.mac.v1".utf8))
    }

    // MARK: - Creating and opening

    /// Creates a new key directory: root key, audit signing key pair and the first version of each data key.
    ///
    /// - Parameters:
    ///   - force: overwrite keys already there. This destroys access to everything sealed under them.
    ///   - writePublicKey: formats the audit public key for auditors (the audit log owns the format).
    /// - Throws: ``KeyringError`` when keys already exist (without `force`) or a file cannot be written.
    public static func create(
        in directory: KeyDirectory, protection: RootKeyProtection, force: Bool = false,
        now: Date = Date(), publicKeyText: ([UInt8]) throws -> String
    ) throws -> Keyring {
        if directory.holdsKeys && !force { throw KeyringError.alreadyInitialized(directory.path) }
        try directory.create()
        let root = try SecretBytes(randomCount: 32)
        let signing = try Ed25519.KeyPair.generate()
        let body = KeyRingDocument.Body(
            format: KeyRingDocument.currentFormat, rootKeyID: try rootKeyID(root), keys: [], minimumVersions: [:])
        let keyring = try Keyring(directory: directory, root: root, document: KeyRingDocument(body: body, mac: ""))
        try keyring.state.withLock { state in
            for id in [KeyID.records, .index] {
                state.document.body.keys.append(try keyring.newEntry(id, version: 1, now: now))
                state.document.body.minimumVersions[id.rawValue] = 1
            }
        }
        try SecureFile.writeAtomically(try RootKeyFile.encode(root, protection: protection), to: directory.rootKeyPath)
        try SecureFile.writeAtomically(try AuditSigningKeyFile.encode(signing.secretKey, root: root), to: directory.auditSigningKeyPath)
        try SecureFile.writeAtomically(Array((try publicKeyText(signing.publicKey) + "\n").utf8), to: directory.auditPublicKeyPath, mode: 0o644)
        try keyring.persist()
        return keyring
    }

    /// Opens an existing key directory after checking its permissions and the key ring's integrity.
    ///
    /// - Parameter passphrase: required when the root key file is passphrase-protected.
    /// - Throws: ``KeyringError`` with an actionable message for every kind of problem.
    ///
    /// A root key rotation that was interrupted is settled first (see ``rotateRoot(to:beforeStep:)``): finished when
    /// it had committed, discarded otherwise, so the directory always opens with exactly one working root key.
    public static func open(_ directory: KeyDirectory, passphrase: [UInt8]? = nil) throws -> Keyring {
        try Self.open(directory, passphrase: passphrase, refreshInterval: .seconds(1))
    }

    /// Opens an existing key directory; `refreshInterval` is how often the key ring file is checked for changes made
    /// by another process (a rotation or retirement through the CLI), at most.
    public static func open(_ directory: KeyDirectory, passphrase: [UInt8]?, refreshInterval: Duration) throws -> Keyring {
        try directory.checkPermissions()
        try RootRotation.recoverIfNeeded(directory, passphrase: passphrase)
        var rootBytes = try SecureFile.readChecked(directory.rootKeyPath)
        defer { SecretBytes.wipe(&rootBytes) }
        let root = try RootKeyFile.decode(rootBytes, path: directory.rootKeyPath, passphrase: passphrase)
        let (document, stamp) = try readVerifiedDocument(directory, root: root, macKey: try macKey(for: root))
        return try Keyring(directory: directory, root: root, document: document, stamp: stamp, refreshInterval: refreshInterval)
    }

    /// Reads `keyring.json` and checks that it belongs to `root` and that its MAC is valid.
    static func readVerifiedDocument(
        _ directory: KeyDirectory, root: SecretBytes, macKey: SecretBytes, path: String? = nil
    ) throws -> (KeyRingDocument, FileStamp?) {
        let path = path ?? directory.keyRingPath
        let stamp = FileStamp(path: path)
        let document = try KeyRingDocument.decode(try SecureFile.readChecked(path), path: path)
        guard document.body.rootKeyID == (try rootKeyID(root)) else { throw KeyringError.rootKeyMismatch }
        let expected = try BLAKE2b.hash(try KeyRingDocument.encodeBody(document.body), key: macKey, outputByteCount: 32)
        guard let stored = [UInt8](hexString: document.mac), constantTimeEquals(stored, expected) else {
            throw KeyringError.tampered(path)
        }
        return (document, stamp)
    }

    /// Whether the root key file in `directory` needs a passphrase.
    public static func needsPassphrase(_ directory: KeyDirectory) throws -> Bool {
        try directory.checkPermissions()
        return RootKeyFile.isPassphraseProtected(try SecureFile.readChecked(RootRotation.effectiveRootKeyPath(directory)))
    }

    // MARK: - Using keys

    /// The newest version of `id`, which new seals use.
    public func currentKey(_ id: KeyID) throws -> VersionedKey {
        refreshIfDue()
        let version = try state.withLock { state -> UInt32 in
            guard let newest = state.document.body.keys.filter({ $0.id == id.rawValue }).map(\.version).max() else {
                throw KeyringError.unknownKey(id.rawValue, nil)
            }
            return newest
        }
        return VersionedKey(id: id, version: version, key: try key(id, version: version))
    }

    /// The key `id` at `version`, for opening. Fails closed for retired versions.
    public func key(_ id: KeyID, version: UInt32) throws -> SecretBytes {
        refreshIfDue()
        let known = state.withLock { state in state.document.body.keys.contains { $0.id == id.rawValue && $0.version == version } }
        // A version this process has not seen may have been added by a rotation in another process.
        if !known { _ = try? refresh() }
        return try state.withLock { state in
            let cacheKey = CacheKey(id: id, version: version)
            // The minimum is checked before the cache, so a retirement read from disk fails closed at once.
            let minimum = state.document.body.minimumVersions[id.rawValue] ?? 1
            guard version >= minimum else { throw KeyringError.retired(id.rawValue, version, minimum: minimum) }
            if let cached = state.cache[cacheKey] { return cached }
            guard let entry = state.document.body.keys.first(where: { $0.id == id.rawValue && $0.version == version }) else {
                throw KeyringError.unknownKey(id.rawValue, version)
            }
            guard let nonce = [UInt8](hexString: entry.nonce), let wrapped = [UInt8](hexString: entry.wrapped) else {
                throw KeyringError.corrupt(directory.keyRingPath, "entry \(id) v\(version) is not hex")
            }
            let key: SecretBytes
            do {
                key = try XChaCha20Poly1305.unwrap(wrapped, key: root, nonce: nonce, associatedData: Self.wrapContext(id, version))
            } catch {
                throw KeyringError.tampered(directory.keyRingPath)
            }
            state.cache[cacheKey] = key
            return key
        }
    }

    /// Every key version with its state and age. Never key bytes.
    public func status() -> [KeyStatus] {
        state.withLock { state in
            let newest = Dictionary(grouping: state.document.body.keys, by: \.id).mapValues { $0.map(\.version).max() ?? 0 }
            return state.document.body.keys.map { entry in
                let minimum = state.document.body.minimumVersions[entry.id] ?? 1
                let keyState: KeyState = entry.version < minimum ? .retired : (entry.version == newest[entry.id] ? .active : .decryptOnly)
                return KeyStatus(
                    id: KeyID(rawValue: entry.id), version: entry.version,
                    createdAt: Date(timeIntervalSince1970: Double(entry.createdMillis) / 1000), state: keyState)
            }.sorted { ($0.id, $0.version) < ($1.id, $1.version) }
        }
    }

    /// The audit signing key pair, unwrapped from its file.
    public func auditSigningKeyPair() throws -> Ed25519.KeyPair {
        let bytes = try SecureFile.readChecked(directory.auditSigningKeyPath)
        return try Ed25519.KeyPair(secretKey: AuditSigningKeyFile.decode(bytes, root: root, path: directory.auditSigningKeyPath))
    }

    /// Adds a new version of `id`; new seals use it at once, older versions keep opening what they sealed.
    @discardableResult
    ///
    /// Read-modify-write under the key directory's lock: the key ring is re-read from disk first, so a rotation made
    /// meanwhile by another process (the CLI while the server runs) is never lost.
    public func rotate(_ id: KeyID, now: Date = Date()) throws -> UInt32 {
        try DirectoryLock.withExclusive(directory) {
            try refresh(strict: true)
            let version = try state.withLock { state -> UInt32 in
                let next = (state.document.body.keys.filter { $0.id == id.rawValue }.map(\.version).max() ?? 0) + 1
                state.document.body.keys.append(try newEntry(id, version: next, now: now))
                if state.document.body.minimumVersions[id.rawValue] == nil { state.document.body.minimumVersions[id.rawValue] = 1 }
                return next
            }
            try persist()
            return version
        }
    }

    // MARK: - Internals

    func newEntry(_ id: KeyID, version: UInt32, now: Date) throws -> KeyRingDocument.Entry {
        let key = try SecretBytes(randomCount: 32)
        let nonce = XChaCha20Poly1305.randomNonce()
        let wrapped = try XChaCha20Poly1305.wrap(key, key: root, nonce: nonce, associatedData: Self.wrapContext(id, version))
        return .init(
            id: id.rawValue, version: version, createdMillis: Int64((now.timeIntervalSince1970 * 1000).rounded()),
            nonce: nonce.hexString, wrapped: wrapped.hexString)
    }

    func persist() throws {
        let bytes = try state.withLock { state -> [UInt8] in
            state.document.mac = try mac(of: state.document.body).hexString
            return try state.document.encoded()
        }
        try SecureFile.writeAtomically(bytes, to: directory.keyRingPath)
        let stamp = FileStamp(path: directory.keyRingPath)
        state.withLock { $0.stamp = stamp }
    }

    func mac(of body: KeyRingDocument.Body) throws -> [UInt8] {
        try BLAKE2b.hash(try KeyRingDocument.encodeBody(body), key: macKey, outputByteCount: 32)
    }

    static func wrapContext(_ id: KeyID, _ version: UInt32) -> [UInt8] {
        Array("strongroom.data-key.v1".utf8) + [UInt8(id.rawValue.utf8.count)] + Array(id.rawValue.utf8) + bigEndian(version)
    }

    static func rootKeyID(_ root: SecretBytes) throws -> String {
        try BLAKE2b.hash(Array("strongroom.root-key.id.v1".utf8), key: root, outputByteCount: 16).prefix(8).map { $0 }.hexString
    }
}

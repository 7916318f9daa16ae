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
    let state: Mutex<State>
    /// How often ``currentKey(_:)`` looks at `keyring.json` for a rotation made by another process.
    let refreshInterval: Duration
    /// The passphrase of a passphrase-protected root key, kept (locked, wiped on release) so that a running process
    /// can load the new root key after a root rotation made by another process with the same passphrase.
    let passphrase: SecretBytes?

    /// The root key in force and the keys derived from it.
    final class RootMaterial: Sendable {
        let key: SecretBytes
        /// Authenticates `keyring.json`.
        let macKey: SecretBytes
        /// The root key's fingerprint (``Keyring/rootKeyID(_:)``).
        let id: String

        init(_ key: SecretBytes) throws {
            self.key = key
            self.macKey = try Keyring.macKey(for: key)
            self.id = try Keyring.rootKeyID(key)
        }
    }

    struct State {
        var rootMaterial: RootMaterial
        private(set) var document: KeyRingDocument
        /// The newest version of each key id in ``document``: the version new seals use.
        private(set) var newest: [String: UInt32] = [:]
        /// Unwrapped keys by id and version.
        private(set) var cache: [CacheKey: SecretBytes] = [:]
        /// The cached keys that may be used now (at or above their minimum version), built on first use after any
        /// change: the lookup on every seal and open is a short scan comparing small strings, not two hashes.
        private var usable: [UsableKey]?
        /// Identity of the `keyring.json` file the document came from (inode, size, mtime).
        var stamp: FileStamp?
        var lastCheck: ContinuousClock.Instant?
        /// Why the last refresh from disk was refused (the previous document stays in force).
        var refreshError: KeyringError?

        init(rootMaterial: RootMaterial, document: KeyRingDocument, stamp: FileStamp?, lastCheck: ContinuousClock.Instant?) {
            self.rootMaterial = rootMaterial
            self.document = document
            self.stamp = stamp
            self.lastCheck = lastCheck
            self.newest = Self.newestVersions(document.body)
        }

        struct UsableKey {
            let id: KeyID
            let version: UInt32
            let isNewest: Bool
            let key: SecretBytes
        }

        /// Changes the document in force (and what is derived from it).
        mutating func update(_ change: (inout KeyRingDocument) throws -> Void) rethrows {
            try change(&document)
            newest = Self.newestVersions(document.body)
            usable = nil
        }

        mutating func cache(_ key: SecretBytes, for cacheKey: CacheKey) {
            cache[cacheKey] = key
            usable = nil
        }

        mutating func dropCached(where shouldDrop: (CacheKey) -> Bool) {
            for cached in cache.keys where shouldDrop(cached) { cache[cached] = nil }
            usable = nil
        }

        mutating func usableKeys() -> [UsableKey] {
            if let usable { return usable }
            let built = cache.compactMap { cacheKey, key -> UsableKey? in
                guard cacheKey.version >= (document.body.minimumVersions[cacheKey.id.rawValue] ?? 1) else { return nil }
                return UsableKey(id: cacheKey.id, version: cacheKey.version, isNewest: newest[cacheKey.id.rawValue] == cacheKey.version, key: key)
            }
            usable = built
            return built
        }

        static func newestVersions(_ body: KeyRingDocument.Body) -> [String: UInt32] {
            var newest: [String: UInt32] = [:]
            for entry in body.keys { newest[entry.id] = max(newest[entry.id] ?? 0, entry.version) }
            return newest
        }

        /// Whether a look at the file on disk is due at `now`.
        func refreshIsDue(at now: ContinuousClock.Instant, interval: Duration) -> Bool {
            guard let last = lastCheck else { return true }
            return now - last >= interval
        }
    }

    struct CacheKey: Hashable {
        let id: KeyID
        let version: UInt32
    }

    /// The root key in force (it changes when this process follows a root rotation made by another one).
    var root: SecretBytes { state.withLock { $0.rootMaterial.key } }
    var macKey: SecretBytes { state.withLock { $0.rootMaterial.macKey } }

    init(
        directory: KeyDirectory, root: SecretBytes, document: KeyRingDocument, stamp: FileStamp? = nil,
        refreshInterval: Duration = .seconds(1), passphrase: SecretBytes? = nil
    ) throws {
        self.directory = directory
        self.refreshInterval = refreshInterval
        self.passphrase = passphrase
        self.state = Mutex(State(rootMaterial: try RootMaterial(root), document: document, stamp: stamp, lastCheck: ContinuousClock.now))
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
            try state.update { document in
                for id in [KeyID.records, .index] {
                    document.body.keys.append(try newEntry(id, version: 1, now: now, root: root))
                    document.body.minimumVersions[id.rawValue] = 1
                }
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
        // Kept only when it is needed, to follow a root rotation (see ``refreshIfChanged()``).
        var retained: SecretBytes?
        if RootKeyFile.isPassphraseProtected(rootBytes), let given = passphrase {
            // A guarded copy: the caller's array stays the caller's (wiping it here would also wipe any copy of it).
            retained = try given.withUnsafeBytes { try SecretBytes(copying: $0) }
        }
        let keyring = try Keyring(
            directory: directory, root: root, document: document, stamp: stamp, refreshInterval: refreshInterval, passphrase: retained)
        if document.needsUpgrade { try keyring.upgradeDocument() }
        return keyring
    }

    /// Rewrites a key ring verified in an older format (format 1: MAC over Foundation's JSON) in the current one:
    /// under the directory lock, re-read and verified again, then written atomically (temporary file, fsync, rename)
    /// with mode 0600 like every save.
    func upgradeDocument() throws {
        try DirectoryLock.withExclusive(directory) {
            try refresh(strict: true, directoryLocked: true)
            guard state.withLock({ $0.document.needsUpgrade }) else { return }
            try persist()
        }
    }

    /// Reads `keyring.json` and checks that it belongs to `root` and that its MAC is valid.
    static func readVerifiedDocument(
        _ directory: KeyDirectory, root: SecretBytes, macKey: SecretBytes, path: String? = nil
    ) throws -> (KeyRingDocument, FileStamp?) {
        let path = path ?? directory.keyRingPath
        let stamp = FileStamp(path: path)
        let document = try KeyRingDocument.decode(try SecureFile.readChecked(path), path: path)
        guard document.body.rootKeyID == (try rootKeyID(root)) else { throw KeyringError.rootKeyMismatch }
        // In the document's own format: a format 1 file (MAC over Foundation's JSON) verifies the old way.
        guard try document.hasValidMAC(macKey) else { throw KeyringError.tampered(path) }
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
        // The common case takes the lock once: no refresh due, the newest version unwrapped already.
        let now = ContinuousClock.now
        let interval = refreshInterval
        if let ready = state.withLock({ state -> VersionedKey? in
            guard !state.refreshIsDue(at: now, interval: interval) else { return nil }
            for usable in state.usableKeys() where usable.isNewest && usable.id == id {
                return VersionedKey(id: id, version: usable.version, key: usable.key)
            }
            return nil
        }) {
            return ready
        }
        refreshIfDue()
        let version = try state.withLock { state -> UInt32 in
            guard let newest = state.newest[id.rawValue] else { throw KeyringError.unknownKey(id.rawValue, nil) }
            return newest
        }
        return VersionedKey(id: id, version: version, key: try key(id, version: version))
    }

    /// The key `id` at `version`, for opening. Fails closed for retired versions.
    public func key(_ id: KeyID, version: UInt32) throws -> SecretBytes {
        let now = ContinuousClock.now
        let interval = refreshInterval
        let cacheKey = CacheKey(id: id, version: version)
        // The minimum is checked before the cache, so a retirement read from disk fails closed at once.
        if let cached = state.withLock({ state -> SecretBytes? in
            guard !state.refreshIsDue(at: now, interval: interval) else { return nil }
            for usable in state.usableKeys() where usable.version == version && usable.id == id { return usable.key }
            return nil
        }) {
            return cached
        }
        refreshIfDue()
        let known = state.withLock { state in state.document.body.keys.contains { $0.id == id.rawValue && $0.version == version } }
        // A version this process has not seen may have been added by a rotation in another process.
        if !known { _ = try? refresh() }
        return try state.withLock { state in
            let minimum = state.document.body.minimumVersions[id.rawValue] ?? 1
            guard version >= minimum else { throw KeyringError.retired(id.rawValue, version, minimum: minimum) }
            if let cached = state.cache[cacheKey] { return cached }
            guard let entry = state.document.body.keys.first(where: { $0.id == id.rawValue && $0.version == version }) else {
                throw KeyringError.unknownKey(id.rawValue, version)
            }
            let key = try Self.unwrap(entry, root: state.rootMaterial.key, path: directory.keyRingPath)
            state.cache(key, for: cacheKey)
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
        do {
            return try Ed25519.KeyPair(secretKey: AuditSigningKeyFile.decode(bytes, root: root, path: directory.auditSigningKeyPath))
        } catch {
            // After a root rotation made by another process the file is wrapped by the new root: follow it, try again.
            guard try refresh() else { throw error }
            let bytes = try SecureFile.readChecked(directory.auditSigningKeyPath)
            return try Ed25519.KeyPair(secretKey: AuditSigningKeyFile.decode(bytes, root: root, path: directory.auditSigningKeyPath))
        }
    }

    /// Adds a new version of `id`; new seals use it at once, older versions keep opening what they sealed.
    @discardableResult
    ///
    /// Read-modify-write under the key directory's lock: the key ring is re-read from disk first, so a rotation made
    /// meanwhile by another process (the CLI while the server runs) is never lost.
    public func rotate(_ id: KeyID, now: Date = Date()) throws -> UInt32 {
        try DirectoryLock.withExclusive(directory) {
            try refresh(strict: true, directoryLocked: true)
            let version = try state.withLock { state -> UInt32 in
                let next = (state.newest[id.rawValue] ?? 0) + 1
                let root = state.rootMaterial.key
                try state.update { document in
                    document.body.keys.append(try Self.newEntry(id, version: next, now: now, root: root))
                    if document.body.minimumVersions[id.rawValue] == nil { document.body.minimumVersions[id.rawValue] = 1 }
                }
                return next
            }
            try persist()
            return version
        }
    }

    // MARK: - Internals

    static func newEntry(_ id: KeyID, version: UInt32, now: Date, root: SecretBytes) throws -> KeyRingDocument.Entry {
        let key = try SecretBytes(randomCount: 32)
        let nonce = XChaCha20Poly1305.randomNonce()
        let wrapped = try XChaCha20Poly1305.wrap(key, key: root, nonce: nonce, associatedData: Self.wrapContext(id, version))
        return .init(
            id: id.rawValue, version: version, createdMillis: Int64((now.timeIntervalSince1970 * 1000).rounded()),
            nonce: nonce.hexString, wrapped: wrapped.hexString)
    }

    func persist() throws {
        let bytes = try state.withLock { state -> [UInt8] in
            let macKey = state.rootMaterial.macKey
            // Always written in the current format, so saving is also what upgrades a format 1 key ring.
            try state.update { document in
                document = try KeyRingDocument.sealed(document.body, macKey: macKey)
            }
            return try state.document.encoded()
        }
        try SecureFile.writeAtomically(bytes, to: directory.keyRingPath)
        let stamp = FileStamp(path: directory.keyRingPath)
        state.withLock { $0.stamp = stamp }
    }

    /// Unwraps one key ring entry with `root`. Any failure is reported as tampering: the entry is authenticated.
    static func unwrap(_ entry: KeyRingDocument.Entry, root: SecretBytes, path: String) throws -> SecretBytes {
        guard let nonce = [UInt8](hexString: entry.nonce), let wrapped = [UInt8](hexString: entry.wrapped) else {
            throw KeyringError.corrupt(path, "entry \(entry.id) v\(entry.version) is not hex")
        }
        do {
            return try XChaCha20Poly1305.unwrap(
                wrapped, key: root, nonce: nonce, associatedData: wrapContext(KeyID(rawValue: entry.id), entry.version))
        } catch {
            throw KeyringError.tampered(path)
        }
    }

    static func wrapContext(_ id: KeyID, _ version: UInt32) -> [UInt8] {
        Array("strongroom.data-key.v1".utf8) + [UInt8(id.rawValue.utf8.count)] + Array(id.rawValue.utf8) + bigEndian(version)
    }

    static func rootKeyID(_ root: SecretBytes) throws -> String {
        try BLAKE2b.hash(Array("strongroom.root-key.id.v1".utf8), key: root, outputByteCount: 16).prefix(8).map { $0 }.hexString
    }
}

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
    private let root: SecretBytes
    private let macKey: SecretBytes
    private let state: Mutex<State>

    private struct State {
        var document: KeyRingDocument
        var cache: [CacheKey: SecretBytes] = [:]
    }

    private struct CacheKey: Hashable {
        let id: KeyID
        let version: UInt32
    }

    private init(directory: KeyDirectory, root: SecretBytes, document: KeyRingDocument) throws {
        self.directory = directory
        self.root = root
        self.macKey = try BLAKE2b.deriveKey(from: root, context: Array("strongroom.keyring.mac.v1".utf8))
        self.state = Mutex(State(document: document))
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
    public static func open(_ directory: KeyDirectory, passphrase: [UInt8]? = nil) throws -> Keyring {
        try directory.checkPermissions()
        var rootBytes = try SecureFile.readChecked(directory.rootKeyPath)
        defer { SecretBytes.wipe(&rootBytes) }
        let root = try RootKeyFile.decode(rootBytes, path: directory.rootKeyPath, passphrase: passphrase)
        let document = try KeyRingDocument.decode(try SecureFile.readChecked(directory.keyRingPath), path: directory.keyRingPath)
        let keyring = try Keyring(directory: directory, root: root, document: document)
        guard document.body.rootKeyID == (try rootKeyID(root)) else { throw KeyringError.rootKeyMismatch }
        let expected = try keyring.mac(of: document.body)
        guard let stored = [UInt8](hexString: document.mac), constantTimeEquals(stored, expected) else {
            throw KeyringError.tampered(directory.keyRingPath)
        }
        return keyring
    }

    /// Whether the root key file in `directory` needs a passphrase.
    public static func needsPassphrase(_ directory: KeyDirectory) throws -> Bool {
        try directory.checkPermissions()
        return RootKeyFile.isPassphraseProtected(try SecureFile.readChecked(directory.rootKeyPath))
    }

    // MARK: - Using keys

    /// The newest version of `id`, which new seals use.
    public func currentKey(_ id: KeyID) throws -> VersionedKey {
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
        try state.withLock { state in
            let cacheKey = CacheKey(id: id, version: version)
            if let cached = state.cache[cacheKey] { return cached }
            let minimum = state.document.body.minimumVersions[id.rawValue] ?? 1
            guard let entry = state.document.body.keys.first(where: { $0.id == id.rawValue && $0.version == version }) else {
                throw KeyringError.unknownKey(id.rawValue, version)
            }
            guard version >= minimum else { throw KeyringError.retired(id.rawValue, version, minimum: minimum) }
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
    public func rotate(_ id: KeyID, now: Date = Date()) throws -> UInt32 {
        let version = try state.withLock { state -> UInt32 in
            let next = (state.document.body.keys.filter { $0.id == id.rawValue }.map(\.version).max() ?? 0) + 1
            state.document.body.keys.append(try newEntry(id, version: next, now: now))
            if state.document.body.minimumVersions[id.rawValue] == nil { state.document.body.minimumVersions[id.rawValue] = 1 }
            return next
        }
        try persist()
        return version
    }

    // MARK: - Internals

    private func newEntry(_ id: KeyID, version: UInt32, now: Date) throws -> KeyRingDocument.Entry {
        let key = try SecretBytes(randomCount: 32)
        let nonce = XChaCha20Poly1305.randomNonce()
        let wrapped = try XChaCha20Poly1305.wrap(key, key: root, nonce: nonce, associatedData: Self.wrapContext(id, version))
        return .init(
            id: id.rawValue, version: version, createdMillis: Int64((now.timeIntervalSince1970 * 1000).rounded()),
            nonce: nonce.hexString, wrapped: wrapped.hexString)
    }

    private func persist() throws {
        let bytes = try state.withLock { state -> [UInt8] in
            state.document.mac = try mac(of: state.document.body).hexString
            return try state.document.encoded()
        }
        try SecureFile.writeAtomically(bytes, to: directory.keyRingPath)
    }

    private func mac(of body: KeyRingDocument.Body) throws -> [UInt8] {
        try BLAKE2b.hash(try KeyRingDocument.encodeBody(body), key: macKey, outputByteCount: 32)
    }

    static func wrapContext(_ id: KeyID, _ version: UInt32) -> [UInt8] {
        Array("strongroom.data-key.v1".utf8) + [UInt8(id.rawValue.utf8.count)] + Array(id.rawValue.utf8) + bigEndian(version)
    }

    private static func rootKeyID(_ root: SecretBytes) throws -> String {
        try BLAKE2b.hash(Array("strongroom.root-key.id.v1".utf8), key: root, outputByteCount: 16).prefix(8).map { $0 }.hexString
    }
}

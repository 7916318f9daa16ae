import Keyring
import Sodium
import Synchronization

/// Seals and opens single field values, each bound to its place.
///
/// ```swift
/// let sealer = FieldSealer(keyring: keyring)
/// let sealed = try sealer.seal(Array("221B Baker Street".utf8), for: place)
/// let value = try sealer.open(sealed, at: place)
/// ```
public struct FieldSealer: Sendable {
    private let keyring: Keyring
    private let subjectKeys: (any SubjectKeyProvider)?
    private let derivedKeys = DerivedKeyCache()
    /// The data key new seals use.
    public let keyID: KeyID
    private let openObserver: (@Sendable (FieldPlace) -> Void)?

    /// - Parameter openObserver: told the place of every envelope ``open(_:at:)`` is asked to open, before it is
    ///   opened (tests count opens; `nil` in service).
    public init(
        keyring: Keyring, subjectKeys: (any SubjectKeyProvider)? = nil, keyID: KeyID = .records,
        openObserver: (@Sendable (FieldPlace) -> Void)? = nil
    ) {
        self.keyring = keyring
        self.subjectKeys = subjectKeys
        self.keyID = keyID
        self.openObserver = openObserver
    }

    /// Seals a secret (a staff member's one-time-code secret) so that it opens only at `place`: encrypted from its
    /// guarded memory, never copied to an ordinary array. The envelope is the same as ``seal(_:for:subjectKeyID:revision:)``'s.
    public func sealSecret(
        _ secret: SecretBytes, for place: FieldPlace, subjectKeyID: [UInt8]? = nil, revision: FieldRevision? = .random()
    ) throws -> [UInt8] {
        try seal(for: place, subjectKeyID: subjectKeyID, revision: revision) { key, nonce, associatedData in
            try XChaCha20Poly1305.wrap(secret, key: key, nonce: nonce, associatedData: associatedData)
        }
    }

    /// Seals `plaintext` so that it opens only at `place`.
    ///
    /// - Parameter subjectKeyID: when given, the value is also bound to that citizen's key (crypto-shredding):
    ///   the field key is BLAKE2b(key: data key, "strongroom.subject-field-key.v1" || subject key).
    ///   - revision: the write this value comes from, bound into the envelope (a fresh one by default; a rewrap passes
    ///     the old envelope's, since the value did not change). The owning record keeps it (``FieldRevisions``). `nil`
    ///     writes a version 1 envelope without one: only a rewrap of a value sealed before revisions does that.
    /// - Returns: the envelope bytes (see ``SealedEnvelope``).
    public func seal(
        _ plaintext: [UInt8], for place: FieldPlace, subjectKeyID: [UInt8]? = nil, revision: FieldRevision? = .random()
    ) throws -> [UInt8] {
        try seal(for: place, subjectKeyID: subjectKeyID, revision: revision) { key, nonce, associatedData in
            try XChaCha20Poly1305.seal(plaintext, key: key, nonce: nonce, associatedData: associatedData)
        }
    }

    private func seal(
        for place: FieldPlace, subjectKeyID: [UInt8]?, revision: FieldRevision?,
        encrypt: (SecretBytes, [UInt8], [UInt8]) throws -> [UInt8]
    ) throws -> [UInt8] {
        try place.validate()
        let dataKey: VersionedKey
        do { dataKey = try keyring.currentKey(keyID) } catch { throw SealingError.keyUnavailable(error) }
        if let subjectKeyID, subjectKeyID.count != SealedEnvelope.subjectKeyIDByteCount {
            throw SealingError.invalidPlace("a subject key id must be \(SealedEnvelope.subjectKeyIDByteCount) bytes")
        }
        let key = try fieldKey(dataKey: dataKey.key, keyID: dataKey.id.rawValue, version: dataKey.version, subjectKeyID: subjectKeyID)
        let unsealed = SealedEnvelope(
            keyID: dataKey.id.rawValue, keyVersion: dataKey.version, subjectKeyID: subjectKeyID, revision: revision,
            nonce: XChaCha20Poly1305.randomNonce(), ciphertext: [])
        let ciphertext = try encrypt(key, unsealed.nonce, try unsealed.associatedData(for: place))
        return SealedEnvelope(
            keyID: unsealed.keyID, keyVersion: unsealed.keyVersion, subjectKeyID: subjectKeyID, revision: revision,
            nonce: unsealed.nonce, ciphertext: ciphertext
        ).bytes
    }

    /// Opens an envelope sealed for `place`.
    ///
    /// - Throws: ``SealingError/authenticationFailed`` for any tampering, a wrong place or a wrong key;
    ///   ``SealingError/malformed`` for bytes that are not an envelope; `keyUnavailable` when the named key is
    ///   retired, unknown or shredded.
    public func open(_ envelope: [UInt8], at place: FieldPlace) throws -> [UInt8] {
        try open(envelope, at: place) { ciphertext, key, nonce, associatedData in
            try XChaCha20Poly1305.open(ciphertext: ciphertext, key: key, nonce: nonce, associatedData: associatedData)
        }
    }

    /// Opens an envelope made by ``sealSecret(_:for:subjectKeyID:revision:)`` (or ``seal(_:for:subjectKeyID:revision:)``)
    /// straight into guarded memory: the plaintext never lies in an ordinary array.
    ///
    /// - Throws: as ``open(_:at:)``; an empty plaintext is ``SealingError/authenticationFailed``.
    public func openSecret(_ envelope: [UInt8], at place: FieldPlace) throws -> SecretBytes {
        try open(envelope, at: place) { ciphertext, key, nonce, associatedData in
            try XChaCha20Poly1305.openSecret(ciphertext: ciphertext, key: key, nonce: nonce, associatedData: associatedData)
        }
    }

    private func open<Plaintext>(
        _ envelope: [UInt8], at place: FieldPlace,
        decrypt: (UnsafeRawBufferPointer, SecretBytes, UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Plaintext
    ) throws -> Plaintext {
        openObserver?(place)
        // Read in place: the parts are checked and used where they lie, nothing is copied but the subject key id.
        return try envelope.withUnsafeBytes { bytes in
            let layout = try SealedEnvelope.Layout(parsing: bytes)
            let dataKey: SecretBytes
            do {
                dataKey = try keyring.key(KeyID(rawValue: layout.keyID), version: layout.keyVersion)
            } catch let error as SodiumError where error == .outOfMemory {
                throw error  // a failure of this process, never "the key is gone"
            } catch {
                throw SealingError.keyUnavailable(error)
            }
            let subjectKeyID = layout.subjectKeyID.map { Array(bytes[$0]) }
            let key = try fieldKey(dataKey: dataKey, keyID: layout.keyID, version: layout.keyVersion, subjectKeyID: subjectKeyID)
            let associatedData = try SealedEnvelope.associatedData(header: UnsafeRawBufferPointer(rebasing: bytes[layout.header]), place: place)
            do {
                return try associatedData.withUnsafeBytes { associatedData in
                    try decrypt(
                        UnsafeRawBufferPointer(rebasing: bytes[layout.ciphertext]), key,
                        UnsafeRawBufferPointer(rebasing: bytes[layout.nonce]), associatedData)
                }
            } catch let error as SodiumError where error == .outOfMemory {
                throw error  // no guarded memory for the plaintext: a failure of this process, not of the envelope
            } catch {
                throw SealingError.authenticationFailed
            }
        }
    }

    /// How many field keys derived from subject keys are cached (for tests: none of an erased subject's may stay).
    var cachedFieldKeyCount: Int { derivedKeys.count }

    /// Which key version sealed an envelope (for rewrap and status), without opening it.
    public static func keyVersion(of envelope: [UInt8]) throws -> (keyID: String, version: UInt32) {
        let parsed = try SealedEnvelope(parsing: envelope)
        return (parsed.keyID, parsed.keyVersion)
    }

    private func fieldKey(dataKey: SecretBytes, keyID: String, version: UInt32, subjectKeyID: [UInt8]?) throws -> SecretBytes {
        guard let subjectKeyID else { return dataKey }
        guard let subjectKeys else {
            throw SealingError.keyUnavailable(SealingError.invalidPlace("no subject key store is configured"))
        }
        let subjectKey: SecretBytes
        // Read before the subject key: a derived key is cached only under the epoch its subject key was current in.
        let epoch = subjectKeys.cacheEpoch
        // Asking the provider every time (it caches, and follows destructions in every process) means a destroyed key
        // stops working here as soon as the provider knows.
        do {
            subjectKey = try subjectKeys.subjectKey(id: subjectKeyID)
        } catch let error as SodiumError where error == .outOfMemory {
            // Out of secure memory is an error of this process, not an erased subject: it must never read as "erased".
            throw error
        } catch {
            throw SealingError.keyUnavailable(error)
        }
        let cacheKey = DerivedKeyCache.Key(keyID: keyID, version: version, subjectKeyID: subjectKeyID)
        if let cached = derivedKeys.get(cacheKey, source: subjectKey, epoch: epoch) { return cached }
        let derived = try BLAKE2b.deriveKey(from: dataKey, context: Array("strongroom.subject-field-key.v1".utf8), secret: subjectKey)
        derivedKeys.put(cacheKey, source: subjectKey, derived: derived, epoch: epoch)
        return derived
    }
}

/// Field keys derived from (data key version, subject key), so sealing many fields of one subject derives once.
/// An entry is used only while the subject key object it came from is the one the provider still returns, and
/// everything is dropped when the provider's ``SubjectKeyProvider/cacheEpoch`` moves on (a key was destroyed), so no
/// key derived from an erased subject's key stays in memory.
final class DerivedKeyCache: Sendable {
    struct Key: Hashable {
        let keyID: String
        let version: UInt32
        let subjectKeyID: [UInt8]
    }

    private struct State {
        var entries: [Key: (source: SecretBytes, derived: SecretBytes)] = [:]
        var epoch: UInt64 = 0

        /// Follows a newer epoch (clearing everything); returns whether `epoch` is the current one.
        mutating func follow(_ epoch: UInt64) -> Bool {
            if epoch > self.epoch {
                entries.removeAll()
                self.epoch = epoch
            }
            return epoch == self.epoch
        }
    }

    private let state = Mutex<State>(State())
    /// Secure memory the cached derived keys may take (slots of ``SecretBytes``): 32 MiB, about a million keys.
    static let budgetBytes = 32 << 20
    static let maximumEntries = budgetBytes / 32

    func get(_ key: Key, source: SecretBytes, epoch: UInt64) -> SecretBytes? {
        state.withLock { state in
            guard state.follow(epoch), let entry = state.entries[key], entry.source === source else { return nil }
            return entry.derived
        }
    }

    /// Caches `derived` unless the provider's epoch moved on since `epoch` was read (the source may be destroyed).
    func put(_ key: Key, source: SecretBytes, derived: SecretBytes, epoch: UInt64) {
        state.withLock { state in
            guard state.follow(epoch) else { return }
            if state.entries.count >= Self.maximumEntries { state.entries.removeAll(keepingCapacity: true) }
            state.entries[key] = (source, derived)
        }
    }

    /// How many derived keys are cached (for tests).
    var count: Int { state.withLock { $0.entries.count } }
}

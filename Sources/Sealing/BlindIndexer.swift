import Keyring
import Sodium
import Synchronization

/// A blind index value: a keyed hash of a normalised field value, for equality search without decrypting.
public struct BlindIndex: Sendable, Hashable {
    /// The index key version that made it.
    public let keyVersion: UInt32
    /// 16 bytes of keyed BLAKE2b.
    public let bytes: [UInt8]
}

/// Computes blind indexes: BLAKE2b-128(key: per-field index key, message: normalised value).
///
/// The per-field index key is BLAKE2b(key: index key version v, "strongroom.blind-index.v1" || collection || field),
/// so equal values in different fields do not index equally, and the database alone cannot test a guess.
public final class BlindIndexer: Sendable {
    public static let byteCount = 16
    private let keyring: Keyring
    private let cache = Mutex<[CacheKey: SecretBytes]>([:])

    private struct CacheKey: Hashable {
        let version: UInt32
        let collection: String
        let field: String
    }

    public init(keyring: Keyring) { self.keyring = keyring }

    /// The index of `value` under the current index key version (for writing).
    public func index(_ value: String, normalization: Normalization, collection: String, field: String) throws -> BlindIndex {
        let current = try keyring.currentKey(.index)
        return try index(value, normalization: normalization, collection: collection, field: field, version: current.version)
    }

    /// The index of `value` under every live index key version (for searching during a rewrap).
    public func searchIndexes(_ value: String, normalization: Normalization, collection: String, field: String) throws -> [BlindIndex] {
        let live = keyring.status().filter { $0.id == .index && $0.state != .retired }.map(\.version)
        return try live.map { try index(value, normalization: normalization, collection: collection, field: field, version: $0) }
    }

    /// The index of `value` under index key `version`.
    public func index(
        _ value: String, normalization: Normalization, collection: String, field: String, version: UInt32
    ) throws -> BlindIndex {
        let key = try fieldKey(version: version, collection: collection, field: field)
        let normalised = Array(normalization.apply(value).utf8)
        return BlindIndex(keyVersion: version, bytes: try BLAKE2b.hash(normalised, key: key, outputByteCount: Self.byteCount))
    }

    private func fieldKey(version: UInt32, collection: String, field: String) throws -> SecretBytes {
        let cacheKey = CacheKey(version: version, collection: collection, field: field)
        if let cached = cache.withLock({ $0[cacheKey] }) { return cached }
        let root = try keyring.key(.index, version: version)
        var context = Array("strongroom.blind-index.v1".utf8)
        for part in [collection, field] {
            context.append(UInt8(truncatingIfNeeded: part.utf8.count))
            context += Array(part.utf8)
        }
        let derived = try BLAKE2b.deriveKey(from: root, context: context)
        cache.withLock { $0[cacheKey] = derived }
        return derived
    }
}

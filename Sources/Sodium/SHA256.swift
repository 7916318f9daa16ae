import CSodium
import Crypto

/// SHA-256.
///
/// ``hash(_:)`` uses swift-crypto, which runs on the processor's SHA extensions where present (about five times
/// faster than portable C here); ``portableHash(_:)`` is libsodium's portable implementation, kept as the
/// measured floor in benchmarks and as a cross-check in tests.
public enum SHA256Digest {
    /// Digest length: 32 bytes.
    public static let byteCount = 32

    /// The SHA-256 digest of `message`.
    public static func hash(_ message: [UInt8]) -> [UInt8] {
        message.withUnsafeBytes { Array(Crypto.SHA256.hash(data: $0)) }
    }

    /// The SHA-256 digest of raw bytes.
    public static func hash(_ message: UnsafeRawBufferPointer) -> [UInt8] {
        Array(Crypto.SHA256.hash(data: message))
    }

    /// The SHA-256 digest of a one-byte prefix followed by `message` (RFC 9162 leaf hashing).
    public static func hash(prefix: UInt8, _ message: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = Crypto.SHA256()
        withUnsafeBytes(of: prefix) { hasher.update(bufferPointer: $0) }
        hasher.update(bufferPointer: message)
        return Array(hasher.finalize())
    }

    /// The SHA-256 digest of a one-byte prefix followed by two 32-byte values (RFC 9162 interior nodes).
    public static func hash(prefix: UInt8, _ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var hasher = Crypto.SHA256()
        withUnsafeBytes(of: prefix) { hasher.update(bufferPointer: $0) }
        left.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        right.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return Array(hasher.finalize())
    }

    /// libsodium's portable SHA-256 (`crypto_hash_sha256`).
    public static func portableHash(_ message: [UInt8]) -> [UInt8] {
        SodiumLibrary.ensureInitialized()
        var output = [UInt8](repeating: 0, count: byteCount)
        withMutableBytePointer(&output) { out, _ in
            withBytePointer(message) { m, mCount in _ = crypto_hash_sha256(out, m, UInt64(mCount)) }
        }
        return output
    }
}

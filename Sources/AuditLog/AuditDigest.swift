internal import Crypto

/// A 32-byte SHA-256 value held inline, so the hot paths (append, verify, Merkle frontier) hash without a heap
/// allocation per hash. The bytes are kept in memory order; ``bytes`` converts to the public `[UInt8]` form.
package struct AuditDigest: Sendable, Hashable {
    private var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    /// All zero bytes (chain[-1]).
    package static let zero = AuditDigest()

    package init() {}

    /// Copies exactly 32 bytes; `nil` for any other length.
    package init?(_ raw: UnsafeRawBufferPointer) {
        guard raw.count == 32 else { return nil }
        withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: raw) }
    }

    /// Copies exactly 32 bytes; `nil` for any other length.
    package init?(_ bytes: [UInt8]) {
        guard let digest = bytes.withUnsafeBytes({ AuditDigest($0) }) else { return nil }
        self = digest
    }

    init(_ digest: SHA256.Digest) {
        digest.withUnsafeBytes { raw in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: raw) } }
    }

    /// The bytes, as the public API hands them out.
    package var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    package func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: storage, body)
    }

    package static func == (lhs: AuditDigest, rhs: AuditDigest) -> Bool {
        lhs.storage.0 == rhs.storage.0 && lhs.storage.1 == rhs.storage.1 && lhs.storage.2 == rhs.storage.2
            && lhs.storage.3 == rhs.storage.3
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(storage.0)
        hasher.combine(storage.1)
        hasher.combine(storage.2)
        hasher.combine(storage.3)
    }
}

extension AuditHashing {
    /// RFC 9162 leaf hash of raw canonical bytes.
    @inline(__always)
    package static func leafDigest(_ canonical: UnsafeRawBufferPointer) -> AuditDigest {
        var hasher = SHA256()
        withUnsafeBytes(of: UInt8(0x00)) { hasher.update(bufferPointer: $0) }
        hasher.update(bufferPointer: canonical)
        return AuditDigest(hasher.finalize())
    }

    /// RFC 9162 interior node hash: SHA-256(0x01 || left || right).
    @inline(__always)
    package static func nodeDigest(_ left: AuditDigest, _ right: AuditDigest) -> AuditDigest {
        var hasher = SHA256()
        withUnsafeBytes(of: UInt8(0x01)) { hasher.update(bufferPointer: $0) }
        withUnsafeBytes(of: (left, right)) { hasher.update(bufferPointer: $0) }
        return AuditDigest(hasher.finalize())
    }

    /// The next chain value: SHA-256(previous || leaf).
    @inline(__always)
    package static func chainDigest(previous: AuditDigest, leaf: AuditDigest) -> AuditDigest {
        withUnsafeBytes(of: (previous, leaf)) { AuditDigest(SHA256.hash(data: $0)) }
    }
}

import Sodium

/// The hash functions of the log, all SHA-256 (swift-crypto, hardware SHA where present).
///
/// - leaf: SHA-256(0x00 || canonical entry bytes) — RFC 9162 §2.1.1
/// - node: SHA-256(0x01 || left || right) — RFC 9162 §2.1.1
/// - chain: chain[n] = SHA-256(chain[n-1] || leaf[n]), chain[-1] = 32 zero bytes
public enum AuditHashing {
    /// Length of every hash: 32 bytes.
    public static let hashByteCount = 32

    /// chain[-1]: the value the first entry chains from.
    public static let chainSeed = [UInt8](repeating: 0, count: 32)

    /// The root of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1).
    public static let emptyTreeRoot: [UInt8] = SHA256Digest.hash([])

    /// RFC 9162 leaf hash of `data`.
    @inline(__always)
    public static func leafHash(_ data: [UInt8]) -> [UInt8] {
        data.withUnsafeBytes { leafDigest($0) }.bytes
    }

    /// RFC 9162 interior node hash.
    @inline(__always)
    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        if let left = AuditDigest(left), let right = AuditDigest(right) { return nodeDigest(left, right).bytes }
        return SHA256Digest.hash(prefix: 0x01, left, right)
    }

    /// The next chain value: SHA-256(previous || leafHash).
    @inline(__always)
    public static func chainHash(previous: [UInt8], leafHash: [UInt8]) -> [UInt8] {
        if let previous = AuditDigest(previous), let leaf = AuditDigest(leafHash) {
            return chainDigest(previous: previous, leaf: leaf).bytes
        }
        var joined = previous
        joined.append(contentsOf: leafHash)
        return SHA256Digest.hash(joined)
    }
}

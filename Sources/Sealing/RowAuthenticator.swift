import Keyring
import Sodium
import Synchronization

/// One column value in a row MAC's canonical encoding.
public enum RowValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)
    case blob([UInt8])
}

/// MACs over the rows whose content decides access (sessions, accounts, requests, messages, payments, erasure
/// requests), so that a database writer cannot mint, re-parent, unseal, approve or mark paid by SQL.
///
/// The tag is keyed BLAKE2b-256 under a key derived from the key ring's `index` key of a given version
/// (`BLAKE2b(key: index vN, "strongroom.row-mac.v1")`, domain-separated from the blind-index keys) over
///
/// ```
/// "strongroom.row.v1" || u32(len table) table || u32(len key) key || for each column:
///     tag (0 null, 1 integer, 2 text, 3 blob) || u32(len) bytes   (integers: 8 bytes, big-endian)
/// ```
///
/// and is stored as `u32 key version || 32-byte tag` (36 bytes), so rows MAC'd before an index key rotation still
/// verify while that version is live. Binding the table and the primary key means a valid row cannot be copied to
/// another key or table.
public final class RowAuthenticator: Sendable {
    /// Bytes of a stored MAC: 4 (key version) + 32 (tag).
    public static let byteCount = 36
    private let keyring: Keyring
    private let keys = Mutex<[UInt32: SecretBytes]>([:])
    private let tokenKeys = Mutex<[UInt32: SecretBytes]>([:])

    public init(keyring: Keyring) { self.keyring = keyring }

    /// The MAC of a row under the current index key version (for writing).
    public func mac(table: String, key: String, columns: [RowValue]) throws -> [UInt8] {
        let version = try keyring.currentKey(.index).version
        var out = (0..<4).map { UInt8(truncatingIfNeeded: version >> (24 - 8 * $0)) }
        out += try tag(version: version, table: table, key: key, columns: columns)
        return out
    }

    /// Whether `stored` is a valid MAC of the row. `false` for a missing, malformed or wrong MAC, or one made under a
    /// key version that is no longer available (retired).
    public func verify(_ stored: [UInt8]?, table: String, key: String, columns: [RowValue]) -> Bool {
        guard let stored, stored.count == Self.byteCount else { return false }
        let version = stored[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard let expected = try? tag(version: version, table: table, key: key, columns: columns) else { return false }
        return Self.constantTimeEqual(Array(stored[4...]), expected)
    }

    /// The key version a stored MAC names (for rewrap and status), or `nil` for a malformed MAC.
    public static func keyVersion(of stored: [UInt8]) -> UInt32? {
        guard stored.count == byteCount else { return nil }
        return stored[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    /// The keyed hash under which a session token is stored: BLAKE2b-256(key: BLAKE2b(key: index vN,
    /// "strongroom.session-token.v1"), token), under the current index key version. Without the key ring nobody can
    /// compute the stored value of a token of their own, so a database writer cannot mint a session.
    public func tokenHash(_ token: [UInt8]) throws -> [UInt8] {
        try tokenHash(token, version: try keyring.currentKey(.index).version)
    }

    /// The token's hash under the other live index key versions (sessions made before an index key rotation).
    public func olderTokenHashes(_ token: [UInt8]) throws -> [[UInt8]] {
        let current = try keyring.currentKey(.index).version
        let live = keyring.status().filter { $0.id == .index && $0.state != .retired && $0.version != current }.map(\.version)
        return try live.sorted(by: >).map { try tokenHash(token, version: $0) }
    }

    private func tokenHash(_ token: [UInt8], version: UInt32) throws -> [UInt8] {
        try BLAKE2b.hash(token, key: try tokenKey(version: version), outputByteCount: 32)
    }

    private func tag(version: UInt32, table: String, key: String, columns: [RowValue]) throws -> [UInt8] {
        var message = Array("strongroom.row.v1".utf8)
        message.reserveCapacity(128)
        func append(_ bytes: some Collection<UInt8>) {
            let count = UInt32(bytes.count)
            message += (0..<4).map { UInt8(truncatingIfNeeded: count >> (24 - 8 * $0)) }
            message += bytes
        }
        append(table.utf8)
        append(key.utf8)
        for column in columns {
            switch column {
            case .null:
                message.append(0)
                append([UInt8]())
            case .integer(let value):
                message.append(1)
                append((0..<8).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: value) >> (56 - 8 * $0)) })
            case .text(let value):
                message.append(2)
                append(value.utf8)
            case .blob(let value):
                message.append(3)
                append(value)
            }
        }
        return try BLAKE2b.hash(message, key: try macKey(version: version), outputByteCount: 32)
    }

    private func macKey(version: UInt32) throws -> SecretBytes {
        try derived(version: version, cache: keys, context: "strongroom.row-mac.v1")
    }

    private func tokenKey(version: UInt32) throws -> SecretBytes {
        try derived(version: version, cache: tokenKeys, context: "strongroom.session-token.v1")
    }

    private func derived(version: UInt32, cache: borrowing Mutex<[UInt32: SecretBytes]>, context: String) throws -> SecretBytes {
        // The index key is asked for every time (cheap) so that a retired version stops verifying at once.
        let root = try keyring.key(.index, version: version)
        if let cached = cache.withLock({ $0[version] }) { return cached }
        let key = try BLAKE2b.deriveKey(from: root, context: Array(context.utf8))
        cache.withLock { $0[version] = key }
        return key
    }

    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

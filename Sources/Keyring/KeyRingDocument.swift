#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Sodium

/// A key's identity: what it is for. Versions are numbered from 1.
public struct KeyID: RawRepresentable, Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The data-encryption key that seals personal fields.
    public static let records = KeyID(rawValue: "records")
    /// The root of the per-field blind-index keys.
    public static let index = KeyID(rawValue: "index")

    public var description: String { rawValue }
    public static func < (lhs: KeyID, rhs: KeyID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The life-cycle state of one key version.
public enum KeyState: String, Sendable, Codable {
    /// New seals use it.
    case active
    /// Still opens what it sealed, but no longer seals.
    case decryptOnly = "decrypt-only"
    /// Below the minimum decryption version: data under it fails closed.
    case retired
}

/// What `keys status` shows about one key version. Never key bytes.
public struct KeyStatus: Sendable, Codable, Equatable {
    public let id: KeyID
    public let version: UInt32
    public let createdAt: Date
    public let state: KeyState

    public init(id: KeyID, version: UInt32, createdAt: Date, state: KeyState) {
        self.id = id
        self.version = version
        self.createdAt = createdAt
        self.state = state
    }
}

/// The on-disk key ring: metadata plus each key wrapped by the root key, authenticated by a MAC under the root key.
///
/// The MAC (BLAKE2b-256 under `BLAKE2b(key: root, "strongroom.keyring.mac.v1")`) covers ``canonicalBytes(of:)``, an
/// encoding of our own (format 2). Format 1 files, written before, carry a MAC over Foundation's JSON encoding of the
/// body with sorted keys: they are still read and verified that way, and rewritten in format 2 when the key directory
/// is next opened (see ``Keyring/open(_:passphrase:refreshInterval:)``).
struct KeyRingDocument: Codable {
    struct Entry: Codable, Equatable {
        var id: String
        var version: UInt32
        var createdMillis: Int64
        var nonce: String
        var wrapped: String
    }

    struct Body: Codable, Equatable {
        var format: Int
        var rootKeyID: String
        var keys: [Entry]
        var minimumVersions: [String: UInt32]
    }

    var body: Body
    var mac: String

    /// The format written: the MAC covers ``canonicalBytes(of:)``.
    static let currentFormat = 2
    /// The format before it: the MAC covers ``legacyBytes(of:)``. Read, verified, and upgraded.
    static let legacyFormat = 1
    static let domain = Array("strongroom.keyring.v2".utf8)

    /// The bytes the format 2 MAC covers. Every string is its UTF-8 bytes after a 4-byte big-endian length; integers
    /// are big-endian (`createdMillis` as its 64-bit two's complement):
    ///
    /// ```
    /// "strongroom.keyring.v2" || u32 format || str rootKeyID || u32 count(keys)
    ///   || for each entry, in document order: str id || u32 version || u64 createdMillis || str nonce || str wrapped
    ///   || u32 count(minimumVersions) || for each, in order of the id's UTF-8 bytes: str id || u32 version
    /// ```
    ///
    /// Nothing depends on how the JSON is printed (key order, spacing, escapes); every field the key ring uses is in
    /// it, with its length, so no two different bodies encode alike.
    static func canonicalBytes(of body: Body) -> [UInt8] {
        var out = domain
        func u32(_ value: UInt32) { out += bigEndian(value) }
        func string(_ text: String) {
            u32(UInt32(truncatingIfNeeded: text.utf8.count))
            out += text.utf8
        }
        u32(UInt32(truncatingIfNeeded: body.format))
        string(body.rootKeyID)
        u32(UInt32(truncatingIfNeeded: body.keys.count))
        for entry in body.keys {
            string(entry.id)
            u32(entry.version)
            out += bigEndian(UInt64(bitPattern: entry.createdMillis))
            string(entry.nonce)
            string(entry.wrapped)
        }
        let minimums = body.minimumVersions.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
        u32(UInt32(truncatingIfNeeded: minimums.count))
        for (id, version) in minimums {
            string(id)
            u32(version)
        }
        return out
    }

    /// What a format 1 MAC covers: Foundation's JSON encoding of the body with sorted keys and no whitespace.
    static func legacyBytes(of body: Body) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(body))
    }

    /// The MAC of `body` under `macKey`, in the body's own format.
    static func mac(of body: Body, key macKey: SecretBytes) throws -> [UInt8] {
        let input = body.format == legacyFormat ? try legacyBytes(of: body) : canonicalBytes(of: body)
        return try BLAKE2b.hash(input, key: macKey, outputByteCount: 32)
    }

    /// `body` in the current format with its MAC.
    static func sealed(_ body: Body, macKey: SecretBytes) throws -> KeyRingDocument {
        var body = body
        body.format = currentFormat
        return KeyRingDocument(body: body, mac: try mac(of: body, key: macKey).hexString)
    }

    /// Whether the stored MAC is right for the body, in the body's format (constant-time comparison).
    func hasValidMAC(_ macKey: SecretBytes) throws -> Bool {
        guard let stored = [UInt8](hexString: mac), stored.count == 32 else { return false }
        return constantTimeEquals(stored, try Self.mac(of: body, key: macKey))
    }

    var needsUpgrade: Bool { body.format != Self.currentFormat }

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return Array(try encoder.encode(self)) + [0x0a]
    }

    static func decode(_ bytes: [UInt8], path: String) throws -> KeyRingDocument {
        do {
            let document = try JSONDecoder().decode(KeyRingDocument.self, from: Data(bytes))
            guard document.body.format == currentFormat || document.body.format == legacyFormat else {
                throw KeyringError.corrupt(
                    path, "unsupported key ring format \(document.body.format); this version reads formats \(legacyFormat) and \(currentFormat)")
            }
            return document
        } catch let error as KeyringError {
            throw error
        } catch {
            throw KeyringError.corrupt(path, "not a valid key ring document")
        }
    }
}

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

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

    static let currentFormat = 1

    static func encodeBody(_ body: Body) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(body))
    }

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return Array(try encoder.encode(self)) + [0x0a]
    }

    static func decode(_ bytes: [UInt8], path: String) throws -> KeyRingDocument {
        do {
            let document = try JSONDecoder().decode(KeyRingDocument.self, from: Data(bytes))
            guard document.body.format == currentFormat else {
                throw KeyringError.corrupt(path, "unsupported key ring format \(document.body.format)")
            }
            return document
        } catch let error as KeyringError {
            throw error
        } catch {
            throw KeyringError.corrupt(path, "not a valid key ring document")
        }
    }
}

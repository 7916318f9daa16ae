import Sodium

/// Supplies per-citizen (data subject) keys for crypto-shredding. Destroying a subject key makes every field
/// sealed under it unreadable, in every copy of the records database.
public protocol SubjectKeyProvider: Sendable {
    /// The key with this 16-byte id. Throws when it does not exist or was destroyed.
    func subjectKey(id: [UInt8]) throws -> SecretBytes
}

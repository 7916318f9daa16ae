import Sodium

/// Supplies per-citizen (data subject) keys for crypto-shredding. Destroying a subject key makes every field
/// sealed under it unreadable, in every copy of the records database.
public protocol SubjectKeyProvider: Sendable {
    /// The key with this 16-byte id. Throws when it does not exist or was destroyed.
    func subjectKey(id: [UInt8]) throws -> SecretBytes

    /// Changes whenever the provider cleared the keys it caches (a key was destroyed, here or in another process).
    /// Caches of keys derived from subject keys are cleared when it changes, so they hold nothing of an erased subject.
    var cacheEpoch: UInt64 { get }
}

extension SubjectKeyProvider {
    /// A provider that caches nothing never changes its epoch.
    public var cacheEpoch: UInt64 { 0 }
}

import Sodium

/// The id of one write of a field: 64 random bits, drawn when the value is sealed and bound into its envelope.
///
/// The record that owns the field keeps the revision of the field's current value under its row MAC
/// (``FieldRevisions``), so a copy of an older envelope of the same place is a rollback the service recognises.
public struct FieldRevision: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// A fresh random revision.
    public static func random() -> FieldRevision {
        FieldRevision(rawValue: SecureRandom.bytes(count: 8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }

    /// 16 lowercase hex digits.
    public var description: String {
        let hex = String(rawValue, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Parses 16 hex digits.
    public init?(hex: Substring) {
        guard hex.utf8.count == 16, let value = UInt64(hex, radix: 16) else { return nil }
        rawValue = value
    }
}

/// The revisions of the sealed fields a record owns, keyed by `collection/field` (a request also owns its
/// decision reason, an account its login, one-time-code secret and profile fields).
///
/// Stored canonically on the owning row (`field_revisions`: `collection/field=hex` sorted, `;`-separated) and
/// covered by the row's MAC. A field with no entry was sealed before revisions existed: only a version 1
/// envelope (which carries no revision) is accepted for it.
public struct FieldRevisions: Sendable, Equatable {
    private(set) var entries: [String: FieldRevision]

    public init() { entries = [:] }

    /// Parses the stored text; `nil` when it is not in canonical form (an altered row fails its MAC anyway).
    ///
    /// Runs on every read of a record, so it walks the UTF-8 bytes once instead of splitting substrings (which cost
    /// more than the rest of a request read together).
    public init?(text: String) {
        entries = [:]
        guard !text.isEmpty else { return }
        var text = text
        let parsed: [String: FieldRevision]? = text.withUTF8 { bytes in
            var result: [String: FieldRevision] = [:]
            result.reserveCapacity(8)
            var start = 0
            while start <= bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != UInt8(ascii: ";") { end += 1 }
                // One part: key "=" 16 hex digits; the key is everything before the last "=".
                let hexStart = end - 16
                guard hexStart - 1 > start, bytes[hexStart - 1] == UInt8(ascii: "=") else { return nil }
                var value: UInt64 = 0
                for index in hexStart..<end {
                    let byte = bytes[index]
                    let digit: UInt8
                    switch byte {
                    case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                    case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                    case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                    default: return nil
                    }
                    value = value << 4 | UInt64(digit)
                }
                let key = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<(hexStart - 1)]), as: UTF8.self)
                guard result.updateValue(FieldRevision(rawValue: value), forKey: key) == nil else { return nil }
                start = end + 1
            }
            return result
        }
        guard let parsed else { return nil }
        entries = parsed
    }

    /// The canonical text (sorted by key).
    public var text: String {
        entries.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
    }

    /// The revision of the current value of `field` in `collection`, or `nil` for a field sealed before revisions.
    public func revision(collection: String, field: String) -> FieldRevision? { entries[collection + "/" + field] }

    /// Records the revision of a newly written value, or removes the entry (`nil`) when the field is removed or
    /// stored unsealed.
    public mutating func set(_ revision: FieldRevision?, collection: String, field: String) {
        entries[collection + "/" + field] = revision
    }

    /// Whether `envelope` is the current value of the field: its revision is the one recorded (or, for a field
    /// with no entry, it is a version 1 envelope). Does not open or authenticate the envelope; opening does that.
    public func admits(_ envelope: [UInt8], collection: String, field: String) -> Bool {
        // Not `try?`: it would flatten "no revision" (a format 1 envelope) into "malformed".
        let parsed: FieldRevision?
        do { parsed = try SealedEnvelope.revision(of: envelope) } catch { return false }
        return parsed == revision(collection: collection, field: field)
    }
}

extension SealedEnvelope {
    /// The revision an envelope carries (`nil` for version 1), read from its header without opening it.
    ///
    /// - Throws: ``SealingError/malformed``.
    public static func revision(of envelope: [UInt8]) throws -> FieldRevision? {
        try envelope.withUnsafeBytes { try Layout(parsing: $0).revision }
    }
}

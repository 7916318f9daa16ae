/// The byte format of one sealed field, versions 1 and 2.
///
/// ```
/// offset  size  field
/// 0       1     format version: 0x02 (0x01: sealed before field revisions, still opened)
/// 1       1     flags: bit 0 = sealed under a subject key (crypto-shredding); other bits must be 0
/// 2       1     key id length L (1...64)
/// 3       L     key id, ASCII (for example "records")
/// 3+L     4     key version, big-endian
/// [7+L    16    subject key id, only when flag bit 0 is set]
/// [..     8     revision, big-endian: version 2 only]
/// ..      24    nonce (random)
/// ..      n+16  XChaCha20-Poly1305 ciphertext of the n-byte value, then its tag
/// ```
/// Associated data = "strongroom.field.v1" || header (every byte before the nonce) || for each of collection,
/// record id, field: one length byte then the UTF-8 bytes. So the header (format, key, version, subject key,
/// revision) and the place are all authenticated.
///
/// The revision is a random 64-bit id drawn for each write of a place (a rewrap keeps it: the value did not
/// change). The record that owns the field holds the revision of its current value under its row MAC, so an
/// older envelope of the same place, copied back, is recognised as a rollback instead of opening.
public struct SealedEnvelope: Sendable, Equatable {
    public static let formatVersion: UInt8 = 2
    static let legacyFormatVersion: UInt8 = 1
    static let subjectFlag: UInt8 = 0x01
    static let subjectKeyIDByteCount = 16
    static let revisionByteCount = 8

    /// The key the value was sealed under.
    public let keyID: String
    /// The key's version.
    public let keyVersion: UInt32
    /// The subject key, when the value is bound to one citizen's key.
    public let subjectKeyID: [UInt8]?
    /// The write this value came from (`nil` for a version 1 envelope).
    public let revision: FieldRevision?
    let nonce: [UInt8]
    let ciphertext: [UInt8]

    /// The bytes before the nonce.
    var header: [UInt8] {
        var out: [UInt8] = [
            revision == nil ? Self.legacyFormatVersion : Self.formatVersion, subjectKeyID == nil ? 0 : Self.subjectFlag,
            UInt8(keyID.utf8.count),
        ]
        out += Array(keyID.utf8)
        out += (0..<4).map { UInt8(truncatingIfNeeded: keyVersion >> (24 - 8 * $0)) }
        if let subjectKeyID { out += subjectKeyID }
        if let revision { out += (0..<8).map { UInt8(truncatingIfNeeded: revision.rawValue >> (56 - 8 * $0)) } }
        return out
    }

    /// The whole envelope.
    public var bytes: [UInt8] { header + nonce + ciphertext }

    init(keyID: String, keyVersion: UInt32, subjectKeyID: [UInt8]?, revision: FieldRevision?, nonce: [UInt8], ciphertext: [UInt8]) {
        self.keyID = keyID
        self.keyVersion = keyVersion
        self.subjectKeyID = subjectKeyID
        self.revision = revision
        self.nonce = nonce
        self.ciphertext = ciphertext
    }

    /// Parses an envelope without trusting it: every length is checked, unknown versions and flags are refused.
    ///
    /// - Throws: ``SealingError/malformed``.
    public init(parsing bytes: [UInt8]) throws {
        let layout = try bytes.withUnsafeBytes { try Layout(parsing: $0) }
        keyID = layout.keyID
        keyVersion = layout.keyVersion
        subjectKeyID = layout.subjectKeyID.map { Array(bytes[$0]) }
        revision = layout.revision
        nonce = Array(bytes[layout.nonce])
        ciphertext = Array(bytes[layout.ciphertext])
    }

    /// Where the parts of an envelope lie, checked without copying them out: every length is checked, unknown
    /// versions and flags are refused.
    struct Layout {
        let keyID: String
        let keyVersion: UInt32
        let subjectKeyID: Range<Int>?
        let revision: FieldRevision?
        let nonce: Range<Int>
        let ciphertext: Range<Int>
        /// Every byte before the nonce.
        var header: Range<Int> { 0..<nonce.lowerBound }

        /// - Throws: ``SealingError/malformed``.
        init(parsing bytes: UnsafeRawBufferPointer) throws {
            guard bytes.count >= 3, bytes[0] == SealedEnvelope.formatVersion || bytes[0] == SealedEnvelope.legacyFormatVersion else {
                throw SealingError.malformed
            }
            let flags = bytes[1]
            guard flags & ~SealedEnvelope.subjectFlag == 0 else { throw SealingError.malformed }
            let keyLength = Int(bytes[2])
            guard (1...64).contains(keyLength) else { throw SealingError.malformed }
            var offset = 3
            guard bytes.count >= offset + keyLength + 4 else { throw SealingError.malformed }
            let keyBytes = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + keyLength])
            guard keyBytes.allSatisfy({ $0 >= 0x21 && $0 < 0x7f }) else { throw SealingError.malformed }
            keyID = String(decoding: keyBytes, as: UTF8.self)
            offset += keyLength
            keyVersion = bytes[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            offset += 4
            if flags & SealedEnvelope.subjectFlag != 0 {
                guard bytes.count >= offset + SealedEnvelope.subjectKeyIDByteCount else { throw SealingError.malformed }
                subjectKeyID = offset..<offset + SealedEnvelope.subjectKeyIDByteCount
                offset += SealedEnvelope.subjectKeyIDByteCount
            } else {
                subjectKeyID = nil
            }
            if bytes[0] == SealedEnvelope.formatVersion {
                guard bytes.count >= offset + SealedEnvelope.revisionByteCount else { throw SealingError.malformed }
                revision = FieldRevision(rawValue: bytes[offset..<offset + 8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
                offset += SealedEnvelope.revisionByteCount
            } else {
                revision = nil
            }
            guard bytes.count >= offset + 24 + 16 else { throw SealingError.malformed }
            nonce = offset..<offset + 24
            ciphertext = offset + 24..<bytes.count
        }
    }

    func associatedData(for place: FieldPlace) throws -> [UInt8] {
        try header.withUnsafeBytes { try Self.associatedData(header: $0, place: place) }
    }

    /// "strongroom.field.v1" || header || for each of collection, record id, field: one length byte, then its UTF-8.
    ///
    /// - Throws: ``SealingError/invalidPlace(_:)`` when a part of the place is longer than 255 bytes (no value is
    ///   ever sealed for such a place).
    static func associatedData(header: UnsafeRawBufferPointer, place: FieldPlace) throws -> [UInt8] {
        let parts = [place.collection.utf8, place.recordID.utf8, place.field.utf8]
        guard parts.allSatisfy({ $0.count <= 255 }) else {
            throw SealingError.invalidPlace("each part of a field place must be at most 255 bytes")
        }
        var ad: [UInt8] = []
        ad.reserveCapacity(associatedDataPrefix.count + header.count + 3 + parts.reduce(0) { $0 + $1.count })
        ad += associatedDataPrefix
        ad += header
        for part in parts {
            ad.append(UInt8(part.count))
            ad += part
        }
        return ad
    }

    private static let associatedDataPrefix = Array("strongroom.field.v1".utf8)
}

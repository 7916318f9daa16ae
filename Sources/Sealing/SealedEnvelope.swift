/// The byte format of one sealed field, version 1.
///
/// ```
/// offset  size  field
/// 0       1     format version: 0x01
/// 1       1     flags: bit 0 = sealed under a subject key (crypto-shredding); other bits must be 0
/// 2       1     key id length L (1...64)
/// 3       L     key id, ASCII (for example "records")
/// 3+L     4     key version, big-endian
/// [7+L    16    subject key id, only when flag bit 0 is set]
/// ..      24    nonce (random)
/// ..      n+16  XChaCha20-Poly1305 ciphertext of the n-byte value, then its tag
/// ```
/// Associated data = "strongroom.field.v1" || header (every byte before the nonce) || for each of collection,
/// record id, field: one length byte then the UTF-8 bytes. So the header (format, key, version, subject key) and the
/// place are all authenticated.
public struct SealedEnvelope: Sendable, Equatable {
    public static let formatVersion: UInt8 = 1
    static let subjectFlag: UInt8 = 0x01
    static let subjectKeyIDByteCount = 16

    /// The key the value was sealed under.
    public let keyID: String
    /// The key's version.
    public let keyVersion: UInt32
    /// The subject key, when the value is bound to one citizen's key.
    public let subjectKeyID: [UInt8]?
    let nonce: [UInt8]
    let ciphertext: [UInt8]

    /// The bytes before the nonce.
    var header: [UInt8] {
        var out: [UInt8] = [Self.formatVersion, subjectKeyID == nil ? 0 : Self.subjectFlag, UInt8(keyID.utf8.count)]
        out += Array(keyID.utf8)
        out += (0..<4).map { UInt8(truncatingIfNeeded: keyVersion >> (24 - 8 * $0)) }
        if let subjectKeyID { out += subjectKeyID }
        return out
    }

    /// The whole envelope.
    public var bytes: [UInt8] { header + nonce + ciphertext }

    init(keyID: String, keyVersion: UInt32, subjectKeyID: [UInt8]?, nonce: [UInt8], ciphertext: [UInt8]) {
        self.keyID = keyID
        self.keyVersion = keyVersion
        self.subjectKeyID = subjectKeyID
        self.nonce = nonce
        self.ciphertext = ciphertext
    }

    /// Parses an envelope without trusting it: every length is checked, unknown versions and flags are refused.
    ///
    /// - Throws: ``SealingError/malformed``.
    public init(parsing bytes: [UInt8]) throws {
        guard bytes.count >= 3, bytes[0] == Self.formatVersion else { throw SealingError.malformed }
        let flags = bytes[1]
        guard flags & ~Self.subjectFlag == 0 else { throw SealingError.malformed }
        let keyLength = Int(bytes[2])
        guard (1...64).contains(keyLength) else { throw SealingError.malformed }
        var offset = 3
        guard bytes.count >= offset + keyLength + 4 else { throw SealingError.malformed }
        let keyBytes = bytes[offset..<offset + keyLength]
        guard keyBytes.allSatisfy({ $0 >= 0x21 && $0 < 0x7f }) else { throw SealingError.malformed }
        keyID = String(decoding: keyBytes, as: UTF8.self)
        offset += keyLength
        keyVersion = bytes[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        offset += 4
        if flags & Self.subjectFlag != 0 {
            guard bytes.count >= offset + Self.subjectKeyIDByteCount else { throw SealingError.malformed }
            subjectKeyID = Array(bytes[offset..<offset + Self.subjectKeyIDByteCount])
            offset += Self.subjectKeyIDByteCount
        } else {
            subjectKeyID = nil
        }
        guard bytes.count >= offset + 24 + 16 else { throw SealingError.malformed }
        nonce = Array(bytes[offset..<offset + 24])
        ciphertext = Array(bytes[(offset + 24)...])
    }

    func associatedData(for place: FieldPlace) -> [UInt8] {
        var ad = Array("strongroom.field.v1".utf8) + header
        for part in [place.collection, place.recordID, place.field] {
            ad.append(UInt8(part.utf8.count))
            ad += Array(part.utf8)
        }
        return ad
    }
}

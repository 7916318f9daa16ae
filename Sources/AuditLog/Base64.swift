import Sodium

/// Standard base64 (RFC 4648 §4) with padding, canonical only: the one encoding `encode` gives for the bytes.
///
/// Refused, each with its own ``Problem``: a length that is not a multiple of 4 (padding missing or extra), a character
/// outside the standard alphabet (whitespace, line breaks, the URL-safe `-` and `_`), `=` anywhere but the one or two
/// last places, and non-zero bits in the last character before the padding (which decoders that ignore them would
/// read as the same bytes: a second spelling of one signature or hash).
package enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xff, count: 256)
        for (index, char) in alphabet.enumerated() { table[Int(char)] = UInt8(index) }
        return table
    }()

    /// Why a text is not canonical base64 (of the expected length).
    package enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// The length is not a multiple of 4: padding missing, or extra characters.
        case length(Int)
        /// A character outside the standard alphabet, at a 0-based offset (whitespace, a URL-safe `-` or `_`, ...).
        case character(offset: Int)
        /// `=` somewhere other than the last one or two places.
        case padding
        /// The unused low bits of the last character before the padding are not zero.
        case paddingBits
        /// Canonical base64, but of another number of bytes.
        case byteCount(Int)

        package var description: String {
            switch self {
            case let .length(count):
                "its length (\(count)) is not a multiple of 4: padding is missing or extra"
            case let .character(offset):
                "character \(offset + 1) is not in the standard base64 alphabet (no whitespace, no URL-safe - or _)"
            case .padding:
                "it has '=' padding other than one or two at the end"
            case .paddingBits:
                "the unused bits before its padding are not zero, so it is not the canonical encoding"
            case let .byteCount(count):
                "it decodes to \(count) bytes"
            }
        }
    }

    package static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
            out.append(alphabet[Int(n & 63)])
            index += 3
        }
        let rest = bytes.count - index
        if rest == 1 {
            let n = UInt32(bytes[index]) << 16
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        } else if rest == 2 {
            let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of canonical base64 `text`, or `nil`.
    package static func decode(_ text: some StringProtocol) -> [UInt8]? {
        try? decodeCanonical(Array(text.utf8))
    }

    /// The bytes of canonical base64 `text`, of `byteCount` bytes when given.
    ///
    /// - Throws: the ``Problem`` that makes it something else.
    package static func decodeCanonical(_ text: some StringProtocol, byteCount: ClosedRange<Int>? = nil) throws(Problem) -> [UInt8] {
        let bytes = try decodeCanonical(Array(text.utf8))
        if let byteCount, !byteCount.contains(bytes.count) { throw .byteCount(bytes.count) }
        return bytes
    }

    /// Decodes canonical base64 held in bytes (a key file's line: the caller wipes its array; the result is allocated
    /// once at its final size, so no partial copy of it is left behind by growth).
    package static func decodeCanonical(_ chars: [UInt8]) throws(Problem) -> [UInt8] {
        guard chars.count % 4 == 0 else { throw .length(chars.count) }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 4 * 3)
        do {
            try decode(chars, into: &out)
        } catch {
            SecretBytes.wipe(&out)
            throw error
        }
        return out
    }

    private static func decode(_ chars: [UInt8], into out: inout [UInt8]) throws(Problem) {
        var index = 0
        while index < chars.count {
            let isLast = index + 4 == chars.count
            var n: UInt32 = 0
            var padding = 0
            for offset in 0..<4 {
                let c = chars[index + offset]
                if c == UInt8(ascii: "=") {
                    guard isLast, offset >= 2 else { throw .padding }
                    padding += 1
                    n <<= 6
                } else {
                    guard padding == 0 else { throw .padding }
                    let v = reverse[Int(c)]
                    guard v != 0xff else { throw .character(offset: index + offset) }
                    n = n << 6 | UInt32(v)
                }
            }
            // Canonical form: the bits dropped by padding must be zero.
            if padding == 1, n & 0xff != 0 { throw .paddingBits }
            if padding == 2, n & 0xffff != 0 { throw .paddingBits }
            out.append(UInt8(n >> 16 & 0xff))
            if padding < 2 { out.append(UInt8(n >> 8 & 0xff)) }
            if padding < 1 { out.append(UInt8(n & 0xff)) }
            n = 0
            index += 4
        }
    }
}

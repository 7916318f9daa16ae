/// A submitted `application/x-www-form-urlencoded` body (or a query string): names to values, in order.
///
/// Parsed by hand because it is small and strict: `+` is a space, `%XX` a byte, the bytes must be UTF-8, and
/// anything malformed makes the whole body invalid (``FormBody/init(encoded:)`` returns `nil`) instead of guessing.
public struct FormBody: Sendable, Equatable {
    /// The pairs in submitted order (a name may repeat, as checkboxes do).
    public let pairs: [(name: String, value: String)]

    /// Most pairs a body may carry; a service page has a few dozen controls at most.
    public static let maximumPairs = 500

    public init(pairs: [(name: String, value: String)]) { self.pairs = pairs }

    /// Parses an encoded body; `nil` when it is not valid form encoding.
    public init?(encoded text: some StringProtocol) {
        var pairs: [(name: String, value: String)] = []
        if !text.isEmpty {
            for piece in text.split(separator: "&", omittingEmptySubsequences: true) {
                guard pairs.count < Self.maximumPairs else { return nil }
                let halves = piece.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard let name = Self.decode(halves[0]), !name.isEmpty else { return nil }
                let value = halves.count > 1 ? Self.decode(halves[1]) : ""
                guard let value else { return nil }
                pairs.append((name, value))
            }
        }
        self.pairs = pairs
    }

    /// The first value given for `name`.
    public subscript(_ name: String) -> String? { pairs.first { $0.name == name }?.value }

    /// Every value given for `name`.
    public func all(_ name: String) -> [String] { pairs.filter { $0.name == name }.map(\.value) }

    public static func == (lhs: FormBody, rhs: FormBody) -> Bool {
        lhs.pairs.count == rhs.pairs.count && zip(lhs.pairs, rhs.pairs).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    static func decode(_ text: some StringProtocol) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Percent-encodes a value for a URL query (everything but unreserved characters).
    public static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(Character(UnicodeScalar(byte)))
            default:
                let hex = Array("0123456789ABCDEF")
                out += "%" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 15)])
            }
        }
        return out
    }
}

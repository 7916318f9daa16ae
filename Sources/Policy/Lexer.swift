/// Splits source text into tokens. Bounded: input past ``maximumBytes`` or ``maximumTokens`` is an error,
/// so no input can make loading slow.
///
/// Identifiers may contain letters, digits, `_` and `-` (`security-officer`, `read-audit`); comments run
/// from `#` or `//` to the end of the line.
struct Lexer {
    static let maximumBytes = 1 << 20
    static let maximumTokens = 200_000
    static let maximumStringLength = 4096

    struct Failure: Error {
        let line: Int
        let column: Int
        let message: String
        let tooLarge: Bool
    }

    static func tokenize(_ text: String) throws(Failure) -> [Token] {
        let bytes = Array(text.utf8)
        if bytes.count > maximumBytes {
            throw Failure(line: 1, column: 1, message: "file is larger than \(maximumBytes) bytes", tooLarge: true)
        }
        var tokens: [Token] = []
        var index = 0
        var line = 1
        var column = 1

        func advance() {
            if bytes[index] == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if bytes[index] & 0xC0 != 0x80 {
                column += 1
            }
            index += 1
        }
        func peek(_ offset: Int = 0) -> UInt8? { index + offset < bytes.count ? bytes[index + offset] : nil }
        func isIdentifierStart(_ byte: UInt8) -> Bool {
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || byte == UInt8(ascii: "_")
        }
        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

        while let byte = peek() {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
                || byte == UInt8(ascii: "\r")
            {
                advance()
                continue
            }
            if byte == UInt8(ascii: "#") || (byte == UInt8(ascii: "/") && peek(1) == UInt8(ascii: "/")) {
                while let next = peek(), next != UInt8(ascii: "\n") { advance() }
                continue
            }
            if tokens.count >= maximumTokens {
                throw Failure(line: line, column: column, message: "more than \(maximumTokens) tokens", tooLarge: true)
            }
            let startLine = line, startColumn = column
            if isIdentifierStart(byte) {
                let start = index
                while let next = peek(), isIdentifierStart(next) || isDigit(next) || next == UInt8(ascii: "-") {
                    advance()
                }
                let name = String(decoding: bytes[start..<index], as: UTF8.self)
                tokens.append(Token(kind: .identifier(name), line: startLine, column: startColumn))
            } else if isDigit(byte) || (byte == UInt8(ascii: "-") && peek(1).map(isDigit) == true) {
                var digits = [byte]
                advance()
                while let next = peek(), isDigit(next) {
                    digits.append(next)
                    advance()
                }
                guard digits.count <= 18, let value = Int(String(decoding: digits, as: UTF8.self)) else {
                    throw Failure(line: startLine, column: startColumn, message: "number is too long", tooLarge: false)
                }
                tokens.append(Token(kind: .number(value), line: startLine, column: startColumn))
            } else if byte == UInt8(ascii: "\"") {
                advance()
                var value: [UInt8] = []
                while true {
                    guard let next = peek(), next != UInt8(ascii: "\n") else {
                        throw Failure(
                            line: startLine, column: startColumn,
                            message: "unterminated string; close it with `\"` on the same line", tooLarge: false)
                    }
                    advance()
                    if next == UInt8(ascii: "\"") { break }
                    if next == UInt8(ascii: "\\"), let escaped = peek(), escaped != UInt8(ascii: "\n") {
                        advance()
                        value.append(escaped == UInt8(ascii: "n") ? UInt8(ascii: "\n") : escaped)
                    } else {
                        value.append(next)
                    }
                    if value.count > maximumStringLength {
                        throw Failure(
                            line: startLine, column: startColumn,
                            message: "string is longer than \(maximumStringLength) bytes", tooLarge: true)
                    }
                }
                tokens.append(Token(kind: .string(String(decoding: value, as: UTF8.self)), line: startLine, column: startColumn))
            } else {
                let two = peek(1).map { String(decoding: [byte, $0], as: UTF8.self) }
                if let two, ["==", "!=", "<=", ">="].contains(two) {
                    advance()
                    advance()
                    tokens.append(Token(kind: .symbol(two), line: startLine, column: startColumn))
                } else if let scalar = Unicode.Scalar(UInt32(byte)), byte < 0x80, ".,;()[]{}*@:?<>=".unicodeScalars.contains(scalar) {
                    advance()
                    tokens.append(Token(kind: .symbol(String(Character(scalar))), line: startLine, column: startColumn))
                } else {
                    let shown = byte < 0x80 && byte >= 0x20 ? "`\(Character(Unicode.Scalar(byte)))`" : "byte 0x\(String(byte, radix: 16))"
                    throw Failure(line: startLine, column: startColumn, message: "unexpected character \(shown)", tooLarge: false)
                }
            }
        }
        tokens.append(Token(kind: .end, line: line, column: column))
        return tokens
    }
}

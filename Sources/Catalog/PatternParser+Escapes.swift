/// Escapes and bracketed classes: what one `\x` or `[...]` stands for.
extension PatternParser {
    mutating func parseEscape() throws(PatternSyntaxError) -> PatternNode {
        let start = index
        index += 1  // "\"
        guard let escaped = peek() else { throw PatternSyntaxError("a trailing backslash") }
        index += 1
        switch escaped {
        case "b", "B", "A", "z", "Z", "G", "K", "y", "Y":
            return .empty
        case "E":
            return .empty
        case "1"..."9":
            while let next = peek(), Self.digitValue(next, radix: 10) != nil { index += 1 }
            return .backreference(at: start)
        case "k":
            guard let open = peek(), let close = Self.closing(of: open) else { throw PatternSyntaxError("a `\\k` without a group name") }
            try skipName(until: close)
            return .backreference(at: start)
        case "g":
            if peek() == "{" {
                try skipName(until: "}")
                return .backreference(at: start)
            }
            if let next = peek(), Self.digitValue(next, radix: 10) != nil || next == "-" {
                index += 1
                while let digit = peek(), Self.digitValue(digit, radix: 10) != nil { index += 1 }
                return .backreference(at: start)
            }
            throw PatternSyntaxError("a subroutine call `\\g`")
        case "R":
            // A line break: `\r\n` or one vertical space.
            let crlf = PatternNode.sequence([.character(PatternCharacterSet("\r"), at: start), .character(PatternCharacterSet("\n"), at: start)])
            return .alternation([crlf, .character(.verticalSpaces, at: start)], source: start..<index)
        case "Q":
            var items: [PatternNode] = []
            while !atEnd {
                if peek() == "\\", peek(1) == "E" {
                    index += 2
                    break
                }
                var set = PatternCharacterSet.empty
                set.insert(scalars[index].value)
                items.append(.character(set, at: index))
                index += 1
            }
            return .sequence(items)
        default:
            index -= 1
            switch try escapedCharacters(inClass: false) {
            case let .scalar(value):
                var set = PatternCharacterSet.empty
                set.insert(value)
                return .character(set, at: start)
            case let .set(set):
                return .character(set, at: start)
            }
        }
    }

    /// The characters one escape stands for; the cursor is on the character after the backslash and moves past the
    /// escape.
    private mutating func escapedCharacters(inClass: Bool) throws(PatternSyntaxError) -> ClassMember {
        guard let escaped = peek() else { throw PatternSyntaxError("a trailing backslash") }
        index += 1
        func single(_ value: UInt32) -> ClassMember { .scalar(value) }
        switch escaped {
        case "d": return .set(.digits)
        case "D": return .set(PatternCharacterSet.digits.asciiComplement)
        case "w": return .set(.word)
        case "W": return .set(PatternCharacterSet.word.asciiComplement)
        case "s": return .set(.spaces)
        case "S": return .set(PatternCharacterSet.spaces.asciiComplement)
        case "h": return .set(.horizontalSpaces)
        case "H": return .set(PatternCharacterSet.horizontalSpaces.asciiComplement)
        case "v": return .set(.verticalSpaces)
        case "V": return .set(PatternCharacterSet.verticalSpaces.asciiComplement)
        case "n": return single(0x0a)
        case "t": return single(0x09)
        case "r": return single(0x0d)
        case "f": return single(0x0c)
        case "e": return single(0x1b)
        case "a": return single(0x07)
        case "b" where inClass: return single(0x08)
        case "0":
            var value: UInt32 = 0
            for _ in 0..<2 {
                guard let next = peek(), let digit = Self.digitValue(next, radix: 8) else { break }
                value = value * 8 + UInt32(digit)
                index += 1
            }
            return single(value)
        case "x", "u", "U", "o":
            let radix = escaped == "o" ? 8 : 16
            if peek() == "{" {
                index += 1
                let value = try number(radix: radix, maximumDigits: 8)
                guard peek() == "}" else { throw PatternSyntaxError("an unterminated `\\\(escaped){…}` escape") }
                index += 1
                return single(value)
            }
            let digits = escaped == "x" ? 2 : escaped == "u" ? 4 : 8
            return single(try number(radix: radix, maximumDigits: digits))
        case "c":
            guard let control = peek() else { throw PatternSyntaxError("a `\\c` without a letter") }
            index += 1
            return single(control.value & 0x1f)
        case "p", "P", "N", "X", "O":
            // Unicode properties, named characters, graphemes: widened to every character.
            if peek() == "{" {
                while let next = peek(), next != "}" { index += 1 }
                guard !atEnd else { throw PatternSyntaxError("an unterminated `\\\(escaped){…}` escape") }
                index += 1
            } else if escaped == "p" || escaped == "P" {
                guard !atEnd else { throw PatternSyntaxError("a `\\\(escaped)` without a property") }
                index += 1
            }
            return .set(.everything)
        default:
            if escaped.properties.isAlphabetic || Self.digitValue(escaped, radix: 10) != nil {
                // An escape this model does not know: taken as any character.
                return .set(.everything)
            }
            return single(escaped.value)
        }
    }

    private mutating func number(radix: Int, maximumDigits: Int) throws(PatternSyntaxError) -> UInt32 {
        var value: UInt32 = 0, count = 0
        while count < maximumDigits, let next = peek(), let digit = Self.digitValue(next, radix: radix) {
            value = value * UInt32(radix) + UInt32(digit)
            count += 1
            index += 1
        }
        guard count > 0 else { throw PatternSyntaxError("an escape without its digits") }
        return value
    }

    // MARK: Classes

    /// A bracketed class; the cursor is after its `[`.
    mutating func parseClass(depth: Int) throws(PatternSyntaxError) -> PatternCharacterSet {
        guard depth < Self.maximumDepth else { throw PatternSyntaxError("classes nested more than \(Self.maximumDepth) deep") }
        var negated = false
        if peek() == "^" {
            negated = true
            index += 1
        }
        var set = PatternCharacterSet.empty
        var first = true
        while let next = peek() {
            if next == "]" && !first {
                index += 1
                return negated ? set.inverted : set
            }
            first = false
            if next == "[" {
                if peek(1) == ":" {
                    set.formUnion(try posixClass())
                } else {
                    index += 1
                    set.formUnion(try parseClass(depth: depth + 1))
                }
                continue
            }
            if let second = peek(1), second == next, next == "&" || next == "-" || next == "~" {
                // Intersection, subtraction, symmetric difference: widened to the union of both sides.
                set.exact = false
                index += 2
                continue
            }
            let lower = try classMember()
            if case let .scalar(from) = lower, peek() == "-", let after = peek(1), after != "]" {
                index += 1
                guard case let .scalar(through) = try classMember() else {
                    throw PatternSyntaxError("a class range that ends in a set")
                }
                set.insert(from: from, through: through)
            } else {
                switch lower {
                case let .scalar(value): set.insert(value)
                case let .set(members): set.formUnion(members)
                }
            }
        }
        throw PatternSyntaxError("an unterminated character class")
    }

    enum ClassMember {
        case scalar(UInt32)
        case set(PatternCharacterSet)
    }

    private mutating func classMember() throws(PatternSyntaxError) -> ClassMember {
        guard let next = peek() else { throw PatternSyntaxError("an unterminated character class") }
        index += 1
        guard next == "\\" else { return .scalar(next.value) }
        guard let escaped = peek() else { throw PatternSyntaxError("a trailing backslash") }
        if escaped == "Q" { throw PatternSyntaxError("`\\Q…\\E` inside a class") }
        return try escapedCharacters(inClass: true)
    }

    /// `[:alpha:]`, `[:^digit:]` and the like; the cursor is on the `[`.
    private mutating func posixClass() throws(PatternSyntaxError) -> PatternCharacterSet {
        index += 2
        var name = ""
        while let next = peek(), next != ":" {
            name.unicodeScalars.append(next)
            index += 1
        }
        guard peek() == ":", peek(1) == "]" else { throw PatternSyntaxError("an unterminated POSIX class") }
        index += 2
        let negated = name.hasPrefix("^")
        if negated { name.removeFirst() }
        var set: PatternCharacterSet
        switch name.lowercased() {
        case "digit": set = .digits
        case "space": set = .spaces
        case "word": set = .word
        case "alnum":
            set = .word
            set.high &= ~(1 << (95 - 64))  // no "_"
        default: set = .everything  // widened: its complement is every character too
        }
        return negated ? set.inverted : set
    }
}

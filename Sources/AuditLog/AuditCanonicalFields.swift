/// A validating, allocation-free scan of canonical entry bytes (format version 1): it accepts exactly what
/// ``AuditEntry/init(canonicalBytes:chainHash:)`` accepts and records where the fields that stores copy into
/// query columns lie, so the verifier and the SQLite store can check a row without decoding it into Strings.
///
/// The scan never trusts a length: every read is bounds-checked, as in the decoder.
package struct AuditCanonicalFields {
    package var seq: UInt64 = 0
    package var timeMilliseconds: Int64 = 0
    package var actorID: Range<Int> = 0..<0
    package var action: Range<Int> = 0..<0
    /// `nil` when the entry has no subject.
    package var subjectID: Range<Int>?
    package var flags = AuditFlags()

    /// Scans `bytes`.
    ///
    /// - Throws: ``AuditError/malformedEntry(_:cause:)`` with the decoder's message for the first problem.
    package init(scanning bytes: UnsafeRawBufferPointer) throws {
        var scanner = Scanner(bytes: bytes)
        let version = try scanner.byte("version")
        guard version == AuditEntry.canonicalVersion else {
            throw AuditError.malformedEntry("unknown canonical entry version \(version); this verifier knows version 1")
        }
        seq = try scanner.uint64("seq")
        timeMilliseconds = Int64(bitPattern: try scanner.uint64("time"))
        actorID = try scanner.string("actor id")
        _ = try scanner.string("actor role")
        action = try scanner.string("action")
        _ = try scanner.optionalString("target collection")
        _ = try scanner.optionalString("target record id")
        subjectID = try scanner.optionalString("target subject id")
        try scanner.stringList("fields touched")
        let effect = try scanner.byte("decision effect")
        guard AuditDecision.Effect(rawValue: effect) != nil else {
            throw AuditError.malformedEntry("decision effect byte \(effect) is neither 0 (deny) nor 1 (allow)")
        }
        try scanner.stringList("policy ids")
        _ = try scanner.optionalString("purpose")
        _ = try scanner.string("request id")
        let flagBits = try scanner.uint32("flags")
        guard flagBits & ~AuditFlags.all.rawValue == 0 else {
            throw AuditError.malformedEntry("flags have unknown bits set (0x\(String(flagBits, radix: 16)))")
        }
        flags = AuditFlags(rawValue: flagBits)
        let detailCount = try scanner.uint32("details count")
        var previousKey: Range<Int>?
        for _ in 0..<detailCount {
            let key = try scanner.string("detail key")
            _ = try scanner.string("detail value")
            if let previousKey, !bytes[previousKey].lexicographicallyPrecedes(bytes[key]) {
                throw AuditError.malformedEntry(
                    "detail keys are not in strictly ascending byte order at \"\(String(decoding: bytes[key], as: UTF8.self))\"")
            }
            previousKey = key
        }
        guard scanner.offset == bytes.count else {
            throw AuditError.malformedEntry("\(bytes.count - scanner.offset) unexpected bytes after the end of the entry")
        }
    }

    private struct Scanner {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        var remaining: Int { bytes.count - offset }

        func truncated(_ what: String) -> AuditError {
            AuditError.malformedEntry("canonical entry is truncated while reading the \(what) at byte \(offset)")
        }

        mutating func byte(_ what: @autoclosure () -> String) throws -> UInt8 {
            guard offset < bytes.count else { throw truncated(what()) }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func uint64(_ what: @autoclosure () -> String) throws -> UInt64 {
            guard remaining >= 8 else { throw truncated(what()) }
            var value: UInt64 = 0
            for i in 0..<8 { value = value << 8 | UInt64(bytes[offset + i]) }
            offset += 8
            return value
        }

        mutating func uint32(_ what: @autoclosure () -> String) throws -> UInt32 {
            guard remaining >= 4 else { throw truncated(what()) }
            var value: UInt32 = 0
            for i in 0..<4 { value = value << 8 | UInt32(bytes[offset + i]) }
            offset += 4
            return value
        }

        mutating func string(_ what: @autoclosure () -> String) throws -> Range<Int> {
            let length = Int(try uint32(what() + " length"))
            guard remaining >= length else { throw truncated(what()) }
            let range = offset..<(offset + length)
            offset += length
            guard Self.isValidUTF8(UnsafeRawBufferPointer(rebasing: bytes[range])) else {
                throw AuditError.malformedEntry("the \(what()) is not valid UTF-8")
            }
            return range
        }

        mutating func optionalString(_ what: @autoclosure () -> String) throws -> Range<Int>? {
            switch try byte(what() + " presence") {
            case 0: return nil
            case 1: return try string(what())
            case let other: throw AuditError.malformedEntry("the \(what()) presence byte is \(other), expected 0 or 1")
            }
        }

        mutating func stringList(_ what: @autoclosure () -> String) throws {
            let count = try uint32(what() + " count")
            guard UInt64(count) * 4 <= UInt64(remaining) else { throw truncated(what()) }
            for _ in 0..<count { _ = try string(what()) }
        }

        /// ASCII is the common case and needs no decoding (checked eight bytes at a time); anything else goes
        /// through the standard library's validation.
        static func isValidUTF8(_ raw: UnsafeRawBufferPointer) -> Bool {
            var index = 0
            var highBits: UInt64 = 0
            while index + 8 <= raw.count {
                highBits |= raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                index += 8
            }
            while index < raw.count {
                highBits |= UInt64(raw[index])
                index += 1
            }
            if highBits & 0x8080_8080_8080_8080 == 0 { return true }
            return String(validating: raw.assumingMemoryBound(to: UInt8.self), as: UTF8.self) != nil
        }
    }
}

/// The canonical, versioned byte encoding of an entry (format version 1), specified byte by byte in
/// `docs/audit-format.md`. It is what the leaf hash covers; an independent verifier recomputes it from the JSON.
extension AuditEntry {
    /// The current canonical format version (the first byte).
    public static let canonicalVersion: UInt8 = 1

    /// The canonical bytes (format version 1).
    public var canonicalBytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(256)
        out.append(Self.canonicalVersion)
        out.appendBigEndian(seq)
        out.appendBigEndian(UInt64(bitPattern: time.millisecondsSince1970))
        out.appendString(actor.id)
        out.appendString(actor.role)
        out.appendString(action)
        out.appendOptionalString(target.collection)
        out.appendOptionalString(target.recordID)
        out.appendOptionalString(target.subjectID)
        out.appendStringList(fieldsTouched)
        out.append(decision.effect.rawValue)
        out.appendStringList(decision.policyIDs)
        out.appendOptionalString(purpose)
        out.appendString(requestID)
        out.appendBigEndian(flags.rawValue)
        out.appendBigEndian(UInt32(truncatingIfNeeded: details.count))
        if details.count == 1, let only = details.first {
            out.appendString(only.key)
            out.appendString(only.value)
        } else if !details.isEmpty {
            for (key, value) in details.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
                out.appendString(key)
                out.appendString(value)
            }
        }
        return out
    }

    /// Decodes canonical bytes, rejecting anything that is not exactly what ``canonicalBytes`` would produce
    /// (unknown version, trailing bytes, unsorted or duplicate detail keys, unknown flag bits, invalid UTF-8).
    ///
    /// - Parameter chainHash: the stored chain hash to attach (not part of the canonical bytes).
    /// - Throws: ``AuditError/malformedEntry(_:cause:)`` naming the offending part.
    public init(canonicalBytes bytes: [UInt8], chainHash: [UInt8]) throws {
        var reader = CanonicalReader(bytes)
        let version = try reader.byte("version")
        guard version == Self.canonicalVersion else {
            throw AuditError.malformedEntry("unknown canonical entry version \(version); this verifier knows version 1")
        }
        let seq = try reader.uint64("seq")
        let time = AuditTime(millisecondsSince1970: Int64(bitPattern: try reader.uint64("time")))
        let actor = AuditActor(id: try reader.string("actor id"), role: try reader.string("actor role"))
        let action = try reader.string("action")
        let target = AuditTarget(
            collection: try reader.optionalString("target collection"),
            recordID: try reader.optionalString("target record id"),
            subjectID: try reader.optionalString("target subject id"))
        let fields = try reader.stringList("fields touched")
        let effectByte = try reader.byte("decision effect")
        guard let effect = AuditDecision.Effect(rawValue: effectByte) else {
            throw AuditError.malformedEntry("decision effect byte \(effectByte) is neither 0 (deny) nor 1 (allow)")
        }
        let policies = try reader.stringList("policy ids")
        let purpose = try reader.optionalString("purpose")
        let requestID = try reader.string("request id")
        let flagBits = try reader.uint32("flags")
        guard flagBits & ~AuditFlags.all.rawValue == 0 else {
            throw AuditError.malformedEntry("flags have unknown bits set (0x\(String(flagBits, radix: 16)))")
        }
        let detailCount = try reader.uint32("details count")
        var details = [String: String]()
        var previousKey: String?
        for _ in 0..<detailCount {
            let key = try reader.string("detail key")
            let value = try reader.string("detail value")
            if let previousKey, !previousKey.utf8.lexicographicallyPrecedes(key.utf8) {
                throw AuditError.malformedEntry("detail keys are not in strictly ascending byte order at \"\(key)\"")
            }
            previousKey = key
            details[key] = value
        }
        guard reader.isAtEnd else {
            throw AuditError.malformedEntry("\(reader.remaining) unexpected bytes after the end of the entry")
        }
        let draft = AuditEntryDraft(
            actor: actor, action: action, target: target, fieldsTouched: fields,
            decision: AuditDecision(effect, policyIDs: policies), purpose: purpose, requestID: requestID,
            flags: AuditFlags(rawValue: flagBits), details: details)
        self.init(seq: seq, time: time, draft: draft, chainHash: chainHash)
    }
}

extension [UInt8] {
    @inline(__always)
    mutating func appendBigEndian(_ value: UInt64) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }

    @inline(__always)
    mutating func appendBigEndian(_ value: UInt32) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }

    @inline(__always)
    mutating func appendString(_ string: String) {
        appendBigEndian(UInt32(truncatingIfNeeded: string.utf8.count))
        append(contentsOf: string.utf8)
    }

    @inline(__always)
    mutating func appendOptionalString(_ string: String?) {
        if let string {
            append(1)
            appendString(string)
        } else {
            append(0)
        }
    }

    mutating func appendStringList(_ list: [String]) {
        appendBigEndian(UInt32(truncatingIfNeeded: list.count))
        for item in list { appendString(item) }
    }
}

/// Reads canonical bytes with bounds checks; every failure names the part that was being read.
struct CanonicalReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }
    var remaining: Int { bytes.count - offset }

    private func truncated(_ what: String) -> AuditError {
        AuditError.malformedEntry("canonical entry is truncated while reading the \(what) at byte \(offset)")
    }

    mutating func byte(_ what: String) throws -> UInt8 {
        guard offset < bytes.count else { throw truncated(what) }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func uint64(_ what: String) throws -> UInt64 {
        guard remaining >= 8 else { throw truncated(what) }
        var value: UInt64 = 0
        for i in 0..<8 { value = value << 8 | UInt64(bytes[offset + i]) }
        offset += 8
        return value
    }

    mutating func uint32(_ what: String) throws -> UInt32 {
        guard remaining >= 4 else { throw truncated(what) }
        var value: UInt32 = 0
        for i in 0..<4 { value = value << 8 | UInt32(bytes[offset + i]) }
        offset += 4
        return value
    }

    mutating func string(_ what: String) throws -> String {
        let length = Int(try uint32(what + " length"))
        guard remaining >= length else { throw truncated(what) }
        let slice = bytes[offset..<(offset + length)]
        offset += length
        guard let string = String(validating: slice, as: UTF8.self) else {
            throw AuditError.malformedEntry("the \(what) is not valid UTF-8")
        }
        return string
    }

    mutating func optionalString(_ what: String) throws -> String? {
        switch try byte(what + " presence") {
        case 0: return nil
        case 1: return try string(what)
        case let other: throw AuditError.malformedEntry("the \(what) presence byte is \(other), expected 0 or 1")
        }
    }

    mutating func stringList(_ what: String) throws -> [String] {
        let count = try uint32(what + " count")
        // Each string needs at least its 4-byte length: refuse counts the remaining bytes cannot hold.
        guard UInt64(count) * 4 <= UInt64(remaining) else { throw truncated(what) }
        var list = [String]()
        list.reserveCapacity(Int(count))
        for _ in 0..<count { list.append(try string(what)) }
        return list
    }
}

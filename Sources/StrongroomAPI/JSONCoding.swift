import Catalog
import Hummingbird
import NIOCore
import Strongroom

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// JSON in and out, strictly: unknown keys are errors, numbers keep their digits, dates are ISO 8601.
/// The API's JSON for tools outside the HTTP layer (the CLI's `--json`), so both print the same shapes.
public enum APIJSON {
    /// One compact JSON document, keys sorted, ISO 8601 dates — exactly as the API answers.
    public static func encode(_ body: some Encodable) throws -> String {
        String(decoding: try JSONCoding.encoder.encode(body), as: UTF8.self)
    }
}

enum JSONCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    /// Reads the body as a JSON object, refusing bodies over the limit, invalid UTF-8, invalid JSON, non-objects
    /// and keys outside `allowed`.
    static func object(_ request: Request, context: StrongroomRequestContext, allowed: Set<String>) async throws -> [String: JSONValue] {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: context.maxUploadSize)
        } catch {
            throw StrongroomError(.payloadTooLarge, code: "payload_too_large", message: "the request body is larger than \(context.maxUploadSize) bytes")
        }
        let bytes = Array(buffer.readableBytesView)
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw StrongroomError.invalid("invalid_utf8", "the request body is not valid UTF-8")
        }
        guard Self.nestingDepth(bytes) <= maximumDepth else {
            throw StrongroomError.invalid("invalid_json", "the request body nests arrays or objects more than \(maximumDepth) levels deep")
        }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            throw StrongroomError.invalid("invalid_json", "the request body is not valid JSON; send a JSON object")
        }
        guard case let .object(object) = value else {
            throw StrongroomError.invalid("invalid_json", "the request body must be a JSON object")
        }
        let unknown = Set(object.keys).subtracting(allowed)
        guard unknown.isEmpty else {
            throw StrongroomError.invalid(
                "unknown_key", "unexpected key in the request body; allowed keys are: \(allowed.sorted().joined(separator: ", "))")
        }
        return object
    }

    /// No request body of the API nests deeper than a few levels; deeper ones are refused before the decoder (whose
    /// recursion would otherwise follow the attacker's depth).
    static let maximumDepth = 32

    /// The deepest nesting of `[` and `{` outside strings (a linear scan; malformed JSON is the decoder's to refuse).
    static func nestingDepth(_ bytes: [UInt8]) -> Int {
        var depth = 0, deepest = 0, inString = false, escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
    }

    static func response(_ body: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(body))))
    }
}

/// Any JSON value. Numbers keep their textual form so money and decimals are never rounded through a float.
indirect enum JSONValue: Decodable, Equatable, Sendable {
    case string(String)
    case integer(Int)
    case number(String)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null; return }
        if let value = try? container.decode(Bool.self) { self = .bool(value); return }
        if let value = try? container.decode(Int.self) { self = .integer(value); return }
        if let value = try? container.decode(Decimal.self) { self = .number("\(value)"); return }
        if let value = try? container.decode(String.self) { self = .string(value); return }
        if let value = try? container.decode([JSONValue].self) { self = .array(value); return }
        self = .object(try container.decode([String: JSONValue].self))
    }

    var string: String? { if case let .string(s) = self { s } else { nil } }
    var bool: Bool? { if case let .bool(b) = self { b } else { nil } }

    /// The value as catalog input; arrays are not field values.
    func fieldInput() throws -> FieldInput {
        switch self {
        case let .string(s): return .string(s)
        case let .integer(i): return .integer(i)
        case let .number(n): return .decimal(n)
        case let .bool(b): return .bool(b)
        case .null: return .null
        case let .object(o): return .object(try o.mapValues { try $0.fieldInput() })
        case .array: throw StrongroomError.invalid("invalid_value", "a field value cannot be a list")
        }
    }

    /// A `fields` object as catalog input.
    static func fields(_ value: JSONValue?) throws -> [String: FieldInput] {
        guard let value else { return [:] }
        guard case let .object(object) = value else { throw StrongroomError.invalid("invalid_fields", "`fields` must be a JSON object") }
        guard object.count <= 200 else { throw StrongroomError.invalid("too_many_fields", "at most 200 fields per request") }
        return try object.mapValues { try $0.fieldInput() }
    }
}

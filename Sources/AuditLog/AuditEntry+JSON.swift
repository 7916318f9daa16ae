#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Sodium

/// The JSON form of an entry: one object per line in bundles and in `audit show --json`.
///
/// ```json
/// {"seq":0,"time":1735689600000,"actor":{"id":"p-1","role":"system"},"action":"keys.create",
///  "target":{"collection":"people","record":"r-9","subject":"s-4"},"fields":["name"],
///  "decision":{"effect":"allow","policies":["p.init"]},"purpose":"setup","request":"req-1",
///  "flags":["keyOperation"],"details":{"k":"v"},"chain":"<64 hex>"}
/// ```
/// `target` members, `purpose` are omitted when absent. Decoding is strict: unknown or missing members, wrong
/// types and out-of-range numbers are errors.
extension AuditEntry: Codable {
    private enum Keys: String, CodingKey, CaseIterable {
        case seq, time, actor, action, target, fields, decision, purpose, request, flags, details, chain
    }
    private enum ActorKeys: String, CodingKey, CaseIterable { case id, role }
    private enum TargetKeys: String, CodingKey, CaseIterable { case collection, record, subject }
    private enum DecisionKeys: String, CodingKey, CaseIterable { case effect, policies }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        try Self.rejectUnknownKeys(in: decoder, allowed: Keys.allCases.map(\.rawValue), path: "entry")
        let actorContainer = try container.nestedContainer(keyedBy: ActorKeys.self, forKey: .actor)
        try Self.rejectUnknownKeys(in: try container.superDecoder(forKey: .actor), allowed: ActorKeys.allCases.map(\.rawValue), path: "actor")
        let targetContainer = try container.nestedContainer(keyedBy: TargetKeys.self, forKey: .target)
        try Self.rejectUnknownKeys(in: try container.superDecoder(forKey: .target), allowed: TargetKeys.allCases.map(\.rawValue), path: "target")
        let decisionContainer = try container.nestedContainer(keyedBy: DecisionKeys.self, forKey: .decision)
        try Self.rejectUnknownKeys(in: try container.superDecoder(forKey: .decision), allowed: DecisionKeys.allCases.map(\.rawValue), path: "decision")

        let effectName = try decisionContainer.decode(String.self, forKey: .effect)
        guard let effect: AuditDecision.Effect = effectName == "allow" ? .allow : effectName == "deny" ? .deny : nil else {
            throw AuditError.malformedEntry("decision.effect is \"\(effectName.prefix(40))\", expected \"allow\" or \"deny\"")
        }
        var flags = AuditFlags()
        for name in try container.decode([String].self, forKey: .flags) {
            guard let flag = AuditFlags(name: name) else {
                throw AuditError.malformedEntry("flags: unknown flag \"\(name.prefix(40))\"")
            }
            flags.insert(flag)
        }
        let chainText = try container.decode(String.self, forKey: .chain)
        guard let chain = [UInt8](hexString: chainText), chain.count == 32 else {
            throw AuditError.malformedEntry("chain is not 64 hex digits")
        }
        let draft = AuditEntryDraft(
            actor: AuditActor(id: try actorContainer.decode(String.self, forKey: .id), role: try actorContainer.decode(String.self, forKey: .role)),
            action: try container.decode(String.self, forKey: .action),
            target: AuditTarget(
                collection: try targetContainer.decodeIfPresent(String.self, forKey: .collection),
                recordID: try targetContainer.decodeIfPresent(String.self, forKey: .record),
                subjectID: try targetContainer.decodeIfPresent(String.self, forKey: .subject)),
            fieldsTouched: try container.decode([String].self, forKey: .fields),
            decision: AuditDecision(effect, policyIDs: try decisionContainer.decode([String].self, forKey: .policies)),
            purpose: try container.decodeIfPresent(String.self, forKey: .purpose),
            requestID: try container.decode(String.self, forKey: .request),
            flags: flags,
            details: try container.decode([String: String].self, forKey: .details))
        self.init(
            seq: try container.decode(UInt64.self, forKey: .seq),
            time: AuditTime(millisecondsSince1970: try container.decode(Int64.self, forKey: .time)),
            draft: draft, chainHash: chain)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(seq, forKey: .seq)
        try container.encode(time.millisecondsSince1970, forKey: .time)
        var actorContainer = container.nestedContainer(keyedBy: ActorKeys.self, forKey: .actor)
        try actorContainer.encode(actor.id, forKey: .id)
        try actorContainer.encode(actor.role, forKey: .role)
        try container.encode(action, forKey: .action)
        var targetContainer = container.nestedContainer(keyedBy: TargetKeys.self, forKey: .target)
        try targetContainer.encodeIfPresent(target.collection, forKey: .collection)
        try targetContainer.encodeIfPresent(target.recordID, forKey: .record)
        try targetContainer.encodeIfPresent(target.subjectID, forKey: .subject)
        try container.encode(fieldsTouched, forKey: .fields)
        var decisionContainer = container.nestedContainer(keyedBy: DecisionKeys.self, forKey: .decision)
        try decisionContainer.encode(decision.effect == .allow ? "allow" : "deny", forKey: .effect)
        try decisionContainer.encode(decision.policyIDs, forKey: .policies)
        try container.encodeIfPresent(purpose, forKey: .purpose)
        try container.encode(requestID, forKey: .request)
        try container.encode(flags.names, forKey: .flags)
        try container.encode(details, forKey: .details)
        try container.encode(chainHash.hexString, forKey: .chain)
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private static func rejectUnknownKeys(in decoder: any Decoder, allowed: [String], path: String) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        if let unknown = container.allKeys.first(where: { !allowed.contains($0.stringValue) }) {
            throw AuditError.malformedEntry("\(path) has an unknown member \"\(unknown.stringValue.prefix(40))\"")
        }
    }

    /// The entry as one line of JSON (no trailing newline), members in a fixed order.
    public var jsonLine: String {
        var out = "{\"seq\":\(seq),\"time\":\(time.millisecondsSince1970),\"actor\":{\"id\":"
        out.appendJSONString(actor.id)
        out += ",\"role\":"
        out.appendJSONString(actor.role)
        out += "},\"action\":"
        out.appendJSONString(action)
        out += ",\"target\":{"
        var first = true
        for (key, value) in [("collection", target.collection), ("record", target.recordID), ("subject", target.subjectID)] {
            guard let value else { continue }
            if !first { out += "," }
            first = false
            out += "\"\(key)\":"
            out.appendJSONString(value)
        }
        out += "},\"fields\":"
        out.appendJSONArray(fieldsTouched)
        out += ",\"decision\":{\"effect\":\"\(decision.effect == .allow ? "allow" : "deny")\",\"policies\":"
        out.appendJSONArray(decision.policyIDs)
        out += "}"
        if let purpose {
            out += ",\"purpose\":"
            out.appendJSONString(purpose)
        }
        out += ",\"request\":"
        out.appendJSONString(requestID)
        out += ",\"flags\":"
        out.appendJSONArray(flags.names)
        out += ",\"details\":{"
        for (index, key) in details.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
            if index > 0 { out += "," }
            out.appendJSONString(key)
            out += ":"
            out.appendJSONString(details[key] ?? "")
        }
        out += "},\"chain\":\"\(chainHash.hexString)\"}"
        return out
    }

    /// Decodes one JSON line; errors name the member that is wrong.
    public init(jsonLine: some StringProtocol) throws {
        do {
            self = try JSONDecoder().decode(AuditEntry.self, from: Data(jsonLine.utf8))
        } catch let error as AuditError {
            throw error
        } catch {
            throw AuditError.malformedEntry(JSONErrorText.describe(error), cause: error)
        }
    }
}

extension String {
    mutating func appendJSONString(_ value: String) {
        append("\"")
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": append("\\\"")
            case "\\": append("\\\\")
            case "\n": append("\\n")
            case "\r": append("\\r")
            case "\t": append("\\t")
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default: unicodeScalars.append(scalar)
            }
        }
        append("\"")
    }

    mutating func appendJSONArray(_ values: [String]) {
        append("[")
        for (index, value) in values.enumerated() {
            if index > 0 { append(",") }
            appendJSONString(value)
        }
        append("]")
    }
}

/// Turns a `DecodingError` into a sentence naming the member.
enum JSONErrorText {
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else {
            if let audit = error as? AuditError { return audit.message }
            return "not valid JSON"
        }
        func path(_ context: DecodingError.Context) -> String {
            let parts = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return parts.isEmpty ? "the line" : parts.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(path(context)) has the wrong type (expected \(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context)) is null or missing (expected \(type))"
        case .keyNotFound(let key, let context):
            let parent = context.codingPath.isEmpty ? "" : path(context) + "."
            return "\(parent)\(key.stringValue) is missing"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "not valid JSON (truncated or corrupted)" }
            return "\(path(context)) is out of range or invalid"
        @unknown default:
            return "not valid JSON"
        }
    }
}

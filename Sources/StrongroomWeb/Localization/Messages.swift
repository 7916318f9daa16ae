import Yams

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The portal's interface texts in one language, read from `Messages/<language>.yaml`.
///
/// A file has `language`, `name` (the language's own name, for the switch), `plural_categories` (the CLDR plural
/// categories the language uses) and `messages`: nested mappings whose leaves are texts, or plural mappings with
/// one text per category (`one: "1 request"`, `other: "{count} requests"`). Texts take `{name}` placeholders.
public struct MessageBundle: Sendable {
    /// Lower-case primary language subtag (`hu`, `en`).
    public let language: String
    /// The language's name in itself (`Magyar`, `English`).
    public let name: String
    /// The CLDR plural categories this language distinguishes for cardinal numbers.
    public let pluralCategories: [String]
    /// Dotted key (`nav.sign_in`) → text.
    public let texts: [String: String]
    /// Dotted key → category → text, for plural messages.
    public let plurals: [String: [String: String]]
    /// The nested tree, for templates (`{{t.nav.sign_in}}`).
    public let tree: [String: any Sendable]

    /// Parses one message file.
    /// - Throws: ``MessageFileError`` naming the key that is wrong.
    public init(yaml text: String, file: String) throws {
        guard let root = try? Yams.load(yaml: text) as? [String: Any] else {
            throw MessageFileError(file: file, message: "not a YAML mapping")
        }
        guard let language = root["language"] as? String, !language.isEmpty else {
            throw MessageFileError(file: file, message: "`language` is missing")
        }
        guard let name = root["name"] as? String else { throw MessageFileError(file: file, message: "`name` is missing") }
        guard let categories = root["plural_categories"] as? [String], !categories.isEmpty,
            categories.allSatisfy(PluralRules.allCategories.contains)
        else {
            throw MessageFileError(file: file, message: "`plural_categories` must list CLDR categories (zero, one, two, few, many, other)")
        }
        guard let messages = root["messages"] as? [String: Any] else {
            throw MessageFileError(file: file, message: "`messages` is missing")
        }
        var texts: [String: String] = [:]
        var plurals: [String: [String: String]] = [:]
        func walk(_ node: [String: Any], prefix: String) throws -> [String: any Sendable] {
            var out: [String: any Sendable] = [:]
            for (key, value) in node {
                let path = prefix.isEmpty ? key : prefix + "." + key
                if let text = value as? String {
                    texts[path] = text
                    out[key] = text
                } else if let map = value as? [String: Any], !map.isEmpty, map.keys.allSatisfy(PluralRules.allCategories.contains) {
                    var forms: [String: String] = [:]
                    for (category, form) in map {
                        guard let form = form as? String else { throw MessageFileError(file: file, message: "`\(path).\(category)` must be text") }
                        forms[category] = form
                    }
                    plurals[path] = forms
                } else if let map = value as? [String: Any] {
                    out[key] = try walk(map, prefix: path)
                } else {
                    throw MessageFileError(file: file, message: "`\(path)` must be text, a plural mapping or a mapping of messages")
                }
            }
            return out
        }
        let tree = try walk(messages, prefix: "")
        self.language = language
        self.name = name
        self.pluralCategories = categories
        self.texts = texts
        self.plurals = plurals
        self.tree = tree
    }

    /// The text for `key` with `{name}` placeholders replaced; the key itself when missing (a check test keeps that
    /// from happening).
    public func text(_ key: String, _ arguments: [String: String] = [:]) -> String {
        Self.fill(texts[key] ?? key, arguments)
    }

    /// The plural form of `key` for `count`, with `{count}` and the other placeholders filled.
    public func plural(_ key: String, count: Int, _ arguments: [String: String] = [:]) -> String {
        let category = PluralRules.category(of: count, language: language)
        let forms = plurals[key] ?? [:]
        let form = forms[category] ?? forms["other"] ?? key
        var all = arguments
        all["count"] = String(count)
        return Self.fill(form, all)
    }

    /// `template` with each `{name}` that `arguments` has replaced by its value (in one pass; a brace with no such
    /// name stays as it is).
    static func fill(_ template: String, _ arguments: [String: String]) -> String {
        guard !arguments.isEmpty, template.utf8.contains(UInt8(ascii: "{")) else { return template }
        var result = ""
        result.reserveCapacity(template.utf8.count + 32)
        var rest = template[...]
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            let afterOpen = rest.index(after: open)
            if let close = rest[afterOpen...].firstIndex(of: "}"), let value = arguments[String(rest[afterOpen..<close])] {
                result += value
                rest = rest[rest.index(after: close)...]
            } else {
                result += "{"
                rest = rest[afterOpen...]
            }
        }
        result += rest
        return result
    }
}

/// A message file that cannot be used.
public struct MessageFileError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let message: String
    public var description: String { "\(file): \(message)" }
}

/// CLDR cardinal plural rules for the languages the portal ships, with "other" for the rest.
public enum PluralRules {
    public static let allCategories: Set<String> = ["zero", "one", "two", "few", "many", "other"]

    /// The category of the integer `n` in `language`.
    public static func category(of n: Int, language: String) -> String {
        switch language {
        // English, Hungarian, German, Dutch, Swedish...: "one" for exactly 1.
        case "en", "hu", "de", "nl", "sv", "da", "nb", "fi", "et", "it", "es", "el", "bg":
            return n == 1 ? "one" : "other"
        case "fr", "pt":
            return n == 0 || n == 1 ? "one" : (n != 0 && n % 1_000_000 == 0 ? "many" : "other")
        default:
            return "other"
        }
    }
}

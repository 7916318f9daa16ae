import Foundation
import Sodium

/// Reads `Vectors/NAME.txt`: blocks of `key = hex` lines separated by blank lines; `#` starts a comment.
struct VectorFile {
    let cases: [[String: [UInt8]]]

    init(named name: String) throws {
        guard let url = Bundle.module.url(forResource: name, withExtension: "txt", subdirectory: "Vectors") else {
            throw VectorFileError(message: "missing vector file \(name).txt")
        }
        let text = try String(contentsOf: url, encoding: .utf8)
        var cases: [[String: [UInt8]]] = []
        var current: [String: [UInt8]] = [:]
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") { continue }
            if line.isEmpty {
                if !current.isEmpty { cases.append(current); current = [:] }
                continue
            }
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let bytes = [UInt8](hexString: parts[1]) else {
                throw VectorFileError(message: "bad line in \(name).txt: \(line)")
            }
            current[parts[0]] = bytes
        }
        if !current.isEmpty { cases.append(current) }
        self.cases = cases
    }
}

struct VectorFileError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

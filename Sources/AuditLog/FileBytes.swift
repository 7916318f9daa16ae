#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Small, bounded whole-file reads and atomic writes for keys, checkpoints and bundles.
enum FileBytes {
    static func read(_ path: String, limit: Int) throws -> [UInt8] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw AuditError.io("cannot read \(path); check that the file exists and is readable", cause: error)
        }
        guard data.count <= limit else { throw AuditError.io("\(path) is larger than the \(limit)-byte limit for this kind of file") }
        return [UInt8](data)
    }

    static func readText(_ path: String, limit: Int) throws -> String {
        let bytes = try read(path, limit: limit)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw AuditError.io("\(path) is not UTF-8 text") }
        return text
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw AuditError.io("cannot write \(path); check that the directory exists and is writable", cause: error)
        }
    }
}

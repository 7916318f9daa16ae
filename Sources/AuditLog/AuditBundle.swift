#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A portable export of the log that an auditor copies away and verifies anywhere: one UTF-8 file of JSON lines.
///
/// ```
/// {"format":"strongroom-audit-bundle","version":1,"origin":"…","publicKeys":["<verifier key>",…]}
/// {"checkpoint":"<signed note text>"}          (zero or more, oldest first)
/// {"seq":0,…}                                   (every entry, in order, as ``AuditEntry/jsonLine``)
/// {"end":{"entries":N,"checkpoints":M}}
/// ```
/// The keys in the header are informational: the verifier trusts only keys the auditor supplies.
public struct AuditBundle: AuditEntrySource {
    /// The format name in the header.
    public static let formatName = "strongroom-audit-bundle"

    /// The origin the bundle declares.
    public let origin: String
    /// The public keys the bundle ships (not trusted by the verifier).
    public let publicKeys: [AuditVerifierKey]
    /// The path read.
    public let path: String
    private let storedCheckpoints: [SignedCheckpoint]
    private let declaredEntries: UInt64
    private let firstEntryLine: Int

    /// A warning when `path`'s directory can be written by group or others, for the CLI to print; `nil` otherwise.
    public static func outputDirectoryWarning(for path: String) -> String? { LineFileWriter.looseDirectoryWarning(for: path) }

    /// Writes `source` to `path` (atomically, owner-only: a fresh `.partial-N` file, mode 0600, renamed at the end).
    ///
    /// - Parameters:
    ///   - source: the store (read as one snapshot if it supports that).
    ///   - origin: the log's origin.
    ///   - publicKeys: the verifier keys to ship for convenience.
    /// - Returns: how many entries were written.
    @discardableResult
    public static func write(
        from source: some AuditEntrySource, origin: String, publicKeys: [AuditVerifierKey], to path: String
    ) throws -> UInt64 {
        let writer = try LineFileWriter(path: path)
        var header = "{\"format\":\"\(formatName)\",\"version\":1,\"origin\":"
        header.appendJSONString(origin)
        header += ",\"publicKeys\":"
        header.appendJSONArray(publicKeys.map(\.text))
        header += "}"
        try writer.writeLine(header)
        let checkpoints = try source.checkpoints()
        for checkpoint in checkpoints {
            var line = "{\"checkpoint\":"
            line.appendJSONString(checkpoint.text)
            try writer.writeLine(line + "}")
        }
        var count: UInt64 = 0
        try source.forEachEntry { entry in
            try writer.writeLine(entry.jsonLine)
            count += 1
            return true
        }
        try writer.writeLine("{\"end\":{\"entries\":\(count),\"checkpoints\":\(checkpoints.count)}}")
        try writer.finish()
        return count
    }

    private struct Header: Decodable {
        let format: String
        let version: Int
        let origin: String
        let publicKeys: [String]
    }
    private struct CheckpointLine: Decodable { let checkpoint: String }
    private struct EndLine: Decodable {
        struct Counts: Decodable {
            let entries: UInt64
            let checkpoints: Int
        }
        let end: Counts
    }

    /// Opens a bundle: reads and checks the header, the checkpoints and the end line; entries are streamed later.
    ///
    /// - Throws: ``AuditError/malformedBundle(_:cause:)`` naming the line and what is wrong; ``AuditError/io(_:cause:)``.
    public static func read(_ path: String) throws -> AuditBundle {
        try AuditBundle(path: path)
    }

    private init(path: String) throws {
        self.path = path
        let file = try LineFile(path: path)
        let decoder = JSONDecoder()
        guard let (headerLine, _) = try file.next() else { throw AuditError.malformedBundle("\(path) is empty") }
        let header: Header
        do {
            header = try decoder.decode(Header.self, from: Data(headerLine))
        } catch {
            throw AuditError.malformedBundle("\(path) line 1 is not a bundle header: \(JSONErrorText.describe(error))", cause: error)
        }
        guard header.format == Self.formatName, header.version == 1 else {
            throw AuditError.malformedBundle("\(path) is not a version 1 \(Self.formatName) (found \(header.format.prefix(40)) version \(header.version))")
        }
        origin = header.origin
        publicKeys = try header.publicKeys.map { text in
            do { return try AuditVerifierKey(text: text) } catch let error as AuditError {
                throw AuditError.malformedBundle("\(path) line 1: a public key is invalid: \(error.message)")
            }
        }
        var checkpoints: [SignedCheckpoint] = []
        var entryLine = 2
        while let (line, _) = try file.next() {
            guard line.starts(with: Array("{\"checkpoint\"".utf8)) else { break }
            do {
                let text = try decoder.decode(CheckpointLine.self, from: Data(line)).checkpoint
                checkpoints.append(try SignedCheckpoint(text: text))
            } catch {
                throw AuditError.malformedBundle("\(path) line \(file.lineNumber): bad checkpoint: \(JSONErrorText.describe(error))", cause: error)
            }
            entryLine += 1
        }
        storedCheckpoints = checkpoints
        firstEntryLine = entryLine
        let end = try Self.readEnd(path: path, decoder: decoder)
        guard end.end.checkpoints == checkpoints.count else {
            throw AuditError.malformedBundle("\(path) declares \(end.end.checkpoints) checkpoints but holds \(checkpoints.count)")
        }
        declaredEntries = end.end.entries
    }

    /// Reads the last line, which must be the end line.
    private static func readEnd(path: String, decoder: JSONDecoder) throws -> EndLine {
        let handle = try LineFile(path: path)
        var last: (line: [UInt8], terminated: Bool)?
        var lineNumber = 0
        // Streams the file once; the last line is the end line (a bundle is read sequentially anyway).
        while let next = try handle.next() {
            last = next
            lineNumber = handle.lineNumber
        }
        guard let last, last.terminated, last.line.starts(with: Array("{\"end\"".utf8)) else {
            throw AuditError.malformedBundle("\(path) is truncated: its last line (\(lineNumber)) is not the end line")
        }
        do {
            return try decoder.decode(EndLine.self, from: Data(last.line))
        } catch {
            throw AuditError.malformedBundle("\(path) line \(lineNumber): bad end line: \(JSONErrorText.describe(error))", cause: error)
        }
    }

    public func entryCount() throws -> UInt64 { declaredEntries }

    public func checkpoints() throws -> [SignedCheckpoint] { storedCheckpoints }

    public func forEachEntry(_ body: (AuditEntry) throws -> Bool) throws {
        let file = try LineFile(path: path)
        let decoder = JSONDecoder()
        for _ in 1..<firstEntryLine { _ = try file.next() }
        var count: UInt64 = 0
        while let (line, _) = try file.next() {
            if line.starts(with: Array("{\"end\"".utf8)) {
                guard count == declaredEntries else {
                    throw AuditError.malformedBundle("\(path) declares \(declaredEntries) entries but holds \(count)")
                }
                guard try file.next() == nil else {
                    throw AuditError.malformedBundle("\(path) line \(file.lineNumber): data after the end line")
                }
                return
            }
            let entry: AuditEntry
            do {
                entry = try decoder.decode(AuditEntry.self, from: Data(line))
            } catch {
                throw AuditError.malformedBundle("\(path) line \(file.lineNumber) (entry \(count)): \(JSONErrorText.describe(error))", cause: error)
            }
            count += 1
            guard try body(entry) else { return }
        }
        throw AuditError.malformedBundle("\(path) is truncated after line \(file.lineNumber)")
    }
}

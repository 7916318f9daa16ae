#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file line by line through a fixed buffer, refusing lines over a limit, so memory stays flat.
final class LineFile {
    private let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    private var start = 0
    private var end = 0
    private var atEOF = false
    let path: String
    let maximumLineLength: Int
    /// 1-based number of the last line returned.
    private(set) var lineNumber = 0

    init(path: String, maximumLineLength: Int = 1 << 20) throws {
        self.path = path
        self.maximumLineLength = maximumLineLength
        fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw AuditError.io("cannot open \(path); check that it exists and is readable") }
    }

    deinit { close(fd) }

    /// The next line without its newline; `nil` at the end. A final line without a newline is returned too, with
    /// `terminated` false.
    func next() throws -> (line: [UInt8], terminated: Bool)? {
        var line = [UInt8]()
        while true {
            if start < end {
                if let newline = buffer[start..<end].firstIndex(of: 0x0a) {
                    line.append(contentsOf: buffer[start..<newline])
                    start = newline + 1
                    lineNumber += 1
                    return (line, true)
                }
                line.append(contentsOf: buffer[start..<end])
                start = end
                guard line.count <= maximumLineLength else {
                    throw AuditError.malformedBundle("\(path) line \(lineNumber + 1) is longer than \(maximumLineLength) bytes")
                }
            }
            if atEOF {
                guard !line.isEmpty else { return nil }
                lineNumber += 1
                return (line, false)
            }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count >= 0 else { throw AuditError.io("reading \(path) failed (errno \(errno))") }
            if count == 0 { atEOF = true }
            start = 0
            end = count
        }
    }
}

/// Writes a file through a buffer; `finish()` fsyncs, closes and renames it into place.
final class LineFileWriter {
    private let fd: Int32
    private var buffer = [UInt8]()
    private let temporaryPath: String
    private let path: String

    /// Creates a fresh temporary file beside `path`, owner-only (0600), refusing to follow or reuse anything already
    /// there (`O_EXCL | O_NOFOLLOW`): someone who can write the directory cannot redirect the export through a
    /// planted symlink or read it through a file they created first. `rename` at the end replaces `path` itself,
    /// never what a symlink there points to.
    init(path: String) throws {
        self.path = path
        temporaryPath = path + ".partial-\(UInt32.random(in: 0...UInt32.max))"
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw AuditError.io("cannot create \(temporaryPath); check that the directory exists and is writable") }
        _ = fchmod(fd, 0o600)
        buffer.reserveCapacity(1 << 17)
    }

    /// A warning when the directory `path` is written to can be written by group or others (they could replace or
    /// remove the file after it is written), else `nil`.
    static func looseDirectoryWarning(for path: String) -> String? {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? "."
        var info = stat()
        guard stat(directory, &info) == 0, info.st_mode & 0o022 != 0 else { return nil }
        let sticky = info.st_mode & 0o1000 != 0
        return "\(directory) can be written by group or others\(sticky ? " (sticky, so they cannot replace this file, but can read its name)" : ""): write exports to a directory only you can write (chmod go-w)"
    }

    deinit {
        close(fd)
        unlink(temporaryPath)
    }

    func writeLine(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        buffer.append(0x0a)
        if buffer.count >= 1 << 16 { try flush() }
    }

    private func flush() throws {
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            guard written > 0 else { throw AuditError.io("writing \(temporaryPath) failed (errno \(errno))") }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }

    func finish() throws {
        try flush()
        guard fsync(fd) == 0, rename(temporaryPath, path) == 0 else {
            throw AuditError.io("could not save \(path) (errno \(errno))")
        }
    }
}

import Foundation
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Looks for plaintext needles in every file under some directories: what a canary test uses to prove that nothing
/// personal reached the disk. Whole directories are scanned (databases, their WAL, shared-memory and rollback
/// journals, key files, anything a change adds later), not a list of names.
public struct PlaintextScan: Sendable {
    /// One needle found in one file.
    public struct Finding: Sendable, CustomStringConvertible {
        public let path: String
        public let needle: String
        public var description: String { "\(path): \(needle)" }
    }

    public let needles: [String]
    /// How many files and bytes the last scans read (a scan that read nothing proves nothing).
    public private(set) var filesScanned = 0
    public private(set) var bytesScanned = 0

    public init(needles: [String]) {
        self.needles = needles
    }

    /// Whether `needle` occurs in `haystack` (memchr for the first byte, then memcmp: fast enough for whole data
    /// directories).
    public static func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
        let bytes = Array(needle.utf8)
        guard !bytes.isEmpty, haystack.count >= bytes.count else { return false }
        return haystack.withUnsafeBytes { hay in
            bytes.withUnsafeBytes { pin in
                let base = hay.baseAddress!, last = hay.count - pin.count
                var offset = 0
                while offset <= last {
                    guard let found = memchr(base + offset, Int32(pin[0]), last - offset + 1) else { return false }
                    let at = base.distance(to: UnsafeRawPointer(found))
                    if memcmp(base + at, pin.baseAddress!, pin.count) == 0 { return true }
                    offset = at + 1
                }
                return false
            }
        }
    }

    /// Every regular file under `directory`, recursively (symbolic links are not followed).
    public static func files(under directory: String, modifiedSince: Date? = nil) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        var paths: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let path = (directory as NSString).appendingPathComponent(relative)
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            if let modifiedSince, Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9 < modifiedSince.timeIntervalSince1970 - 1 {
                continue
            }
            paths.append(path)
        }
        return paths
    }

    /// Scans the given files (a file that vanished meanwhile is skipped: another test's temporary file).
    public mutating func scan(files paths: [String], label: String = "") -> [Finding] {
        var findings: [Finding] = []
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let bytes = [UInt8](data)
            filesScanned += 1
            bytesScanned += bytes.count
            for needle in needles where Self.contains(bytes, needle) {
                findings.append(Finding(path: label.isEmpty ? path : "\(label) \(path)", needle: needle))
            }
        }
        return findings
    }

    /// Scans every file under each directory.
    public mutating func scan(directories: [String], label: String = "") -> [Finding] {
        directories.flatMap { scan(files: Self.files(under: $0), label: label) }
    }

    /// Scans the files of the process's temporary directory written since `date` (the test's start): a temporary
    /// file the code made and forgot is found here. Files of tests running beside this one are scanned too, which
    /// is harmless, since needles are unique to one run.
    public mutating func scanTemporaryFiles(since date: Date) -> [Finding] {
        scan(files: Self.files(under: NSTemporaryDirectory(), modifiedSince: date), label: "temporary")
    }
}

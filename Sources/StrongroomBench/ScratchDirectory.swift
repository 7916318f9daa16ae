import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A fresh directory (mode 0700) under the system temporary directory, removed when released.
final class ScratchDirectory: Sendable {
    let path: String

    init(prefix: String) throws {
        var template = Array("\(NSTemporaryDirectory())/\(prefix)-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw BenchError("could not create a temporary directory under \(NSTemporaryDirectory()); check that it exists and is writable")
        }
        path = String(cString: made)
    }

    func appending(_ component: String) -> String { path + "/" + component }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A benchmark that could not run: what failed and what to do.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

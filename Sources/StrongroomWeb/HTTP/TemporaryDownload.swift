import Foundation
import Hummingbird
import NIOCore

/// A download written to a private temporary directory first (too large to hold in memory), then streamed in chunks
/// and removed with its directory once the response body has been written or has failed.
enum TemporaryDownload {
    /// A new directory only this process's user can enter (0700), for one download.
    static func makeDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "strongroom-download-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        return path
    }

    static func remove(_ directory: String) { try? FileManager.default.removeItem(atPath: directory) }

    /// The file at `path` as a response body, 64 KiB at a time; `directory` is removed afterwards.
    static func body(path: String, directory: String) -> ResponseBody {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int
        return ResponseBody(contentLength: size) { writer in
            defer { remove(directory) }
            guard let handle = FileHandle(forReadingAtPath: path) else { return }
            defer { try? handle.close() }
            while let chunk = try handle.read(upToCount: 64 * 1024), !chunk.isEmpty {
                try await writer.write(ByteBuffer(bytes: chunk))
            }
            try await writer.finish(nil)
        }
    }
}

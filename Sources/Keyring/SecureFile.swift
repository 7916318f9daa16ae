import Sodium

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading and writing key files: atomic, durable, owner-only.
package enum SecureFile {
    /// Writes `bytes` to `path` via a temporary file that is fsynced and renamed, then fsyncs the directory,
    /// so a crash leaves either the old file or the new one, never half a key.
    package static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) throws {
        let directory = parentDirectory(of: path)
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw KeyringError.io("creating \(temporary)", errno: errno) }
        var ok = false
        defer {
            if !ok { unlink(temporary) }
        }
        do {
            defer { close(fd) }
            _ = fchmod(fd, mode)
            var offset = 0
            try bytes.withUnsafeBytes { buffer in
                while offset < buffer.count {
                    let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw KeyringError.io("writing \(temporary)", errno: errno)
                    }
                    offset += n
                }
            }
            guard fsync(fd) == 0 else { throw KeyringError.io("fsync of \(temporary)", errno: errno) }
        }
        guard rename(temporary, path) == 0 else { throw KeyringError.io("renaming \(temporary) to \(path)", errno: errno) }
        ok = true
        try syncDirectory(directory)
    }

    /// fsyncs a directory so a rename or unlink in it is durable.
    package static func syncDirectory(_ directory: String) throws {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw KeyringError.io("opening \(directory)", errno: errno) }
        defer { close(fd) }
        _ = fsync(fd)
    }

    /// Reads a key file after checking it is a regular file owned by us with no group or other permissions.
    package static func readChecked(_ path: String, maximumSize: Int = 1 << 20) throws -> [UInt8] {
        let info = try checkOwnerOnly(path)
        guard Int(info.st_size) <= maximumSize else { throw KeyringError.corrupt(path, "file is too large") }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw KeyringError.io("opening \(path)", errno: errno) }
        defer { close(fd) }
        var result = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw KeyringError.io("reading \(path)", errno: errno)
            }
            if n == 0 { break }
            result.append(contentsOf: chunk[0..<n])
            guard result.count <= maximumSize else { throw KeyringError.corrupt(path, "file is too large") }
        }
        SecretBytes.wipe(&chunk)
        return result
    }

    /// Checks that `path` is a regular file (not a symlink) owned by us with no group or other permissions, as every
    /// key file must be.
    ///
    /// - Throws: ``KeyringError`` naming the file and the `chmod`/`chown` that fixes it.
    @discardableResult
    package static func checkOwnerOnly(_ path: String) throws -> stat {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { throw KeyringError.fileMissing(path) }
            throw KeyringError.io("stat of \(path)", errno: errno)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw KeyringError.corrupt(path, "not a regular file") }
        guard info.st_mode & 0o077 == 0 else { throw KeyringError.filePermissions(path, mode: UInt32(info.st_mode)) }
        guard info.st_uid == geteuid() else { throw KeyringError.fileOwner(path) }
        return info
    }

    /// Whether anything exists at `path`.
    package static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Removes a file and makes the removal durable. Missing files are fine.
    package static func remove(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT { throw KeyringError.io("removing \(path)", errno: errno) }
        try syncDirectory(parentDirectory(of: path))
    }

    package static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }
}

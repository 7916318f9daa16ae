#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The identity of a file's content as the file system reports it: inode, size and modification time.
///
/// Key files are replaced by rename, so any rewrite gives a new inode; comparing stamps is a cheap `stat` that
/// tells whether `keyring.json` changed since it was read.
struct FileStamp: Equatable, Sendable {
    let inode: UInt64
    let size: Int64
    let modifiedSeconds: Int64
    let modifiedNanoseconds: Int64

    /// The stamp of `path`, or `nil` when it cannot be stat'ed.
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        #if canImport(Darwin)
        modifiedSeconds = Int64(info.st_mtimespec.tv_sec)
        modifiedNanoseconds = Int64(info.st_mtimespec.tv_nsec)
        #else
        modifiedSeconds = Int64(info.st_mtim.tv_sec)
        modifiedNanoseconds = Int64(info.st_mtim.tv_nsec)
        #endif
    }
}

/// An exclusive `flock` on the key directory itself, held by every process while it changes key files, so two
/// operations (say, a data-key rotation and a root rotation) never interleave their read-modify-write.
enum DirectoryLock {
    static func withExclusive<T>(_ directory: KeyDirectory, _ body: () throws -> T) throws -> T {
        let fd = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw KeyringError.io("opening \(directory.path) to lock it", errno: errno) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw KeyringError.io("locking \(directory.path)", errno: errno) }
        }
        defer { _ = flock(fd, LOCK_UN) }
        return try body()
    }
}

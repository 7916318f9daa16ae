import ArgumentParser
import Synchronization
import Keyring
import Sodium

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Where the keys and data live. Defaults are relative to the current directory.
struct LocationOptions: ParsableArguments {
    @Option(name: .long, help: "The key directory (mode 0700).")
    var keys: String = "./Keys"

    @Option(name: .long, help: "The data directory holding the SQLite database.")
    var data: String = "./data"

    var keyDirectory: KeyDirectory { KeyDirectory(path: keys) }
}

/// How to obtain the root key passphrase, when the root key is protected by one.
struct PassphraseOptions: ParsableArguments {
    @Option(name: .long, help: "Read the root key passphrase from this file (first line). Otherwise STRONGROOM_ROOT_PASSPHRASE is used.")
    var passphraseFile: String?

    /// The passphrase taken from the environment, kept for this process's later reads (the CLI's commands read it
    /// once each; the variable itself is cleared at the first read).
    static let environmentPassphrase = Mutex<SecretBytes?>(nil)

    /// The passphrase from the file or the environment; `nil` when neither is given.
    func passphrase() throws -> [UInt8]? {
        if let passphraseFile {
            guard let handle = fopen(passphraseFile, "r") else {
                throw ValidationError("cannot read the passphrase file \(passphraseFile)")
            }
            defer { fclose(handle) }
            var line = [CChar](repeating: 0, count: 4096)
            guard fgets(&line, Int32(line.count), handle) != nil else { throw ValidationError("the passphrase file \(passphraseFile) is empty") }
            let bytes = line.prefix { $0 != 0 && $0 != 10 && $0 != 13 }.map { UInt8(bitPattern: $0) }
            line.withUnsafeMutableBytes { if let base = $0.baseAddress { memset(base, 0, $0.count) } }
            guard !bytes.isEmpty else { throw ValidationError("the passphrase file \(passphraseFile) is empty") }
            // The caller's copy is the only one left; the key ring keeps it in guarded memory when it needs it later.
            return bytes
        }
        if let value = getenv("STRONGROOM_ROOT_PASSPHRASE") {
            let count = strlen(value)
            // Read once into guarded memory, then out of the environment: child processes and /proc/PID/environ do
            // not see it again (the bytes that were there are overwritten first).
            let kept = count == 0 ? nil : try SecretBytes(copying: UnsafeRawBufferPointer(start: value, count: count))
            memset(value, 0, count)
            unsetenv("STRONGROOM_ROOT_PASSPHRASE")
            Self.environmentPassphrase.withLock { $0 = kept }
        }
        // The caller gets its own copy for the key derivation; the process keeps only the guarded one.
        return Self.environmentPassphrase.withLock { $0?.withUnsafeBytes { Array($0) } }
    }

    /// Opens the key ring, asking for the passphrase only when the root key needs one.
    func openKeyring(_ directory: KeyDirectory) throws -> Keyring {
        let needs = try Keyring.needsPassphrase(directory)
        return try Keyring.open(directory, passphrase: needs ? try passphrase() : nil)
    }
}

/// Prints a failure as one clear line on standard error and exits non-zero: never a stack trace.
func fail(_ message: String, code: Int32 = 1) -> ExitCode {
    FileDescriptorOutput.standardError.write("strongroom: error: \(message)\n")
    return ExitCode(code)
}

/// Unbuffered writes to a file descriptor.
struct FileDescriptorOutput: Sendable {
    let fd: Int32
    static let standardOutput = FileDescriptorOutput(fd: 1)
    static let standardError = FileDescriptorOutput(fd: 2)

    func write(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n <= 0 { break }
            offset += n
        }
    }

    var isTerminal: Bool { isatty(fd) == 1 }
}

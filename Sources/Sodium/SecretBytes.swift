import CSodium

/// Key material held in guarded, locked memory.
///
/// Bytes live in memory from `sodium_malloc` (guard pages, `mlock` where the OS allows), are wiped with
/// `sodium_memzero` when the last reference goes away, compare in constant time, and never print.
/// The only access is ``withUnsafeBytes(_:)``; nothing converts a secret to `String`, `Data` or `[UInt8]`.
public final class SecretBytes: @unchecked Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable, Equatable
{
    // @unchecked Sendable: the storage is written only inside the initialiser and is read-only afterwards.
    private let pointer: UnsafeMutableRawPointer
    /// The number of secret bytes.
    public let count: Int

    /// Creates `count` bytes filled by `initializer`, which writes into the guarded buffer directly.
    ///
    /// - Throws: ``SodiumError/outOfMemory`` when secure memory is exhausted, or whatever `initializer` throws
    ///   (the buffer is wiped and freed first).
    public init(count: Int, initializer: (UnsafeMutableRawBufferPointer) throws -> Void) throws {
        precondition(count > 0, "a secret must have at least one byte")
        SodiumLibrary.ensureInitialized()
        guard let memory = sodium_malloc(count) else { throw SodiumError.outOfMemory }
        do {
            try initializer(UnsafeMutableRawBufferPointer(start: memory, count: count))
        } catch {
            sodium_memzero(memory, count)
            sodium_free(memory)
            throw error
        }
        self.pointer = memory
        self.count = count
    }

    /// Creates `count` random bytes from the system CSPRNG.
    public convenience init(randomCount count: Int) throws {
        try self.init(count: count) { buffer in
            randombytes_buf(buffer.baseAddress!, buffer.count)
        }
    }

    /// Copies bytes into guarded memory. The caller remains responsible for wiping its own copy.
    public convenience init(copying bytes: UnsafeRawBufferPointer) throws {
        try self.init(count: bytes.count) { buffer in
            buffer.copyMemory(from: bytes)
        }
    }

    /// Takes bytes from an array and wipes the array, so the only copy left is the guarded one.
    public convenience init(consuming bytes: inout [UInt8]) throws {
        defer { Self.wipe(&bytes) }
        try self.init(count: bytes.count) { buffer in
            bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
        }
    }

    deinit {
        sodium_memzero(pointer, count)
        sodium_free(pointer)
    }

    /// Runs `body` with read access to the secret bytes. Do not let the pointer escape.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// Constant-time equality.
    public static func == (lhs: SecretBytes, rhs: SecretBytes) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return sodium_memcmp(lhs.pointer, rhs.pointer, lhs.count) == 0
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "SecretBytes(<redacted>, \(count) bytes)" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .class) }

    /// Overwrites an array's bytes with zeros in a way the optimiser cannot remove.
    public static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress { sodium_memzero(base, buffer.count) }
        }
    }
}

import CSodium

/// Key material held in guarded, locked memory.
///
/// Bytes live in memory from `sodium_malloc` (guard pages, `mlock` where the OS allows) — secrets of up to 64 bytes
/// in a slot of a shared region (``SecureSlab``), larger ones in their own allocation — are wiped with
/// `sodium_memzero` when the last reference goes away, compare in constant time, and never print.
/// The only access is ``withUnsafeBytes(_:)``; nothing converts a secret to `String`, `Data` or `[UInt8]`.
public final class SecretBytes: @unchecked Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable, Equatable
{
    // @unchecked Sendable: the storage is written only inside the initialiser and is read-only afterwards.
    private let pointer: UnsafeMutableRawPointer
    /// The slab the bytes live in, or `nil` for their own `sodium_malloc`.
    private let slab: SecureSlab?
    /// The number of secret bytes.
    public let count: Int

    /// Creates `count` bytes filled by `initializer`, which writes into the guarded buffer directly.
    ///
    /// - Throws: ``SodiumError/outOfMemory`` when secure memory is exhausted, or whatever `initializer` throws
    ///   (the buffer is wiped and freed first).
    public convenience init(count: Int, initializer: (UnsafeMutableRawBufferPointer) throws -> Void) throws {
        try self.init(count: count, slab: SecureSlab.slab(for: count), initializer: initializer)
    }

    /// - Parameter slab: where the bytes live (`nil`: their own `sodium_malloc`); tests pass a slab of their own.
    init(count: Int, slab: SecureSlab?, initializer: (UnsafeMutableRawBufferPointer) throws -> Void) throws {
        precondition(count > 0, "a secret must have at least one byte")
        precondition(count <= slab?.slotSize ?? count, "a secret must fit its slot")
        SodiumLibrary.ensureInitialized()
        let memory: UnsafeMutableRawPointer
        if let slab {
            memory = try slab.allocate()
        } else {
            guard let allocated = sodium_malloc(count) else { throw SodiumError.outOfMemory }
            memory = allocated
        }
        do {
            try initializer(UnsafeMutableRawBufferPointer(start: memory, count: count))
        } catch {
            Self.free(memory, count: count, slab: slab)
            throw error
        }
        self.pointer = memory
        self.slab = slab
        self.count = count
    }

    private static func free(_ memory: UnsafeMutableRawPointer, count: Int, slab: SecureSlab?) {
        if let slab {
            slab.release(memory)
        } else {
            sodium_memzero(memory, count)
            sodium_free(memory)
        }
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

    /// The UTF-8 bytes of `text` in guarded memory, copied straight from the string's own storage (no array in
    /// between), for a password or passphrase that arrived as text. The string itself is the caller's: Swift cannot
    /// wipe it, so keep it no longer than the request that brought it.
    ///
    /// - Throws: ``SodiumError/invalidInput(_:)`` for an empty text (a secret has at least one byte),
    ///   ``SodiumError/outOfMemory``.
    public static func copyingUTF8(of text: String) throws -> SecretBytes {
        let count = text.utf8.count
        guard count > 0 else { throw SodiumError.invalidInput("an empty text holds no secret") }
        return try SecretBytes(count: count) { buffer in
            let copied: Bool? = text.utf8.withContiguousStorageIfAvailable { utf8 in
                buffer.copyMemory(from: UnsafeRawBufferPointer(utf8))
                return true
            }
            if copied == nil {
                for (offset, byte) in text.utf8.enumerated() { buffer[offset] = byte }
            }
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
        Self.free(pointer, count: count, slab: slab)
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

    /// Overwrites an array's bytes with zeros in a way the optimiser cannot remove — in its storage as it is, even
    /// when other copies share that storage (copy-on-write): a mutable view would first copy the bytes and wipe only
    /// the copy, leaving the secret where it was. Every array that shares the storage reads zeros afterwards, which
    /// is the point for a secret; do not wipe an array whose copies must keep their contents.
    public static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { sodium_memzero(UnsafeMutableRawPointer(mutating: base), buffer.count) }
        }
    }
}

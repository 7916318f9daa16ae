import CSodium

/// BLAKE2b (libsodium's `crypto_generichash`), keyed or not.
public enum BLAKE2b {
    /// Smallest and largest output lengths: 16 and 64 bytes.
    public static let outputRange = Int(crypto_generichash_BYTES_MIN)...Int(crypto_generichash_BYTES_MAX)
    /// Smallest and largest key lengths: 16 and 64 bytes.
    public static let keyRange = Int(crypto_generichash_KEYBYTES_MIN)...Int(crypto_generichash_KEYBYTES_MAX)

    /// The BLAKE2b hash of `message`, optionally keyed (a MAC / PRF).
    ///
    /// - Throws: ``SodiumError`` when the key or output length is out of range.
    public static func hash(_ message: [UInt8], key: SecretBytes? = nil, outputByteCount: Int = 32) throws -> [UInt8] {
        try checkShapes(key: key, outputByteCount: outputByteCount)
        var output = [UInt8](repeating: 0, count: outputByteCount)
        withMutableBytePointer(&output) { out, _ in
            withBytePointer(message) { m, mCount in
                hashInto(out, outputByteCount, m, mCount, key: key)
            }
        }
        return output
    }

    /// Derives a new secret from `key` and a public `context`; the result never leaves guarded memory.
    ///
    /// Used for per-field index keys: `BLAKE2b(key: parent, message: context)`.
    public static func deriveKey(from key: SecretBytes, context: [UInt8], outputByteCount: Int = 32) throws -> SecretBytes {
        try checkShapes(key: key, outputByteCount: outputByteCount)
        return try SecretBytes(count: outputByteCount) { out in
            withBytePointer(context) { m, mCount in
                hashInto(out.bytePointer, outputByteCount, m, mCount, key: key)
            }
        }
    }

    /// Derives a 32-byte key from a public `context` followed by a secret (for example a subject key), keyed by `key`.
    ///
    /// The concatenation is assembled in guarded memory, so the secret is never copied into ordinary memory.
    public static func deriveKey(from key: SecretBytes, context: [UInt8], secret: SecretBytes) throws -> SecretBytes {
        try checkShapes(key: key, outputByteCount: 32)
        let message = try SecretBytes(count: context.count + secret.count) { buffer in
            context.withUnsafeBytes { buffer.copyMemory(from: $0) }
            secret.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[context.count...]).copyMemory(from: $0) }
        }
        return try SecretBytes(count: 32) { out in
            message.withKeyPointer { m in hashInto(out.bytePointer, 32, m, message.count, key: key) }
        }
    }

    private static func checkShapes(key: SecretBytes?, outputByteCount: Int) throws {
        guard outputRange.contains(outputByteCount) else {
            throw SodiumError.invalidInput("BLAKE2b output must be \(outputRange.lowerBound)...\(outputRange.upperBound) bytes")
        }
        if let key, !keyRange.contains(key.count) {
            throw SodiumError.invalidKeyLength(expected: 32, got: key.count)
        }
        SodiumLibrary.ensureInitialized()
    }

    private static func hashInto(
        _ out: UnsafeMutablePointer<UInt8>, _ outCount: Int, _ message: UnsafePointer<UInt8>, _ messageCount: Int,
        key: SecretBytes?
    ) {
        if let key {
            key.withKeyPointer { k in
                _ = crypto_generichash(out, outCount, message, UInt64(messageCount), k, key.count)
            }
        } else {
            _ = crypto_generichash(out, outCount, message, UInt64(messageCount), nil, 0)
        }
    }
}

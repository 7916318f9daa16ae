import CSodium

/// Argon2id password hashing and key derivation (libsodium `crypto_pwhash`).
///
/// These calls take tens to hundreds of milliseconds and a lot of memory on purpose: callers in async code must run
/// them off the cooperative thread pool (see `PasswordHasher` in the service layer).
public enum Argon2id {
    /// Cost parameters.
    public struct Limits: Sendable, Equatable, Codable {
        /// Number of passes.
        public var operations: UInt64
        /// Memory in bytes.
        public var memory: Int

        public init(operations: UInt64, memory: Int) {
            self.operations = operations
            self.memory = memory
        }

        /// libsodium's interactive limits (2 passes, 64 MiB): for logins.
        public static let interactive = Limits(
            operations: UInt64(crypto_pwhash_OPSLIMIT_INTERACTIVE), memory: Int(crypto_pwhash_MEMLIMIT_INTERACTIVE))
        /// libsodium's moderate limits (3 passes, 256 MiB): for protecting the root key file.
        public static let moderate = Limits(
            operations: UInt64(crypto_pwhash_OPSLIMIT_MODERATE), memory: Int(crypto_pwhash_MEMLIMIT_MODERATE))
        /// The smallest limits libsodium accepts. Tests only.
        public static let minimumForTesting = Limits(
            operations: UInt64(crypto_pwhash_OPSLIMIT_MIN), memory: Int(crypto_pwhash_MEMLIMIT_MIN))
    }

    /// Salt length: 16 bytes.
    public static let saltByteCount = Int(crypto_pwhash_SALTBYTES)

    /// An encoded Argon2id hash string (`$argon2id$v=19$m=…`) that embeds salt and limits.
    public static func hashPassword(_ password: [UInt8], limits: Limits = .interactive) throws -> String {
        try password.withUnsafeBytes { try hashPassword(bytes: $0, limits: limits) }
    }

    /// An encoded Argon2id hash of a password held in guarded memory: libsodium reads it where it lies.
    public static func hashPassword(_ password: SecretBytes, limits: Limits = .interactive) throws -> String {
        try password.withUnsafeBytes { try hashPassword(bytes: $0, limits: limits) }
    }

    /// Whether `password` matches the encoded `hash`. A malformed hash is a mismatch.
    public static func verifyPassword(_ password: [UInt8], against hash: String) -> Bool {
        password.withUnsafeBytes { verifyPassword(bytes: $0, against: hash) }
    }

    /// Whether a password held in guarded memory matches the encoded `hash`. A malformed hash is a mismatch.
    public static func verifyPassword(_ password: SecretBytes, against hash: String) -> Bool {
        password.withUnsafeBytes { verifyPassword(bytes: $0, against: hash) }
    }

    private static func hashPassword(bytes password: UnsafeRawBufferPointer, limits: Limits) throws -> String {
        SodiumLibrary.ensureInitialized()
        var output = [CChar](repeating: 0, count: Int(crypto_pwhash_STRBYTES))
        let status = withCharPointer(password) { chars, count in
            crypto_pwhash_str_alg(&output, chars, UInt64(count), limits.operations, limits.memory, crypto_pwhash_ALG_ARGON2ID13)
        }
        guard status == 0 else { throw SodiumError.passwordHashing("password hashing ran out of memory; lower the memory limit") }
        return String(decoding: output.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func verifyPassword(bytes password: UnsafeRawBufferPointer, against hash: String) -> Bool {
        SodiumLibrary.ensureInitialized()
        var encoded = Array(hash.utf8CString)
        guard encoded.count <= Int(crypto_pwhash_STRBYTES) else { return false }
        return withCharPointer(password) { chars, count in
            crypto_pwhash_str_verify(&encoded, chars, UInt64(count)) == 0
        }
    }

    /// A `char *` to the bytes (a valid one-byte buffer for an empty password, which libsodium reads 0 bytes of).
    private static func withCharPointer<Result>(
        _ bytes: UnsafeRawBufferPointer, _ body: (UnsafePointer<CChar>, Int) -> Result
    ) -> Result {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            var empty: CChar = 0
            return body(&empty, 0)
        }
        return body(base.assumingMemoryBound(to: CChar.self), bytes.count)
    }

    /// Whether `hash` was made with other limits or algorithm than `limits` and should be recomputed at next login.
    public static func needsRehash(_ hash: String, limits: Limits = .interactive) -> Bool {
        SodiumLibrary.ensureInitialized()
        var encoded = Array(hash.utf8CString)
        return crypto_pwhash_str_needs_rehash(&encoded, limits.operations, limits.memory) != 0
    }

    /// Derives a 32-byte key from a passphrase and salt, into guarded memory.
    public static func deriveKey(passphrase: [UInt8], salt: [UInt8], limits: Limits) throws -> SecretBytes {
        guard salt.count == saltByteCount else { throw SodiumError.invalidInput("salt must be \(saltByteCount) bytes") }
        SodiumLibrary.ensureInitialized()
        return try SecretBytes(count: 32) { out in
            let status = withBytePointer(passphrase) { p, pCount in
                p.withMemoryRebound(to: CChar.self, capacity: max(pCount, 1)) { chars in
                    withBytePointer(salt) { s, _ in
                        crypto_pwhash(out.bytePointer, 32, chars, UInt64(pCount),
                                      s, limits.operations, limits.memory, crypto_pwhash_ALG_ARGON2ID13)
                    }
                }
            }
            guard status == 0 else { throw SodiumError.passwordHashing("key derivation ran out of memory; lower the memory limit") }
        }
    }
}

import CSodium

/// Ed25519 signatures (RFC 8032), via libsodium's `crypto_sign`.
public enum Ed25519 {
    /// Public key length: 32 bytes.
    public static let publicKeyByteCount = Int(crypto_sign_PUBLICKEYBYTES)
    /// Secret key length as libsodium stores it (seed followed by public key): 64 bytes.
    public static let secretKeyByteCount = Int(crypto_sign_SECRETKEYBYTES)
    /// Seed length: 32 bytes.
    public static let seedByteCount = Int(crypto_sign_SEEDBYTES)
    /// Signature length: 64 bytes.
    public static let signatureByteCount = Int(crypto_sign_BYTES)

    /// A signing key pair. The secret half stays in guarded memory.
    public struct KeyPair: Sendable, CustomStringConvertible {
        /// The 32-byte public key, safe to publish.
        public let publicKey: [UInt8]
        /// The 64-byte libsodium secret key (seed || public key).
        public let secretKey: SecretBytes

        /// A new random key pair.
        public static func generate() throws -> KeyPair {
            SodiumLibrary.ensureInitialized()
            var publicKey = [UInt8](repeating: 0, count: Ed25519.publicKeyByteCount)
            let secret = try SecretBytes(count: Ed25519.secretKeyByteCount) { sk in
                withMutableBytePointer(&publicKey) { pk, _ in _ = crypto_sign_keypair(pk, sk.bytePointer) }
            }
            return KeyPair(publicKey: publicKey, secretKey: secret)
        }

        /// The key pair determined by a 32-byte seed (RFC 8032's private key).
        public init(seed: SecretBytes) throws {
            guard seed.count == Ed25519.seedByteCount else {
                throw SodiumError.invalidKeyLength(expected: Ed25519.seedByteCount, got: seed.count)
            }
            SodiumLibrary.ensureInitialized()
            var publicKey = [UInt8](repeating: 0, count: Ed25519.publicKeyByteCount)
            let secret = try SecretBytes(count: Ed25519.secretKeyByteCount) { sk in
                withMutableBytePointer(&publicKey) { pk, _ in
                    seed.withKeyPointer { s in _ = crypto_sign_seed_keypair(pk, sk.bytePointer, s) }
                }
            }
            self.init(publicKey: publicKey, secretKey: secret)
        }

        /// Rebuilds a key pair from a stored 64-byte secret key; the public half is taken from it.
        public init(secretKey: SecretBytes) throws {
            guard secretKey.count == Ed25519.secretKeyByteCount else {
                throw SodiumError.invalidKeyLength(expected: Ed25519.secretKeyByteCount, got: secretKey.count)
            }
            SodiumLibrary.ensureInitialized()
            var publicKey = [UInt8](repeating: 0, count: Ed25519.publicKeyByteCount)
            withMutableBytePointer(&publicKey) { pk, _ in
                secretKey.withKeyPointer { sk in _ = crypto_sign_ed25519_sk_to_pk(pk, sk) }
            }
            self.init(publicKey: publicKey, secretKey: secretKey)
        }

        private init(publicKey: [UInt8], secretKey: SecretBytes) {
            self.publicKey = publicKey
            self.secretKey = secretKey
        }

        /// A detached 64-byte signature over `message`.
        public func sign(_ message: [UInt8]) -> [UInt8] {
            SodiumLibrary.ensureInitialized()
            var signature = [UInt8](repeating: 0, count: Ed25519.signatureByteCount)
            withMutableBytePointer(&signature) { sig, _ in
                withBytePointer(message) { m, mCount in
                    secretKey.withKeyPointer { sk in _ = crypto_sign_detached(sig, nil, m, UInt64(mCount), sk) }
                }
            }
            return signature
        }

        public var description: String { "Ed25519.KeyPair(public: \(publicKey.hexString), secret: <redacted>)" }
    }

    /// Whether `signature` is a valid signature of `message` by `publicKey`. Malformed inputs are simply invalid.
    public static func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard signature.count == signatureByteCount, publicKey.count == publicKeyByteCount else { return false }
        SodiumLibrary.ensureInitialized()
        return withBytePointer(signature) { sig, _ in
            withBytePointer(message) { m, mCount in
                withBytePointer(publicKey) { pk, _ in crypto_sign_verify_detached(sig, m, UInt64(mCount), pk) == 0 }
            }
        }
    }
}

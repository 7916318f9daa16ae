import CSodium

/// XChaCha20-Poly1305-IETF authenticated encryption with associated data.
///
/// Nonces are 24 random bytes, large enough that random nonces never collide in practice.
public enum XChaCha20Poly1305 {
    /// Key length: 32 bytes.
    public static let keyByteCount = Int(crypto_aead_xchacha20poly1305_ietf_KEYBYTES)
    /// Nonce length: 24 bytes.
    public static let nonceByteCount = Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
    /// Tag length: 16 bytes.
    public static let tagByteCount = Int(crypto_aead_xchacha20poly1305_ietf_ABYTES)

    /// A fresh random nonce.
    public static func randomNonce() -> [UInt8] { SecureRandom.bytes(count: nonceByteCount) }

    /// Encrypts and authenticates `plaintext`, binding `associatedData`.
    ///
    /// - Returns: ciphertext followed by the 16-byte tag.
    /// - Throws: ``SodiumError`` when the key or nonce has the wrong length.
    public static func seal(
        _ plaintext: [UInt8], key: SecretBytes, nonce: [UInt8], associatedData: [UInt8]
    ) throws -> [UInt8] {
        try checkShapes(key: key, nonce: nonce)
        var output = [UInt8](repeating: 0, count: plaintext.count + tagByteCount)
        withMutableBytePointer(&output) { out, _ in
            withBytePointer(plaintext) { message, messageCount in
                encrypt(out, message, messageCount, key: key, nonce: nonce, associatedData: associatedData)
            }
        }
        return output
    }

    /// Verifies and decrypts `ciphertext` (ciphertext followed by tag).
    ///
    /// - Throws: ``SodiumError/authenticationFailed`` for any mismatch: ciphertext, tag, nonce, associated data or key.
    public static func open(
        _ ciphertext: [UInt8], key: SecretBytes, nonce: [UInt8], associatedData: [UInt8]
    ) throws -> [UInt8] {
        try ciphertext.withUnsafeBytes { ciphertext in
            try nonce.withUnsafeBytes { nonce in
                try associatedData.withUnsafeBytes { associatedData in
                    try open(ciphertext: ciphertext, key: key, nonce: nonce, associatedData: associatedData)
                }
            }
        }
    }

    /// Verifies and decrypts ciphertext (followed by its tag) that lies in a larger buffer, without copying it out.
    ///
    /// - Throws: ``SodiumError/authenticationFailed`` for any mismatch: ciphertext, tag, nonce, associated data or key.
    public static func open(
        ciphertext: UnsafeRawBufferPointer, key: SecretBytes, nonce: UnsafeRawBufferPointer, associatedData: UnsafeRawBufferPointer
    ) throws -> [UInt8] {
        guard key.count == keyByteCount, nonce.count == nonceByteCount, ciphertext.count >= tagByteCount,
            let c = ciphertext.baseAddress, let n = nonce.baseAddress
        else { throw SodiumError.authenticationFailed }
        SodiumLibrary.ensureInitialized()
        var output = [UInt8](repeating: 0, count: ciphertext.count - tagByteCount)
        let status = withMutableBytePointer(&output) { out, _ in
            key.withKeyPointer { k in
                crypto_aead_xchacha20poly1305_ietf_decrypt(
                    out, nil, nil, c.assumingMemoryBound(to: UInt8.self), UInt64(ciphertext.count),
                    associatedData.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(associatedData.count),
                    n.assumingMemoryBound(to: UInt8.self), k)
            }
        }
        guard status == 0 else {
            SecretBytes.wipe(&output)
            throw SodiumError.authenticationFailed
        }
        return output
    }

    /// Encrypts key material under a wrapping key; the plaintext key never leaves guarded memory except inside libsodium.
    public static func wrap(_ secret: SecretBytes, key: SecretBytes, nonce: [UInt8], associatedData: [UInt8]) throws -> [UInt8] {
        try checkShapes(key: key, nonce: nonce)
        var output = [UInt8](repeating: 0, count: secret.count + tagByteCount)
        withMutableBytePointer(&output) { out, _ in
            secret.withKeyPointer { message in
                encrypt(out, message, secret.count, key: key, nonce: nonce, associatedData: associatedData)
            }
        }
        return output
    }

    /// Decrypts a ciphertext that lies in a larger buffer straight into guarded memory (a secret sealed as a field:
    /// it never passes through an ordinary array).
    ///
    /// - Throws: ``SodiumError/authenticationFailed`` for any mismatch or an empty plaintext.
    public static func openSecret(
        ciphertext: UnsafeRawBufferPointer, key: SecretBytes, nonce: UnsafeRawBufferPointer, associatedData: UnsafeRawBufferPointer
    ) throws -> SecretBytes {
        guard key.count == keyByteCount, nonce.count == nonceByteCount, ciphertext.count > tagByteCount,
            let c = ciphertext.baseAddress, let n = nonce.baseAddress
        else { throw SodiumError.authenticationFailed }
        SodiumLibrary.ensureInitialized()
        return try SecretBytes(count: ciphertext.count - tagByteCount) { out in
            let status = key.withKeyPointer { k in
                crypto_aead_xchacha20poly1305_ietf_decrypt(
                    out.bytePointer, nil, nil, c.assumingMemoryBound(to: UInt8.self), UInt64(ciphertext.count),
                    associatedData.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(associatedData.count),
                    n.assumingMemoryBound(to: UInt8.self), k)
            }
            guard status == 0 else { throw SodiumError.authenticationFailed }
        }
    }

    /// Decrypts wrapped key material straight into guarded memory.
    ///
    /// - Throws: ``SodiumError/authenticationFailed`` for any mismatch.
    public static func unwrap(_ wrapped: [UInt8], key: SecretBytes, nonce: [UInt8], associatedData: [UInt8]) throws -> SecretBytes {
        guard key.count == keyByteCount, nonce.count == nonceByteCount, wrapped.count > tagByteCount else {
            throw SodiumError.authenticationFailed
        }
        SodiumLibrary.ensureInitialized()
        return try SecretBytes(count: wrapped.count - tagByteCount) { out in
            let status = decrypt(out.bytePointer, wrapped, key: key, nonce: nonce, associatedData: associatedData)
            guard status == 0 else { throw SodiumError.authenticationFailed }
        }
    }

    private static func checkShapes(key: SecretBytes, nonce: [UInt8]) throws {
        guard key.count == keyByteCount else { throw SodiumError.invalidKeyLength(expected: keyByteCount, got: key.count) }
        guard nonce.count == nonceByteCount else { throw SodiumError.invalidInput("nonce must be \(nonceByteCount) bytes") }
        SodiumLibrary.ensureInitialized()
    }

    private static func encrypt(
        _ out: UnsafeMutablePointer<UInt8>, _ message: UnsafePointer<UInt8>, _ messageCount: Int,
        key: SecretBytes, nonce: [UInt8], associatedData: [UInt8]
    ) {
        withBytePointer(associatedData) { ad, adCount in
            withBytePointer(nonce) { n, _ in
                key.withKeyPointer { k in
                    _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
                        out, nil, message, UInt64(messageCount), ad, UInt64(adCount), nil, n, k)
                }
            }
        }
    }

    private static func decrypt(
        _ out: UnsafeMutablePointer<UInt8>, _ ciphertext: [UInt8],
        key: SecretBytes, nonce: [UInt8], associatedData: [UInt8]
    ) -> Int32 {
        withBytePointer(ciphertext) { c, cCount in
            withBytePointer(associatedData) { ad, adCount in
                withBytePointer(nonce) { n, _ in
                    key.withKeyPointer { k in
                        crypto_aead_xchacha20poly1305_ietf_decrypt(
                            out, nil, nil, c, UInt64(cCount), ad, UInt64(adCount), n, k)
                    }
                }
            }
        }
    }
}

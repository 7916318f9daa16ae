import CSodium

/// Random bytes from libsodium's CSPRNG (`getrandom` on Linux).
public enum SecureRandom {
    /// `count` unpredictable bytes. Not for key material: use ``SecretBytes/init(randomCount:)``.
    public static func bytes(count: Int) -> [UInt8] {
        SodiumLibrary.ensureInitialized()
        var result = [UInt8](repeating: 0, count: count)
        result.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress { randombytes_buf(base, buffer.count) }
        }
        return result
    }

    /// A uniformly distributed integer in `0..<upperBound`.
    public static func uniform(_ upperBound: UInt32) -> UInt32 {
        SodiumLibrary.ensureInitialized()
        return randombytes_uniform(upperBound)
    }
}

/// Constant-time comparison of two public byte strings of equal length (tags, hashes, tokens).
public func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    if lhs.isEmpty { return true }
    SodiumLibrary.ensureInitialized()
    return lhs.withUnsafeBytes { a in
        rhs.withUnsafeBytes { b in sodium_memcmp(a.baseAddress!, b.baseAddress!, lhs.count) == 0 }
    }
}

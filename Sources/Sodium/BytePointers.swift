/// libsodium's headers mark pointer parameters non-null, so an empty buffer must still pass a valid address.
@usableFromInline
func withBytePointer<Result>(
    _ bytes: [UInt8], _ body: (UnsafePointer<UInt8>, Int) throws -> Result
) rethrows -> Result {
    try bytes.withUnsafeBufferPointer { buffer in
        if let base = buffer.baseAddress { return try body(base, buffer.count) }
        var placeholder: UInt8 = 0
        return try withUnsafePointer(to: &placeholder) { try body($0, 0) }
    }
}

/// Mutable counterpart of ``withBytePointer(_:_:)`` for output buffers.
@usableFromInline
func withMutableBytePointer<Result>(
    _ bytes: inout [UInt8], _ body: (UnsafeMutablePointer<UInt8>, Int) throws -> Result
) rethrows -> Result {
    if bytes.isEmpty {
        var placeholder: UInt8 = 0
        return try withUnsafeMutablePointer(to: &placeholder) { try body($0, 0) }
    }
    return try bytes.withUnsafeMutableBufferPointer { try body($0.baseAddress!, $0.count) }
}

extension SecretBytes {
    /// The secret as a typed pointer, for passing to libsodium only.
    func withKeyPointer<Result>(_ body: (UnsafePointer<UInt8>) throws -> Result) rethrows -> Result {
        try withUnsafeBytes { try body($0.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
    }
}

extension UnsafeMutableRawBufferPointer {
    /// The buffer as a typed pointer, for libsodium output parameters.
    var bytePointer: UnsafeMutablePointer<UInt8> { baseAddress!.assumingMemoryBound(to: UInt8.self) }
}

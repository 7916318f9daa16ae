import CSodium

/// Ensures `sodium_init` has run exactly once before any libsodium call.
enum SodiumLibrary {
    /// Swift initialises a global `let` exactly once, thread-safely.
    private static let initResult: Int32 = sodium_init()

    /// Call before any libsodium function. `sodium_init` returns 0 on first success and 1 when already initialised.
    @inline(__always)
    static func ensureInitialized() {
        precondition(initResult >= 0, SodiumError.initializationFailed.message)
    }
}

/// The version of the linked libsodium, for diagnostics.
public var sodiumVersionString: String {
    SodiumLibrary.ensureInitialized()
    return String(cString: sodium_version_string())
}

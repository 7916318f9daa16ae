/// An error from the cryptographic core.
///
/// Equality compares the code only. Messages never contain key bytes or plaintext.
public struct SodiumError: Error, CustomStringConvertible, Equatable, Sendable {
    private enum Code: Equatable, Sendable {
        case initializationFailed
        case authenticationFailed
        case invalidKeyLength
        case invalidInput
        case outOfMemory
        case passwordHashingFailed
    }

    private let code: Code
    /// What failed and what to do about it.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public static func == (lhs: SodiumError, rhs: SodiumError) -> Bool { lhs.code == rhs.code }

    /// libsodium could not be initialised (no entropy source or a broken installation).
    public static let initializationFailed = SodiumError(
        .initializationFailed,
        "libsodium failed to initialise; check that the system random source is available and libsodium is installed"
    )
    /// A ciphertext, tag, nonce, associated data or key did not authenticate. Deliberately says nothing about which.
    public static let authenticationFailed = SodiumError(
        .authenticationFailed,
        "authentication failed: the data was altered, is in the wrong place, or the key is wrong"
    )
    /// Secure memory could not be allocated.
    public static let outOfMemory = SodiumError(.outOfMemory, "could not allocate secure memory; raise RLIMIT_MEMLOCK or free memory")

    static func invalidKeyLength(expected: Int, got: Int) -> SodiumError {
        SodiumError(.invalidKeyLength, "key has \(got) bytes, expected \(expected)")
    }

    static func invalidInput(_ what: String) -> SodiumError {
        SodiumError(.invalidInput, what)
    }

    static func passwordHashing(_ what: String) -> SodiumError {
        SodiumError(.passwordHashingFailed, what)
    }

    /// Input that does not have the shape an operation needs; the message says which shape.
    public static let invalidInputCode = SodiumError(.invalidInput, "invalid input")
    /// The key had the wrong length.
    public static let invalidKeyLengthCode = SodiumError(.invalidKeyLength, "invalid key length")
}

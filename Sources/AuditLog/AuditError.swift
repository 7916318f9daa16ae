/// An error from the audit log library: parsing, encoding, proofs, keys and bundles.
///
/// Equality compares the code only. Messages say what failed and what to do; they never contain key bytes.
public struct AuditError: Error, CustomStringConvertible, Equatable, Sendable {
    private enum Code: Equatable, Sendable {
        case malformedEntry
        case malformedCheckpoint
        case malformedKey
        case malformedProof
        case malformedBundle
        case invalidArgument
        case io
        case source
    }

    private let code: Code
    /// What failed and what to do about it.
    public let message: String
    /// The underlying error, if any.
    public let cause: (any Error)?

    private init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { message }

    public static func == (lhs: AuditError, rhs: AuditError) -> Bool { lhs.code == rhs.code }

    /// An entry's canonical bytes or JSON do not have the documented shape.
    public static func malformedEntry(_ what: String, cause: (any Error)? = nil) -> AuditError {
        AuditError(.malformedEntry, what, cause: cause)
    }
    /// A checkpoint (signed note) does not parse.
    public static func malformedCheckpoint(_ what: String) -> AuditError { AuditError(.malformedCheckpoint, what) }
    /// A verifier key or key file does not parse.
    public static func malformedKey(_ what: String) -> AuditError { AuditError(.malformedKey, what) }
    /// A proof does not parse.
    public static func malformedProof(_ what: String) -> AuditError { AuditError(.malformedProof, what) }
    /// A bundle does not parse; the message names the line.
    public static func malformedBundle(_ what: String, cause: (any Error)? = nil) -> AuditError {
        AuditError(.malformedBundle, what, cause: cause)
    }
    /// An argument is out of range (a leaf index past the tree size, a size larger than the log).
    public static func invalidArgument(_ what: String) -> AuditError { AuditError(.invalidArgument, what) }
    /// A file could not be read or written.
    public static func io(_ what: String, cause: (any Error)? = nil) -> AuditError { AuditError(.io, what, cause: cause) }
    /// A store behind ``AuditEntrySource`` failed.
    public static func source(_ what: String, cause: (any Error)? = nil) -> AuditError { AuditError(.source, what, cause: cause) }

    /// Code-only values for `#expect(throws:)` comparisons.
    public static let malformedEntryCode = AuditError(.malformedEntry, "malformed entry")
    public static let malformedCheckpointCode = AuditError(.malformedCheckpoint, "malformed checkpoint")
    public static let malformedKeyCode = AuditError(.malformedKey, "malformed key")
    public static let malformedProofCode = AuditError(.malformedProof, "malformed proof")
    public static let malformedBundleCode = AuditError(.malformedBundle, "malformed bundle")
    public static let invalidArgumentCode = AuditError(.invalidArgument, "invalid argument")
    public static let ioCode = AuditError(.io, "i/o")
    public static let sourceCode = AuditError(.source, "source")
}

/// An error from the witness: its files, its configuration, its answers.
///
/// Equality compares the code only. Messages say what failed and what to do; they never contain key bytes.
public struct WitnessError: Error, CustomStringConvertible, Equatable, Sendable {
    private enum Code: Equatable, Sendable {
        case notInitialized
        case alreadyInitialized
        case corruptFile
        case invalidArgument
        case io
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

    public static func == (lhs: WitnessError, rhs: WitnessError) -> Bool { lhs.code == rhs.code }

    /// The witness directory has no key or state yet.
    static func notInitialized(_ directory: String) -> WitnessError {
        WitnessError(.notInitialized, "\(directory) holds no witness; run `strongroom witness init --dir \(directory) --name NAME` first")
    }
    /// `init` would overwrite an existing witness.
    static func alreadyInitialized(_ directory: String) -> WitnessError {
        WitnessError(.alreadyInitialized, "\(directory) already holds a witness; a witness keeps its key and state for life (a new key is a new witness that verifiers must be told about)")
    }
    /// A witness file does not have the documented shape.
    static func corrupt(_ path: String, _ what: String) -> WitnessError {
        WitnessError(.corruptFile, "\(path) is damaged: \(what); restore it from the witness's own backup, never from the log's")
    }
    /// A bad argument.
    static func invalid(_ what: String) -> WitnessError { WitnessError(.invalidArgument, what) }
    /// A file could not be read or written.
    static func io(_ what: String, cause: (any Error)? = nil) -> WitnessError { WitnessError(.io, what, cause: cause) }

    public static let notInitializedCode = WitnessError(.notInitialized, "")
    public static let alreadyInitializedCode = WitnessError(.alreadyInitialized, "")
    public static let corruptFileCode = WitnessError(.corruptFile, "")
    public static let invalidArgumentCode = WitnessError(.invalidArgument, "")
}

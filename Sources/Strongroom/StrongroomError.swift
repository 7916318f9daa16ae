import Storage

/// An error from the service layer, shaped so the HTTP layer can answer without leaking anything.
///
/// Every case has a stable `code` (for clients), a message that says what to fix, and never contains a field
/// value, a key, SQL or a stack. Equality compares the kind and code.
public struct StrongroomError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The class of failure, which decides the HTTP status.
    public enum Kind: Sendable, Equatable {
        /// 400: the request is malformed or a value is invalid.
        case invalidInput
        /// 401: no valid session.
        case unauthenticated
        /// 403: authenticated, but the policy says no (used only where 404 would not hide more).
        case forbidden
        /// 404: does not exist, or exists but the caller may not know that.
        case notFound
        /// 409: the record is not in a state that allows this.
        case conflict
        /// 429: too many attempts.
        case tooManyRequests
        /// 413: the body is larger than the limit.
        case payloadTooLarge
        /// 500: something broke; details go to the operator log only.
        case internalFailure
        /// 503: the service refuses work for safety (the audit log is locked after an integrity alarm).
        case unavailable
    }

    /// One field's problem, for 400 answers.
    public struct FieldProblem: Sendable, Equatable, Codable {
        public let field: String
        public let code: String
        public let message: String
        public init(field: String, code: String, message: String) {
            self.field = field
            self.code = code
            self.message = message
        }
    }

    public let kind: Kind
    /// Stable machine-readable code, for example `invalid_transition`.
    public let code: String
    /// What failed and what to do.
    public let message: String
    /// Per-field problems for invalid input.
    public let fields: [FieldProblem]
    /// The underlying error, for the operator log only.
    public let cause: (any Error)?
    /// For 429: how many seconds to wait before the next attempt can be considered (HTTP `Retry-After`).
    public let retryAfterSeconds: Int?

    public init(
        _ kind: Kind, code: String, message: String, fields: [FieldProblem] = [], cause: (any Error)? = nil, retryAfterSeconds: Int? = nil
    ) {
        self.kind = kind
        self.code = code
        self.message = message
        self.fields = fields
        self.cause = cause
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { message }
    public static func == (lhs: StrongroomError, rhs: StrongroomError) -> Bool { lhs.kind == rhs.kind && lhs.code == rhs.code }

    public static func invalid(_ code: String, _ message: String, fields: [FieldProblem] = []) -> StrongroomError {
        StrongroomError(.invalidInput, code: code, message: message, fields: fields)
    }
    public static let unauthenticated = StrongroomError(
        .unauthenticated, code: "unauthenticated", message: "sign in first: the session token is missing, expired or revoked")
    public static let badCredentials = StrongroomError(
        .unauthenticated, code: "bad_credentials", message: "the sign-in details are not correct")
    public static let throttled = StrongroomError(
        .tooManyRequests, code: "too_many_attempts", message: "too many sign-in attempts; wait a few minutes and try again")
    /// 429 with the wait: the same code as ``throttled`` (equal to it), a message that says how long, and
    /// ``retryAfterSeconds`` for the `Retry-After` header. The words depend only on the wait, never on whether the
    /// login exists.
    public static func throttled(retryAfter seconds: Double) -> StrongroomError {
        let whole = max(1, Int(seconds.rounded(.up)))
        let wait = whole < 60 ? "\(whole) second\(whole == 1 ? "" : "s")" : "\((whole + 59) / 60) minute\((whole + 59) / 60 == 1 ? "" : "s")"
        return StrongroomError(
            .tooManyRequests, code: "too_many_attempts", message: "too many sign-in attempts; wait \(wait) and try again",
            retryAfterSeconds: whole)
    }
    public static func notFound(_ what: String) -> StrongroomError {
        StrongroomError(.notFound, code: "not_found", message: "\(what) not found")
    }
    public static func forbidden(_ message: String) -> StrongroomError {
        StrongroomError(.forbidden, code: "forbidden", message: message)
    }
    public static func conflict(_ code: String, _ message: String) -> StrongroomError {
        StrongroomError(.conflict, code: code, message: message)
    }
    /// 409: the data subject was erased; nothing new (no key, no personal data) is recorded about them.
    public static let subjectErased = StrongroomError(
        .conflict, code: "subject_erased",
        message: "the person this concerns was erased: nothing new can be recorded about them, and nothing was changed")
    public static func internalFailure(_ cause: any Error) -> StrongroomError {
        StrongroomError(.internalFailure, code: "internal", message: "internal error", cause: cause)
    }

    /// The answer for an error from below the service layer that a client should see as such: the audit log locked
    /// after an integrity alarm is a 503 (`audit_log_locked`), without the operator's details. `nil` for others.
    public static func recognized(_ error: any Error) -> StrongroomError? {
        if let storage = error as? StorageError, storage == .auditLockedCode {
            return StrongroomError(
                .unavailable, code: "audit_log_locked",
                message: "the service is refusing work while an audit log integrity alarm is investigated; try again later", cause: storage)
        }
        if let wrapped = error as? StrongroomError, wrapped.kind == .internalFailure, let cause = wrapped.cause { return recognized(cause) }
        return nil
    }
}

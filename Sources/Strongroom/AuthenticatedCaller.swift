import Policy

/// Who is calling, as established by a session: the policy principal plus how strongly they signed in.
public struct AuthenticatedCaller: Sendable, Equatable {
    /// The account id (pseudonymous).
    public let accountID: String
    /// Citizen or staff.
    public let kind: Principal.Kind
    /// Roles, for the gate.
    public let roles: Set<String>
    /// The staff member's office.
    public let office: String?
    /// The data subject id of a citizen (whose data this account's owner is).
    public let subjectID: String?
    /// `password` or `mfa`.
    public let authStrength: String

    public init(
        accountID: String, kind: Principal.Kind, roles: Set<String>, office: String?, subjectID: String?, authStrength: String
    ) {
        self.accountID = accountID
        self.kind = kind
        self.roles = roles
        self.office = office
        self.subjectID = subjectID
        self.authStrength = authStrength
    }

    /// The gate's view of the caller.
    public var principal: Principal {
        Principal(id: accountID, roles: roles, kind: kind, office: office)
    }

    /// The role recorded in audit entries: the caller's roles, sorted and joined.
    public var auditRole: String { roles.sorted().joined(separator: "+") }

    /// The system itself: automatic decisions, the server's retention sweep, installing (`staff bootstrap`) and demo
    /// mode. Never a person: the CLI's commands on personal data sign their operator in (see the CLI's
    /// `OperatorSignIn`), and only in-process code can make this caller.
    public static func system(_ name: String = "system") -> AuthenticatedCaller {
        AuthenticatedCaller(accountID: name, kind: .staff, roles: ["system"], office: nil, subjectID: nil, authStrength: "local")
    }

    /// Whether this is ``system(_:)``: the service acting on its own, which the gate is not asked about.
    public var isSystem: Bool { roles == ["system"] && authStrength == "local" }
}

/// What the caller declares about this access: purpose of use, break-glass justification, request id.
public struct AccessContext: Sendable, Equatable {
    public var purpose: String?
    public var justification: String?
    public var requestID: String

    public init(purpose: String? = nil, justification: String? = nil, requestID: String) {
        self.purpose = purpose
        self.justification = justification
        self.requestID = requestID
    }

    /// A break-glass justification must say something a reviewer can judge: at least this many characters…
    public static let minimumJustificationCharacters = 20
    /// …in at least this many words.
    public static let minimumJustificationWords = 3

    /// Whether `text` is long enough to be a justification (one character, or "urgent", is not).
    public static func isSubstantive(_ text: String) -> Bool {
        let words = text.split(whereSeparator: { $0.isWhitespace }).filter { $0.contains { $0.isLetter || $0.isNumber } }
        return text.filter { !$0.isWhitespace }.count >= minimumJustificationCharacters && words.count >= minimumJustificationWords
    }

    /// The justification the gate sees: only a substantive one breaks the glass.
    var substantiveJustification: String? { justification.flatMap { Self.isSubstantive($0) ? $0 : nil } }

    /// A justification was sent but is too thin to count.
    var justificationTooShort: Bool { justification.map { !$0.allSatisfy(\.isWhitespace) && !Self.isSubstantive($0) } ?? false }
}

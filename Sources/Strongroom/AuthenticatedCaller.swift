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

    /// The system itself (automatic decisions, retention sweeps, CLI operations).
    public static func system(_ name: String = "system") -> AuthenticatedCaller {
        AuthenticatedCaller(accountID: name, kind: .staff, roles: ["system"], office: nil, subjectID: nil, authStrength: "local")
    }
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
}

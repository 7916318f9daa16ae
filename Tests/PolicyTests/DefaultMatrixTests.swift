import Testing

@testable import Policy

/// The whole default role × action × resource matrix, each role in its most favourable ordinary context
/// (own office, own records, its usual purpose, strong sign-in, no break-glass).
@Suite struct DefaultMatrixTests {
    static let roles = ["citizen", "caseworker", "supervisor", "auditor", "security-officer", "administrator"]
    static let actions = [
        "read", "create", "update", "submit", "withdraw", "decide", "assign", "claim", "request-info", "message",
        "export", "erase", "search", "read-audit", "verify-audit", "rotate-keys", "manage-staff", "manage-catalog",
        "pay", "refund", "review-break-glass", "queue",
    ]
    static let resourceTypes = ["request", "profile", "message", "payment", "audit-log", "keys", "staff", "catalog", "subject"]

    /// Every permitted cell, as "role action resource-type"; every other cell is a deny.
    static let permitted: Set<String> = [
        "citizen read request", "citizen create request", "citizen message request", "citizen withdraw request",
        "citizen read profile", "citizen create profile", "citizen update profile",
        "citizen read message", "citizen create message", "citizen read payment", "citizen pay payment",
        "citizen export subject", "citizen erase subject",
        "caseworker read request", "caseworker decide request", "caseworker request-info request",
        "caseworker message request", "caseworker claim request", "caseworker search request",
        "caseworker queue request", "supervisor queue request",
        "caseworker read message", "caseworker create message", "caseworker read payment",
        "supervisor read request", "supervisor decide request", "supervisor assign request",
        "supervisor request-info request", "supervisor message request", "supervisor search request",
        "supervisor read message", "supervisor create message",
        "supervisor read payment", "supervisor refund payment", "supervisor review-break-glass audit-log",
        "auditor read-audit audit-log", "auditor verify-audit audit-log", "auditor review-break-glass audit-log",
        "security-officer rotate-keys keys", "security-officer verify-audit audit-log",
        "administrator manage-staff staff", "administrator manage-catalog catalog",
    ]

    static func principal(_ role: String) -> Principal {
        role == "citizen"
            ? Principal(id: "c-alice", roles: [role], kind: .citizen)
            : Principal(id: "s-\(role)", roles: [role], kind: .staff, office: "north")
    }

    static func context(_ role: String) -> Context {
        let purpose = ["caseworker": "case-handling", "supervisor": "supervision", "auditor": "audit",
                       "security-officer": "security-operations", "administrator": "administration"][role]
        return Context(purpose: purpose, hour: 10, weekday: "tue", authStrength: "mfa")
    }

    static func resource(_ type: String) -> Resource {
        switch type {
        // Assigned to the caseworker: only the assignee decides or asks for information.
        case "request": return .request(owner: "c-alice", service: "benefit-application", office: "north", assignee: "s-caseworker")
        case "profile": return .profile(owner: "c-alice")
        case "message": return Resource(type: type, attributes: ["owner": "c-alice", "office": "north", "request_owner": "c-alice"])
        case "payment": return Resource(type: type, attributes: ["owner": "c-alice", "office": "north", "status": "paid"])
        case "staff": return Resource(type: type, attributes: ["office": "north"])
        case "subject": return Resource(type: type, attributes: ["owner": "c-alice"])
        default: return Resource(type: type)
        }
    }

    @Test("default matrix", arguments: roles, actions)
    func cell(role: String, action: String) {
        let gate = PolicyFixtures.gate
        for type in Self.resourceTypes {
            let decision = gate.decide(Self.principal(role), Action(action), Self.resource(type), Self.context(role))
            let expected: Effect = Self.permitted.contains("\(role) \(action) \(type)") ? .permit : .deny
            #expect(decision.effect == expected, "\(role) \(action) \(type): \(decision.explanation)")
            if decision.effect == .deny { #expect(decision.fieldPlan == .empty) }
        }
    }

    @Test("oversight roles never get record plaintext, whatever the context", arguments: ["auditor", "security-officer", "administrator"])
    func oversightNeverReadsRecords(role: String) {
        let gate = PolicyFixtures.gate
        let contexts = ["case-handling", "supervision", "audit", "security-operations", "administration", "legal-obligation"].map {
            Context(purpose: $0, justification: "urgent", authStrength: "hardware-key")
        }
        for context in contexts {
            for type in ["request", "profile", "message", "payment"] {
                for action in Self.actions {
                    let decision = gate.decide(Self.principal(role), Action(action), Self.resource(type), context)
                    #expect(!decision.isPermitted, "\(role) \(action) \(type)")
                }
            }
        }
    }

    @Test("staff of another office get no office-bound record", arguments: ["caseworker", "supervisor"])
    func otherOfficeIsDenied(role: String) {
        let gate = PolicyFixtures.gate
        let south = Principal(id: "s-south", roles: [role], kind: .staff, office: "south")
        for type in ["request", "message", "payment"] {
            for action in Self.actions {
                let decision = gate.decide(south, Action(action), Self.resource(type), Self.context(role))
                #expect(!decision.isPermitted, "\(role) \(action) \(type): \(decision.explanation)")
            }
        }
    }

    @Test("every permitted cell is reachable in the matrix")
    func permittedCellsAreKnown() {
        for cell in Self.permitted {
            let parts = cell.split(separator: " ").map(String.init)
            #expect(Self.roles.contains(parts[0]) && Self.actions.contains(parts[1]) && Self.resourceTypes.contains(parts[2]), "\(cell)")
        }
    }

    @Test("the default decision tables pass")
    func decisionTables() {
        let report = PolicyTestRunner(PolicyFixtures.defaultSet).run(directory: PolicyFixtures.tablesDirectory)
        #expect(report.passed, "\(report.render())")
        #expect(report.results.count >= 80)
    }
}

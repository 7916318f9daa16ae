import Testing

@testable import Policy

/// Property-style fuzzing with a seeded generator: any input gives a policy set or an error with
/// positions, never a crash or a hang; decisions agree with their explanations.
@Suite struct FuzzTests {
    typealias F = PolicyFixtures

    static let vocabulary = [
        "permit", "forbid", "rule", "@", "id", "(", ")", "anyone", "citizen", "caseworker", "supervisor", "auditor",
        "to", "read", "decide", "assign", "rotate-keys", "on", "request", "profile", "keys", "audit-log", "when",
        "require", "purpose", "in", "reveal", "mask", "as", "last4", "redacted", "break-glass", "for", "4", "h",
        "and", "or", "not", "has", "==", "!=", "<", ">=", "[", "]", ",", ";", ".", "*", "resource", "principal",
        "context", "office", "sealed", "status", "owner", "service", "\"case-handling\"", "\"draft\"", "\"x\"",
        "\"benefit-application\"", "true", "false", "national_id", "email", "benefit-application", "0", "-7",
        "99999999999999999999", "\"", "{", "}", "?", ":", "=", "$", "é", "#", "\n", "//",
    ]

    /// Loads `policies` with the real schema; the outcome must be a set or well-formed diagnostics.
    static func expectSetOrError(_ policies: [PolicySource], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        do {
            let set = try F.loader.load(parsedSchema: F.schema, policies: policies)
            #expect(set.rules.allSatisfy { !$0.actions.isEmpty && !$0.resourceTypes.isEmpty }, sourceLocation: sourceLocation)
        } catch {
            #expect(!error.diagnostics.isEmpty, sourceLocation: sourceLocation)
            for diagnostic in error.diagnostics {
                #expect(diagnostic.location.line >= 1 && diagnostic.location.column >= 1 && !diagnostic.message.isEmpty,
                        sourceLocation: sourceLocation)
            }
        }
    }

    @Test func randomTokenSoups() {
        var random = SplitMix64(seed: 0x5EED)
        for _ in 0..<2000 {
            let count = Int(random.next() % 60) + 1
            let text = (0..<count).map { _ in Self.vocabulary[Int(random.next() % UInt64(Self.vocabulary.count))] }
                .joined(separator: random.next() % 4 == 0 ? "" : " ")
            Self.expectSetOrError([PolicySource(name: "soup.policy", text: text)])
        }
    }

    @Test func randomMutationsOfTheRealFiles() {
        var random = SplitMix64(seed: 0xF11E)
        let originals = F.sources.policies
        for round in 0..<2000 {
            var policies = originals
            let target = Int(random.next() % UInt64(policies.count))
            var bytes = Array(policies[target].text.utf8)
            for _ in 0..<(Int(random.next() % 4) + 1) where !bytes.isEmpty {
                let at = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 5 {
                case 0: bytes.remove(at: at)
                case 1: bytes.insert(UInt8(truncatingIfNeeded: random.next() % 128), at: at)
                case 2:
                    let length = min(Int(random.next() % 40), bytes.count - at)
                    bytes.removeSubrange(at..<(at + length))
                case 3:
                    let length = min(Int(random.next() % 40), bytes.count - at)
                    bytes.insert(contentsOf: bytes[at..<(at + length)], at: Int(random.next() % UInt64(bytes.count)))
                default:
                    let word = Self.vocabulary[Int(random.next() % UInt64(Self.vocabulary.count))]
                    bytes.insert(contentsOf: Array((" " + word + " ").utf8), at: at)
                }
            }
            policies[target] = PolicySource(name: policies[target].name, text: String(decoding: bytes, as: UTF8.self))
            // Mostly the mutated file alone (the others are known good); now and then the whole set.
            if round % 20 == 0 {
                policies.shuffle(using: &random)
                Self.expectSetOrError(policies)
            } else {
                Self.expectSetOrError([policies[target]])
            }
        }
    }

    @Test func randomSchemaMutationsNeverCrash() {
        var random = SplitMix64(seed: 0x5C4E)
        let original = Array(F.sources.schema.text.utf8)
        for _ in 0..<200 {
            var bytes = original
            for _ in 0..<(Int(random.next() % 3) + 1) {
                let at = Int(random.next() % UInt64(bytes.count))
                if random.next() % 2 == 0 { bytes.remove(at: at) } else { bytes.insert(UInt8(truncatingIfNeeded: 32 + random.next() % 95), at: at) }
            }
            let schema = PolicySource(name: "s.schema", text: String(decoding: bytes, as: UTF8.self))
            do {
                _ = try F.loader.load(schema: schema, policies: F.sources.policies)
            } catch {
                #expect(!error.diagnostics.isEmpty)
            }
        }
    }

    @Test func randomRequestsDecideConsistentlyWithTheirExplanation() {
        var random = SplitMix64(seed: 0xDEC1DE)
        let set = F.defaultSet
        let gate = Gate(set), explainer = PolicyExplainer(set)
        func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
        let roles = set.schema.roles + ["stranger"]
        for _ in 0..<3000 {
            let principal = Principal(
                id: pick(["c-1", "c-2", "s-1"]), roles: Set((0..<Int(random.next() % 3)).map { _ in pick(roles) }),
                attributes: random.next() % 9 == 0 ? ["office": 3] : ["kind": .string(pick(["staff", "citizen"])), "office": .string(pick(["north", "south"]))])
            let resource = Resource(type: pick(set.schema.resourceTypes + ["nonsense"]), attributes: [
                "owner": .string(pick(["c-1", "c-2"])), "office": .string(pick(["north", "south"])),
                "sealed": .bool(random.next() % 4 == 0), "status": .string(pick(["draft", "submitted", "decided"])),
                "service": .string(pick(["benefit-application", "fee-payment", "health-plan-enrolment"])),
            ])
            let context = Context(purpose: random.next() % 3 == 0 ? nil : pick(set.schema.purposes), hour: Int(random.next() % 24),
                                  justification: random.next() % 4 == 0 ? "reason" : nil, authStrength: pick(["password", "mfa"]))
            let action = Action(pick(set.schema.actions + ["fly"]))
            let decision = gate.decide(principal, action, resource, context)
            let explanation = explainer.explain(principal, action, resource, context)
            #expect(explanation.decision == decision)
            let matchedPermits = explanation.rules.filter { $0.outcome == .permits }.map(\.ruleID)
            let matchedForbids = explanation.rules.filter { $0.outcome == .forbids }.map(\.ruleID)
            if matchedForbids.isEmpty {
                #expect(Set(decision.ruleIDs) == Set(matchedPermits))
                #expect(decision.isPermitted == !matchedPermits.isEmpty)
            } else {
                #expect(!decision.isPermitted && Set(decision.ruleIDs) == Set(matchedForbids))
            }
            if !decision.isPermitted { #expect(decision.fieldPlan == .empty) }
        }
    }
}

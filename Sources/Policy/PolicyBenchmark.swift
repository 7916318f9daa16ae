/// Figures from ``PolicyBenchmark/run(ruleCount:decisions:)``.
public struct PolicyBenchmarkResult: Sendable {
    public let ruleCount: Int
    /// Parse, check and index of the synthetic set: the median of several loads.
    public let loadAndCheck: Duration
    /// Median time of one `decide` call, measured over batches.
    public let medianDecision: Duration
    /// Share of the benchmark decisions that were permits (a sanity figure: both paths are exercised).
    public let permitRatio: Double

    /// `rules=200 load+check=… median decision=…`.
    public func render() -> String {
        "rules=\(ruleCount) load+check=\(Self.format(loadAndCheck)) median-decision=\(Self.format(medianDecision)) "
            + "permits=\(Int(permitRatio * 100))%"
    }

    static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = Double(seconds) * 1e9 + Double(attoseconds) / 1e9
        if nanoseconds >= 1e6 { return "\(Double(Int(nanoseconds / 1e4)) / 100) ms" }
        if nanoseconds >= 1e3 { return "\(Double(Int(nanoseconds / 10)) / 100) µs" }
        return "\(Int(nanoseconds)) ns"
    }
}

/// A benchmark of the gate over a synthetic, schema-valid rule set. Run it from a release build.
public enum PolicyBenchmark {
    /// Generates `ruleCount` rules, measures load and check, then the median decision time.
    public static func run(ruleCount: Int = 200, decisions: Int = 20_000) -> PolicyBenchmarkResult {
        let clock = ContinuousClock()
        let (schema, policies, fields) = syntheticSources(ruleCount: ruleCount)
        let loader = PolicyLoader(fields: fields)
        var loads: [Duration] = []
        var loaded: PolicySet?
        for _ in 0..<7 {
            let start = clock.now
            loaded = try? loader.load(schema: schema, policies: policies)
            loads.append(clock.now - start)
        }
        guard let set = loaded else { preconditionFailure("the synthetic policy set must load") }
        let gate = Gate(set)
        var random = SplitMix64(seed: 42)
        let requests = (0..<1000).map { _ in syntheticRequest(&random) }
        var permits = 0
        for request in requests where gate.decide(request.principal, request.action, request.resource, request.context).isPermitted {
            permits += 1
        }
        let batch = 100
        var samples: [Duration] = []
        var index = 0
        for _ in 0..<max(1, decisions / batch) {
            let start = clock.now
            for _ in 0..<batch {
                let request = requests[index % requests.count]
                index += 1
                blackHole(gate.decide(request.principal, request.action, request.resource, request.context))
            }
            samples.append((clock.now - start) / batch)
        }
        return PolicyBenchmarkResult(ruleCount: set.rules.count, loadAndCheck: median(loads), medianDecision: median(samples),
                                     permitRatio: Double(permits) / Double(requests.count))
    }

    private static func median(_ values: [Duration]) -> Duration { values.sorted()[values.count / 2] }

    @inline(never)
    private static func blackHole(_ decision: Decision) {
        withExtendedLifetime(decision) {}
    }

    static let roles = ["citizen", "caseworker", "supervisor", "auditor", "clerk", "analyst"]
    static let actions = ["read", "update", "decide", "assign", "search", "export", "message", "claim"]
    static let offices = ["north", "south", "east", "west"]
    static let services = (0..<10).map { "service-\($0)" }

    static func syntheticSources(ruleCount: Int) -> (PolicySource, [PolicySource], FieldCatalog) {
        let schema = """
            roles: \(roles.joined(separator: ", "))
            actions: \(actions.joined(separator: ", "))
            purposes: case-handling, supervision
            principal { id: string  roles: set  kind: enum(staff, citizen)  office: string?  clearance: int? }
            context { purpose: string?  hour: int?  justification: string?  break_glass: bool  auth_strength: enum(password, mfa)? }
            resource request { owner: string  office: string?  status: enum(draft, submitted, decided)
              sensitivity: enum(low, normal, high)  sealed: bool  service: service  fields: services }
            resource profile { owner: string  fields: name, email, national_id }
            """
        var fields: [String: Set<String>] = [:]
        for (index, service) in services.enumerated() {
            fields[service] = Set((0..<8).map { "field_\(index)_\($0)" } + ["name", "national_id"])
        }
        var text = ""
        for i in 0..<ruleCount {
            let role = roles[i % roles.count]
            let action1 = actions[i % actions.count], action2 = actions[(i / 3 + 1) % actions.count]
            let actionList = action1 == action2 ? action1 : "\(action1), \(action2)"
            let office = offices[i % offices.count]
            let service = services[i % services.count]
            if i % 10 == 9 {
                text += "rule \"r\(i)\" forbid \(role) to \(actionList) on request when resource.sealed and context.hour > \(18 + i % 5);\n"
            } else if i % 7 == 0 {
                text += "rule \"r\(i)\" permit \(role) to \(actionList) on profile when principal.id == resource.owner reveal *;\n"
            } else {
                text += """
                    rule "r\(i)" permit \(role) to \(actionList) on request
                      when resource.office == "\(office)" and principal.office == resource.office
                        and resource.status in ["submitted", "decided"] and resource.service == "\(service)"
                        and (principal.clearance >= \(i % 4) or principal.kind == "citizen")
                      require purpose in ["case-handling", "supervision"]
                      reveal name, field_\(i % services.count)_\(i % 8) mask national_id as last4;

                    """
            }
        }
        return (PolicySource(name: "bench.schema", text: schema), [PolicySource(name: "bench.policy", text: text)],
                FieldCatalog(serviceFields: fields))
    }

    static func syntheticRequest(_ random: inout SplitMix64) -> RequestDescription {
        func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
        let office = pick(offices)
        let principal = Principal(id: "p\(random.next() % 50)", roles: [pick(roles)], kind: .staff,
                                  office: random.next() % 4 == 0 ? pick(offices) : office, clearance: Int(random.next() % 4))
        let resource: Resource = random.next() % 7 == 0
            ? .profile(owner: principal.id)
            : .request(owner: "c\(random.next() % 50)", service: pick(services), office: office,
                       status: pick(["submitted", "decided", "draft"]), sealed: random.next() % 10 == 0)
        let context = Context(purpose: random.next() % 5 == 0 ? nil : "case-handling", hour: Int(random.next() % 24), authStrength: "mfa")
        return RequestDescription(principal: principal, action: Action(pick(actions)), resource: resource, context: context)
    }
}

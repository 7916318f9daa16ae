import Policy

/// Scenario 2: the gate's decision time with 200 rules, and load + check of those rules, from `PolicyBenchmark`.
///
/// Floor of a decision: one dictionary lookup keyed by the same kind of strings, timed in the same batches of 100
/// (the least a table-driven gate could do). Load + check has no floor.
struct PolicyScenario {
    let decisions: Int
    let runs: Int

    func run() -> [BenchFigure] {
        var decisionsMicros: [Double] = [], loads: [Double] = [], floors: [Double] = []
        var permitRatio = 0.0
        var sink = Sink()
        for _ in 0..<runs {
            floors.append(Self.lookupFloor(lookups: decisions, sink: &sink))
            let result = PolicyBenchmark.run(ruleCount: 200, decisions: decisions)
            decisionsMicros.append(Measure.seconds(result.medianDecision) * 1e6)
            loads.append(Measure.seconds(result.loadAndCheck) * 1e3)
            permitRatio = result.permitRatio
        }
        sink.publish()
        return [
            BenchFigure(
                scenario: "policy", name: "policy decision, 200 rules (median)", value: Measure.median(decisionsMicros), unit: "µs",
                lowerIsBetter: true, floor: Measure.median(floors),
                floorDescription: "one [String: Int] lookup by role|action|resource key, same batching",
                targets: [.atMost(5, "µs")], note: "permits \(Int(permitRatio * 100))% of the synthetic requests"),
            BenchFigure(
                scenario: "policy", name: "policy load + check, 200 rules", value: Measure.median(loads), unit: "ms",
                lowerIsBetter: true, floor: nil, floorDescription: "no floor", targets: [.below(50, "ms")]),
        ]
    }

    /// Median µs of one dictionary lookup, measured as `PolicyBenchmark` measures decisions (batches of 100).
    static func lookupFloor(lookups: Int, sink: inout Sink) -> Double {
        let roles = ["citizen", "caseworker", "supervisor", "auditor", "clerk", "analyst"]
        let actions = ["read", "update", "decide", "assign", "search", "export", "message", "claim"]
        var table: [String: Int] = [:]
        for (r, role) in roles.enumerated() {
            for (a, action) in actions.enumerated() { table["\(role)|\(action)|request"] = r * 10 + a }
        }
        var generator = SystemRandomNumberGenerator()
        let keys = (0..<1000).map { _ in "\(roles.randomElement(using: &generator)!)|\(actions.randomElement(using: &generator)!)|request" }
        let batch = 100
        var samples: [Double] = []
        var index = 0
        for _ in 0..<max(1, lookups / batch) {
            let start = Measure.clock.now
            for _ in 0..<batch {
                sink.consume(table[keys[index % keys.count]] ?? 0)
                index += 1
            }
            samples.append(Measure.seconds(Measure.clock.now - start) * 1e6 / Double(batch))
        }
        return Measure.median(samples)
    }
}

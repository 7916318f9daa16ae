/// Renders entries for people (an aligned table) and for tools (JSON lines).
public enum AuditEntryTable {
    /// An aligned text table: seq, time, actor, action, target, decision, flags.
    public static func render(_ entries: [AuditEntry]) -> String {
        let header = ["SEQ", "TIME (UTC)", "ACTOR", "ACTION", "TARGET", "DECISION", "FLAGS"]
        var rows = [header]
        for entry in entries {
            let target = [entry.target.collection, entry.target.recordID, entry.target.subjectID.map { "subject:" + $0 }]
                .compactMap { $0 }.joined(separator: "/")
            var decision = entry.decision.effect == .allow ? "allow" : "deny"
            if !entry.decision.policyIDs.isEmpty { decision += " (" + entry.decision.policyIDs.joined(separator: ",") + ")" }
            rows.append([
                String(entry.seq), entry.time.iso8601, "\(entry.actor.id) [\(entry.actor.role)]", entry.action,
                target.isEmpty ? "-" : target, decision, entry.flags.names.joined(separator: ",").isEmpty ? "-" : entry.flags.names.joined(separator: ","),
            ].map(sanitized))
        }
        var widths = [Int](repeating: 0, count: header.count)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// One JSON object per line (``AuditEntry/jsonLine``), newline-terminated.
    public static func jsonLines(_ entries: [AuditEntry]) -> String {
        entries.map { $0.jsonLine + "\n" }.joined()
    }

    /// Control characters would let an entry forge table rows on a terminal; show them escaped.
    private static func sanitized(_ cell: String) -> String {
        var out = ""
        for scalar in cell.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7f || (0x80..<0xa0).contains(scalar.value) {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

import AuditLog
import Catalog
import Policy
import Sodium

/// The audit entries that record which rules are in force: every load and reload of the policies and every load of
/// the catalog, with the SHA-256 of each file and of the whole set, so an auditor can tell exactly which rules decided
/// an access and when they changed — and an edit to `Policies/` or `Catalog/` cannot take effect without a trace.
enum RulesInForce {
    /// `policies.load` (at start) or `policies.reload` (SIGHUP): the digests of the schema and every policy file.
    static func policyEntry(_ set: PolicySet, trigger: String) -> AuditEntryDraft {
        draft(
            action: trigger == "start" ? "policies.load" : "policies.reload", collection: "policies", decision: .allow(),
            files: set.sources.map { ($0.name, $0.text) }, extra: ["rules": String(set.rules.count), "trigger": trigger])
    }

    /// `policies.reload` refused: the files did not load and the previous set stays in force.
    static func refusedReload(_ error: PolicyLoadError) -> AuditEntryDraft {
        draft(
            action: "policies.reload", collection: "policies", decision: .deny(["policy-load-failed"]), files: [],
            extra: ["trigger": "reload", "problems": String(error.diagnostics.count), "outcome": "refused; the previous set stays in force"])
    }

    /// `catalog.load`: the digests of every catalog file.
    static func catalogEntry(_ catalog: Catalog) -> AuditEntryDraft {
        draft(
            action: "catalog.load", collection: "catalog", decision: .allow(),
            files: catalog.sources.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
            extra: ["services": String(catalog.services.count), "trigger": "start"])
    }

    private static func draft(
        action: String, collection: String, decision: AuditDecision, files: [(name: String, text: String)], extra: [String: String]
    ) -> AuditEntryDraft {
        var details = extra
        var set: [UInt8] = Array("strongroom.rules-set.v1".utf8)
        for file in files.sorted(by: { $0.name < $1.name }) {
            let digest = SHA256Digest.hash(Array(file.text.utf8))
            let name = String(file.name.prefix(120))
            details["sha256:" + name] = digest.hexString
            let nameBytes = Array(name.utf8)
            set += withUnsafeBytes(of: UInt32(nameBytes.count).bigEndian, Array.init) + nameBytes + digest
        }
        if !files.isEmpty {
            details["set.sha256"] = SHA256Digest.hash(set).hexString
            details["files"] = String(files.count)
        }
        return AuditEntryDraft(
            actor: AuditActor(id: "system", role: "operator"), action: action, target: AuditTarget(collection: collection),
            decision: decision, purpose: "security-operations", requestID: "rules-\(extra["trigger"] ?? "load")", details: details)
    }
}

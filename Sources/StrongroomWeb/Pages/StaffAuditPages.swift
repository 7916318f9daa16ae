import AuditLog
import Catalog
import Hummingbird
import Strongroom
import StrongroomAPI

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The auditor's screens: the log's state (latest checkpoint, witnesses, unsigned tail), the entries by filter page by
/// page, the whole log as a bundle to download, and a verification of the live log that runs in the background with
/// its progress on the page. Each handler calls one gated ``Installation`` method (`read-audit` or `verify-audit` on
/// `audit-log`, with the caller's purpose); a person whose rules do not open the screen gets 404.
extension Portal {
    func registerStaffAuditPages(on router: Router<StrongroomRequestContext>) {
        // The audit log for auditors: entries by filter, page by page, and a verification against the public key.
        staffPage(router, "/staff/audit") { visit, caller in
            guard visit.staffScreens.contains("audit") else { throw PortalFailure.notFound }
            return try await Self.hidingRefusals { try await auditPage(&visit, caller) }
        }
        // The whole log as a portable bundle (`audit verify --bundle` checks it anywhere): streamed, never held whole.
        staffPage(router, "/staff/audit/bundle") { visit, caller in
            guard visit.staffScreens.contains("audit") else { throw PortalFailure.notFound }
            let directory = try TemporaryDownload.makeDirectory()
            let path = directory + "/audit.bundle"
            do {
                try await installation.exportAuditBundle(to: path, caller: caller, access: access(visit))
            } catch {
                TemporaryDownload.remove(directory)
                throw error
            }
            let day = String(visit.format.isoDateTime(visit.now).prefix(10))
            return .temporaryFile(path: path, directory: directory, type: "application/x-ndjson", filename: "strongroom-audit-\(day).bundle")
        }
        // Verify the whole log in the background; the page shows its progress and then its report.
        staffAction(router, "/staff/audit/verify") { visit, caller in
            guard visit.staffScreens.contains("audit") else { throw PortalFailure.notFound }
            return try await Self.hidingRefusals {
                do {
                    try await installation.startAuditVerification(caller: caller, access: access(visit))
                } catch let error as StrongroomError where error.code == "job_running" {
                    // One is running already: its progress is what the person wants to see.
                }
                return .redirect("/staff/audit?done=verifying#verification")
            }
        }
        // The verification region alone, for the page's script to refresh while it runs (without JavaScript the
        // "Update progress" link reloads the whole page).
        staffPage(router, "/staff/audit/verification") { visit, caller in
            guard visit.staffScreens.contains("audit") else { throw PortalFailure.notFound }
            return try await Self.hidingRefusals {
                let progress = try await installation.auditVerificationProgress(caller: caller, access: access(visit))
                var model: [String: Any] = [:]
                if let progress { model["verification"] = verificationModel(progress, visit) }
                return .page(Page(template: "staff_audit_verification", title: visit.messages.text("staff.audit.verify"), model: model))
            }
        }
    }

    static let auditPageSize = 50

    /// The filters of the audit page, from its query: only values of the shapes the log holds are used.
    func auditQuery(_ visit: Visit) -> (query: AuditQuery, typed: [String: String], errors: [String: String]) {
        let t = visit.messages
        var query = AuditQuery(limit: Self.auditPageSize)
        var typed: [String: String] = [:], errors: [String: String] = [:]
        func token(_ name: String, allowed: (Character) -> Bool) -> String? {
            guard let raw = visit.query[name]?.trimmingWhitespaceAtEnds, !raw.isEmpty else { return nil }
            typed[name] = String(raw.prefix(64))
            guard raw.count <= 64, raw.allSatisfy(allowed) else { errors[name] = t.text("staff.audit.filter_invalid"); return nil }
            return raw
        }
        query.action = token("action") { $0.isASCII && ($0.isLowercase || $0 == "." || $0 == "-") }
        query.actorID = token("actor") { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ":") }
        query.subjectID = token("subject") { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
        for (name, apply) in [("from", { (d: Double) in query.from = AuditTime(millisecondsSince1970: Int64(d * 1000)) }),
                              ("to", { (d: Double) in query.until = AuditTime(millisecondsSince1970: Int64((d + 86_400) * 1000)) })] {
            guard let raw = visit.query[name]?.trimmingWhitespaceAtEnds, !raw.isEmpty else { continue }
            typed[name] = String(raw.prefix(10))
            if let day = CalendarDate(raw) { apply(Double(day.daysSinceEpoch) * 86_400) } else { errors[name] = t.text("staff.audit.date_invalid") }
        }
        if visit.query["break_glass"] == "1" { query.flags = .breakGlass; typed["break_glass"] = "1" }
        query.afterSeq = visit.query["after"].flatMap(UInt64.init)
        return (query, typed, errors)
    }

    func auditPage(_ visit: inout Visit, _ caller: AuthenticatedCaller) async throws -> Outcome {
        let t = visit.messages
        let (query, typed, errors) = auditQuery(visit)
        let entries = errors.isEmpty ? try await installation.auditEntries(query, caller: caller, access: access(visit)) : []
        let status = try await installation.auditLogStatus(caller: caller, access: access(visit))
        let rows = entries.map { entry -> [String: Any] in
            let target = [entry.target.collection, entry.target.recordID].compactMap { $0 }.joined(separator: "/")
            var row: [String: Any] = [
                "seq": String(entry.seq), "when": visit.format.dateTime(Date(timeIntervalSince1970: Double(entry.time.millisecondsSince1970) / 1000)),
                "iso": entry.time.iso8601, "actor": entry.actor.id, "role": entry.actor.role,
                "action": entry.action, "target": target,
                "fields": entry.fieldsTouched.joined(separator: ", "), "purpose": entry.purpose ?? "",
                "allowed": entry.decision.effect == .allow, "break_glass": entry.flags.contains(.breakGlass),
            ]
            // Sections open on any value, an empty string included: only what is there is given.
            if let office = entry.details["office"], !office.isEmpty { row["office"] = office }
            if let subject = entry.target.subjectID, !subject.isEmpty { row["subject"] = subject }
            return row
        }
        var next: String?
        if entries.count == Self.auditPageSize, let last = entries.last {
            var parts = typed.map { FormBody.encode($0.key) + "=" + FormBody.encode($0.value) }.sorted()
            parts.append("after=\(last.seq)")
            next = "/staff/audit?" + parts.joined(separator: "&")
        }
        var model: [String: Any] = [
            "rows": rows, "none": rows.isEmpty, "next": next ?? "", "has_next": next != nil,
            "log_entries": visit.format.number(Int(status.entries)),
            "unsigned": t.plural("staff.audit.unsigned", count: Int(status.unsignedEntries)),
            "witnesses": status.witnesses, "has_witnesses": !status.witnesses.isEmpty,
            "action": typed["action"] ?? "", "actor": typed["actor"] ?? "", "subject_filter": typed["subject"] ?? "", "from": typed["from"] ?? "", "to": typed["to"] ?? "",
            "break_glass_only": typed["break_glass"] == "1", "may_verify": rolesMay(caller, "verify-audit"),
        ]
        if let latest = status.latest {
            model["checkpoint"] = [
                "size": visit.format.number(Int(latest.checkpoint.size)),
                "root": latest.checkpoint.rootHash.prefix(8).map { byte in
                    let digits = String(byte, radix: 16)
                    return digits.count == 1 ? "0" + digits : digits
                }.joined(),
                "origin": latest.checkpoint.origin,
            ] as [String: Any]
        }
        if let progress = try await installation.auditVerificationProgress(caller: caller, access: access(visit)) {
            model["verification"] = verificationModel(progress, visit)
            model["verification_running"] = progress.isRunning
        }
        for (name, text) in errors { model[name + "_error"] = text }
        var page = Page(template: "staff_audit", title: t.text("staff.audit.title"), status: errors.isEmpty ? .ok : .badRequest,
                        model: model, section: "audit")
        page.errors = errors.keys.sorted().map { ["href": "#" + $0, "text": errors[$0] ?? ""] }
        return .page(page)
    }

    /// The verification region's values: progress while it runs, then the report, in plain words.
    func verificationModel(_ progress: AuditVerificationJob.Progress, _ visit: Visit) -> [String: Any] {
        let t = visit.messages, format = visit.format
        let percent = progress.planned > 0 ? min(100, progress.done * 100 / progress.planned) : (progress.isRunning ? 0 : 100)
        var model: [String: Any] = [
            "running": progress.isRunning,
            "max": String(max(1, progress.planned)), "value": String(min(progress.done, max(1, progress.planned))), "percent": String(percent),
            "done_text": t.plural("staff.audit.verified_of", count: progress.planned, [
                "done": format.number(progress.done), "number": format.number(progress.planned), "percent": String(percent),
            ]),
            "started": t.text("staff.audit.verification_started", ["time": format.dateTime(progress.startedAt)]),
        ]
        if let finished = progress.finishedAt { model["finished"] = t.text("staff.audit.verification_finished", ["time": format.dateTime(finished)]) }
        switch progress.outcome {
        case .running: break
        case .finished(let report):
            var shown: [String: Any] = [
                "valid": report.isValid, "entries": format.number(Int(report.entriesVerified)),
                "checkpoints": format.number(report.checkpointsVerified), "warnings": report.warnings,
            ]
            // (A section opens on any value, an empty string included: only what is there is given.)
            if let latest = report.latestVerifiedCheckpoint { shown["latest"] = format.number(Int(latest.checkpoint.size)) }
            if let failure = report.failure { shown["failure"] = String(describing: failure) }
            model["report"] = shown
        case .stopped: model["stopped"] = t.text("staff.audit.verification_stopped")
        case .failed: model["stopped"] = t.text("staff.audit.verification_failed")
        }
        return model
    }
}

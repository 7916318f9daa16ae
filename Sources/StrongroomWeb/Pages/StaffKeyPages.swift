import Hummingbird
import Strongroom
import StrongroomAPI

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The security officer's key screen: every key with its versions, states, ages and overdue warnings and what it
/// still protects; online rotation of a data key behind a confirmation page; and a background rewrap with its
/// progress. Each handler calls one gated ``Installation`` method (`rotate-keys` on `keys`, audited), before anything
/// else: a person whose rules do not open the screen gets 404 on every address of it, and the refusal is in the log.
extension Portal {
    func registerStaffKeyPages(on router: Router<StrongroomRequestContext>) {
        staffPage(router, "/staff/keys") { visit, caller in
            return try await keysPage(&visit, caller, errors: [:])
        }
        // The progress region alone, for the page's script to refresh while a rewrap runs (without JavaScript the
        // "Update progress" link reloads the whole page).
        staffPage(router, "/staff/keys/progress") { visit, caller in
            let progress = try await installation.rewrapProgress(caller: caller, access: access(visit))
            var model: [String: Any] = [:]
            if let job = jobModel(progress, visit) { model["job"] = job }
            return .page(Page(template: "staff_keys_progress", title: visit.messages.text("staff.keys.rewrap_title"), model: model))
        }
        // A rotation is two POSTs: the first answers with the confirmation page, the second (confirm=yes) rotates.
        staffAction(router, "/staff/keys/rotate") { visit, caller in
            let key = visit.form?["key"] ?? ""
            let t = visit.messages
            guard Self.rotatable.contains(key) else {
                return try await keysPage(&visit, caller, errors: ["rotate": t.text("staff.keys.key_unknown")])
            }
            guard visit.form?["confirm"] == "yes" else {
                // The confirmation is gated too: a person without the screen learns nothing, not even the version.
                let overview = try await installation.keyOverview(caller: caller, access: access(visit))
                let current = overview.inventory.keys.filter { $0.id == key && $0.state == "active" }.compactMap(\.version).max() ?? 0
                return .page(Page(template: "staff_keys_confirm", title: t.text("staff.keys.confirm_title_" + key), model: [
                    "key": key, "heading": t.text("staff.keys.confirm_title_" + key),
                    "body": t.text("staff.keys.confirm_body_" + key, ["next": String(current + 1), "current": String(current)]),
                ], section: "keys"))
            }
            do {
                try await installation.rotateDataKey(key, caller: caller, access: access(visit))
            } catch let error as StrongroomError where error.kind == .invalidInput {
                return try await keysPage(&visit, caller, errors: ["rotate": t.text("staff.keys.key_unknown")])
            }
            return .redirect("/staff/keys?done=rotated")
        }
        staffAction(router, "/staff/keys/rewrap") { visit, caller in
            do {
                try await installation.startRewrap(caller: caller, access: access(visit))
            } catch let error as StrongroomError where error.kind == .conflict || error.kind == .unavailable {
                let text = error.code == "rewrap_running" ? visit.messages.text("staff.keys.rewrap_running")
                    : visit.messages.text("staff.keys.rewrap_unavailable")
                return try await keysPage(&visit, caller, errors: ["rewrap": text])
            }
            return .redirect("/staff/keys?done=rewrap#rewrap-section")
        }
    }

    /// The data keys the page offers to rotate, in the order shown.
    static let rotatable = ["records", "index", "subjects"]

    func keysPage(_ visit: inout Visit, _ caller: AuthenticatedCaller, errors: [String: String]) async throws -> Outcome {
        let t = visit.messages
        let format = visit.format
        let overview = try await installation.keyOverview(caller: caller, access: access(visit))
        func count(_ key: String, _ n: Int) -> String { t.plural(key, count: n, ["number": format.number(n)]) }
        let rows = overview.inventory.keys.map { key -> [String: Any] in
            let name = key.id.replacingOccurrences(of: "-", with: "_")
            let use: String
            if let n = key.sealedFields {
                use = count("staff.keys.use_fields", n)
            } else if let n = key.indexRows {
                use = count("staff.keys.use_index_rows", n)
            } else if let n = key.shreddingKeys {
                use = count("staff.keys.use_shredding_keys", n)
            } else if key.isWholeKey {
                use = t.text("staff.keys.use_" + name)
            } else {
                use = t.text("staff.keys.none")
            }
            return [
                "id": key.id, "name": t.text("staff.keys.name_" + name),
                "version": key.version.map { String($0) } ?? t.text("staff.keys.none"),
                "state": t.text("staff.keys.state_" + key.state.replacingOccurrences(of: "-", with: "_")),
                "tone": key.state == "active" ? "tag-positive" : key.state == "retired" ? "tag-muted" : "tag-neutral",
                "created": format.date(key.createdAt), "created_iso": format.isoDateTime(key.createdAt),
                "age": key.ageDays == 0 ? t.text("staff.keys.age_today") : count("staff.keys.age_days", key.ageDays),
                "overdue": key.overdue, "use": use,
            ]
        }
        let overdue = overview.inventory.keys.filter(\.overdue).count
        let rotations = Self.rotatable.map { key -> [String: Any] in
            let current = overview.inventory.keys.filter { $0.id == key && $0.state == "active" }.compactMap(\.version).max()
            return [
                "key": key, "button": t.text("staff.keys.rotate_" + key), "hint": t.text("staff.keys.rotate_hint_" + key),
                "current": current.map { t.text("staff.keys.current_version", ["version": String($0)]) } ?? "",
            ]
        }
        let plan = overview.plan
        var planRows: [[String: String]] = [
            ["label": t.text("staff.keys.plan_fields", ["version": String(plan.recordsVersion)]), "value": format.number(plan.sealedToRewrap)],
            ["label": t.text("staff.keys.plan_indexes", ["version": String(plan.indexVersion)]), "value": format.number(plan.indexesToRecompute)],
        ]
        if let subjects = overview.subjectsVersion {
            planRows.append(["label": t.text("staff.keys.plan_shredding", ["version": String(subjects)]), "value": format.number(overview.shreddingKeysToRewrap)])
        }
        let job = jobModel(overview.rewrap, visit)
        var model: [String: Any] = [
            "rows": rows, "overdue_count": overdue > 0,
            "overdue_text": t.plural("staff.keys.overdue_summary", count: overdue, ["days": format.number(overview.inventory.maximumAgeDays)]),
            "max_age": t.text("staff.keys.max_age", ["days": format.number(overview.inventory.maximumAgeDays)]),
            "rotations": rotations, "plan": planRows,
            "nothing_to_do": plan.sealedToRewrap == 0 && plan.indexesToRecompute == 0 && overview.shreddingKeysToRewrap == 0,
            "running": overview.rewrap?.isRunning == true,
            // A new address each time (the moment it was shown): following a link to the very page one is on, with
            // only its fragment, would not load it again, and without JavaScript this link is the way to update.
            "update_href": "/staff/keys?shown=\(Int64(visit.now.timeIntervalSince1970 * 1000))#rewrap-section",
        ]
        if let job { model["job"] = job }
        for (name, text) in errors { model[name + "_error"] = text }
        var page = Page(template: "staff_keys", title: t.text("staff.keys.title"), status: errors.isEmpty ? .ok : .badRequest,
                        model: model, section: "keys")
        page.errors = errors.keys.sorted().map { ["href": "#" + $0, "text": errors[$0] ?? ""] }
        switch visit.query["done"] {
        case "rotated": page.notice = t.text("staff.keys.done_rotated")
        case "rewrap": page.notice = t.text("staff.keys.done_rewrap")
        default: break
        }
        return .page(page)
    }

    /// Seconds with one decimal, as the digits `LocaleFormat.number` takes.
    static func tenths(_ seconds: Double) -> String {
        let tenths = Int((max(0, seconds) * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// The rewrap region's values: progress while it runs, then its report or what stopped it, in plain words.
    func jobModel(_ progress: RewrapJob.Progress?, _ visit: Visit) -> [String: Any]? {
        guard let progress else { return nil }
        let t = visit.messages
        let format = visit.format
        let percent = progress.planned > 0 ? min(100, progress.done * 100 / progress.planned) : (progress.isRunning ? 0 : 100)
        var model: [String: Any] = [
            "running": progress.isRunning,
            "started": t.text("staff.keys.started", [
                "time": format.dateTime(progress.startedAt), "role": roleName(progress.startedByRole, t),
            ]),
            "started_iso": format.isoDateTime(progress.startedAt),
            "max": String(max(1, progress.planned)), "value": String(progress.planned > 0 ? min(progress.done, progress.planned) : (progress.isRunning ? 0 : 1)),
            "done_text": t.plural("staff.keys.done_of", count: progress.planned, [
                "done": format.number(progress.done), "number": format.number(progress.planned), "percent": String(percent),
            ]),
            "percent": String(percent),
        ]
        if let finished = progress.finishedAt { model["finished"] = t.text("staff.keys.finished_at", ["time": format.dateTime(finished)]) }
        switch progress.outcome {
        case .running:
            break
        case .finished(let report):
            model["report"] = [
                ["label": t.text("staff.keys.report_rewrapped"), "value": format.number(report.rewrapped)],
                ["label": t.text("staff.keys.report_changed"), "value": format.number(report.changedMeanwhile)],
                ["label": t.text("staff.keys.report_unreadable"), "value": format.number(report.unreadable)],
                ["label": t.text("staff.keys.report_indexes"), "value": format.number(report.indexesRecomputed)],
                ["label": t.text("staff.keys.report_indexes_unreachable"), "value": format.number(report.indexesUnreachable)],
                ["label": t.text("staff.keys.report_shredding"), "value": format.number(report.shreddingKeysRewrapped)],
                ["label": t.text("staff.keys.report_seconds"), "value": format.number(Self.tenths(report.seconds))],
            ]
            model["has_report"] = true
            if report.unreadable > 0 || report.indexesUnreachable > 0 { model["unreadable_hint"] = t.text("staff.keys.report_unreadable_hint") }
        case .failed:
            model["failure"] = t.text("staff.keys.rewrap_failed")
        case .stopped:
            model["failure"] = t.text("staff.keys.rewrap_stopped")
        }
        return model
    }
}

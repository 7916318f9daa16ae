import AuditLog
import GRDB
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// When the root key and the audit signing key came into use, as the audit log records it: `keys.create` at `init`,
/// then the latest `keys.rotate` of the root and the latest `audit.key-handover`. Neither key file carries a date of
/// its own; the log's entries are hash-chained and signed, so these dates cannot be moved without breaking it.
public struct KeyInstallDates: Sendable, Equatable {
    public var root: Date?
    public var auditSigning: Date?

    public init(root: Date? = nil, auditSigning: Date? = nil) {
        self.root = root
        self.auditSigning = auditSigning
    }

    /// Reads the key-operation entries of the log (a pass over entries flagged `keyOperation`).
    public static func read(from store: SQLiteAuditStore, in db: Database) throws -> KeyInstallDates {
        var dates = KeyInstallDates()
        var after: UInt64?
        while true {
            let page = try store.entries(matching: AuditQuery(flags: .keyOperation, afterSeq: after, limit: 1000), in: db)
            for entry in page where entry.decision.effect == .allow {
                let time = Date(millis: entry.time.millisecondsSince1970)
                switch entry.action {
                case "keys.create":
                    dates.root = time
                    dates.auditSigning = time
                case "keys.rotate" where entry.details["key"] == "root":
                    dates.root = time
                case _ where entry.flags.contains(.checkpointKeyHandover):
                    dates.auditSigning = time
                default:
                    break
                }
            }
            guard page.count == 1000, let last = page.last else { break }
            after = last.seq
        }
        return dates
    }

    /// Warnings for the root and audit signing keys in use longer than `maximumDays`.
    public func overdueWarnings(maximumDays: Int, now: Date = Date()) -> [String] {
        var warnings: [String] = []
        func overdue(_ date: Date) -> Bool { KeyInventory.isOverdue(since: date, active: true, maximumAgeDays: maximumDays, now: now) }
        if let root, overdue(root) {
            warnings.append("the root key is older than \(maximumDays) days; rotate it with `strongroom keys rotate --root`")
        }
        if let auditSigning, overdue(auditSigning) {
            warnings.append("the audit signing key is older than \(maximumDays) days; rotate it with `strongroom keys rotate --audit-signing`")
        }
        return warnings
    }
}

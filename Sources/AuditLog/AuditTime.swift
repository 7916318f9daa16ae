#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A UTC instant with millisecond precision, as stored in entries (milliseconds since 1970-01-01T00:00:00Z).
public struct AuditTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Milliseconds since the Unix epoch, UTC. May be negative (before 1970) though real entries never are.
    public var millisecondsSince1970: Int64

    public init(millisecondsSince1970: Int64) { self.millisecondsSince1970 = millisecondsSince1970 }

    public static func < (lhs: AuditTime, rhs: AuditTime) -> Bool {
        lhs.millisecondsSince1970 < rhs.millisecondsSince1970
    }

    /// ISO 8601 UTC with milliseconds, e.g. `2025-03-01T12:00:00.123Z`.
    public var description: String { iso8601 }

    /// ISO 8601 UTC with milliseconds.
    public var iso8601: String {
        let ms = millisecondsSince1970
        var days = ms / 86_400_000
        var rem = ms % 86_400_000
        if rem < 0 {
            rem += 86_400_000
            days -= 1
        }
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        let h = rem / 3_600_000, m = (rem / 60_000) % 60, s = (rem / 1000) % 60, milli = rem % 1000
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(h, 2)):\(pad(m, 2)):\(pad(s, 2)).\(pad(milli, 3))Z"
    }
}

/// Where audit code gets the current time. Inject a fixed clock in tests.
public protocol AuditClock: Sendable {
    /// The current UTC time.
    func now() -> AuditTime
}

/// The system's wall clock (`clock_gettime(CLOCK_REALTIME)`).
public struct SystemAuditClock: AuditClock {
    public init() {}
    public func now() -> AuditTime {
        return AuditTime(millisecondsSince1970: SystemAuditClock.wallMilliseconds())
    }

    static func wallMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

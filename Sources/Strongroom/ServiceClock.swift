#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// The service's notion of now; tests inject a fixed or advancing clock.
public protocol ServiceClock: Sendable {
    var now: Date { get }
}

/// Wall-clock time.
public struct SystemServiceClock: ServiceClock {
    public init() {}
    public var now: Date { Date() }
}

/// A clock that only moves when told to. For tests.
public final class ManualServiceClock: ServiceClock {
    private let current: Mutex<Date>
    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = Mutex(start) }
    public var now: Date { current.withLock { $0 } }
    public func advance(by seconds: Double) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

extension Date {
    /// Milliseconds since 1970, as stored in the database.
    var millis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }

    init(millis: Int64) { self.init(timeIntervalSince1970: Double(millis) / 1000) }
}

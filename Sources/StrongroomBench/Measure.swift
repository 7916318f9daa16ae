#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Timing and memory helpers. Every figure is taken with `ContinuousClock`.
enum Measure {
    static let clock = ContinuousClock()

    static func seconds(_ duration: Duration) -> Double {
        let (whole, attoseconds) = duration.components
        return Double(whole) + Double(attoseconds) / 1e18
    }

    /// Seconds taken by `body`.
    static func time(_ body: () throws -> Void) rethrows -> Double {
        let start = clock.now
        try body()
        return seconds(clock.now - start)
    }

    /// Seconds taken by `body`.
    static func time(_ body: () async throws -> Void) async rethrows -> Double {
        let start = clock.now
        try await body()
        return seconds(clock.now - start)
    }

    static func median(_ values: [Double]) -> Double {
        precondition(!values.isEmpty, "a median needs at least one value")
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Runs the figure and its floor alternately `runs` times (so drift from other users of the machine hits both
    /// alike) and returns the median seconds of each.
    static func interleaved(runs: Int, figure: () throws -> Double, floor: () throws -> Double) rethrows -> (figure: Double, floor: Double) {
        var figures: [Double] = [], floors: [Double] = []
        for _ in 0..<runs {
            floors.append(try floor())
            figures.append(try figure())
        }
        return (median(figures), median(floors))
    }
}

/// Keeps results observable, so the optimiser cannot drop the measured work.
struct Sink {
    private(set) var value: UInt64 = 0
    mutating func consume(_ bytes: [UInt8]) { value &+= UInt64(bytes.count) &+ UInt64(bytes.first ?? 0) }
    mutating func consume(_ number: Int) { value &+= UInt64(truncatingIfNeeded: number) }
    /// Prints nothing, but the compiler cannot know that.
    func publish() { if value == 0x5eed_5eed_5eed_5eed { print("") } }
}

/// The process's resident memory, from `/proc/self/status` (Linux).
enum ResidentMemory {
    /// Current resident set size, bytes (VmRSS).
    static var current: Int? { field("VmRSS:") }
    /// Peak resident set size since start or since the last ``resetPeak()``, bytes (VmHWM).
    static var peak: Int? { field("VmHWM:") }

    /// Resets VmHWM to the current RSS (writes 5 to /proc/self/clear_refs, Linux 4.0+). Returns false where refused.
    @discardableResult
    static func resetPeak() -> Bool {
        let descriptor = open("/proc/self/clear_refs", O_WRONLY)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return write(descriptor, "5", 1) == 1
    }

    private static func field(_ name: String) -> Int? {
        guard let file = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 512)
        while fgets(&buffer, Int32(buffer.count), file) != nil {
            let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard line.hasPrefix(name) else { continue }
            let digits = line.dropFirst(name.count).filter(\.isNumber)
            return Int(digits).map { $0 * 1024 }  // the kernel reports kB
        }
        return nil
    }
}

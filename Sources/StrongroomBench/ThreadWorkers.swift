import Foundation

/// Runs blocking work (socket I/O) on plain threads, not on Swift's cooperative pool, which must never block.
enum ThreadWorkers {
    /// Runs `body(index)` for `0..<count` on `count` threads and waits for all of them.
    static func run(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            let thread = Thread {
                body(index)
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
    }
}

/// A list that several threads append to.
final class SharedList<Element: Sendable>: @unchecked Sendable {
    // @unchecked: `items` is only touched while `lock` is held.
    private let lock = NSLock()
    private var items: [Element] = []

    func append(_ item: Element) { lock.withLock { items.append(item) } }
    func append(contentsOf more: [Element]) { lock.withLock { items += more } }
    var all: [Element] { lock.withLock { items } }
    var count: Int { lock.withLock { items.count } }
}

/// A counter that several threads add to.
final class SharedCounter: @unchecked Sendable {
    // @unchecked: `value` is only touched while `lock` is held.
    private let lock = NSLock()
    private var value = 0

    func add(_ amount: Int = 1) { lock.withLock { value += amount } }
    var current: Int { lock.withLock { value } }
}

/// A moment that several threads record and one reads.
final class SharedInstant: @unchecked Sendable {
    // @unchecked: `date` is only touched while `lock` is held.
    private let lock = NSLock()
    private var date: Date?

    func markNow() { lock.withLock { date = Date() } }
    /// Records now only if nothing was recorded yet.
    func markFirst() { lock.withLock { if date == nil { date = Date() } } }
    var value: Date? { lock.withLock { date } }
}

import Foundation
import Testing

@testable import Strongroom

@Suite struct FailureWindowTests {
    @Test func oneKeyHammeredKeepsOnlyWhatDecides() {
        let window = FailureWindow(limit: 5, window: 900)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        for index in 0..<10_000 { window.recordFailure("203.0.113.7", now: now.addingTimeInterval(Double(index) / 100)) }
        #expect(window.isBlocked("203.0.113.7", now: now.addingTimeInterval(100)))
        #expect(window.footprint.keys == 1)
        #expect(window.footprint.timestamps == 5)
    }

    @Test func aFloodOfDistinctKeysStaysBounded() {
        let window = FailureWindow(limit: 3, window: 900, maximumKeys: 1_000)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        for index in 0..<20_000 { window.recordFailure("key-\(index)", now: now.addingTimeInterval(Double(index) / 1000)) }
        #expect(window.footprint.keys <= 1_000)
        #expect(window.footprint.keys > 0)
        // The newest keys are the ones kept, so an attacker in the flood is still counted.
        for _ in 0..<3 { window.recordFailure("key-19999", now: now.addingTimeInterval(21)) }
        #expect(window.isBlocked("key-19999", now: now.addingTimeInterval(21)))
        // Expired keys go first.
        window.recordFailure("late", now: now.addingTimeInterval(10_000))
        #expect(window.footprint.keys <= 1_000)
    }
}

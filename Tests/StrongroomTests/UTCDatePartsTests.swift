import Foundation
import TestSupport
import Testing

@testable import Strongroom

@Suite("UTC date parts")
struct UTCDatePartsTests {
    @Test("agree with Foundation's Gregorian calendar over random instants from 1900 to 2400")
    func agreeWithCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var generator = SplitMix64(seed: 42)
        var instants: [Double] = [0, -1, 86_399, 86_400, 951_782_400, 4_107_542_400, -2_208_988_800]
        for _ in 0..<2000 { instants.append(Double(Int64(generator.next() % 15_778_800_000)) - 2_208_988_800) }
        for seconds in instants {
            let date = Date(timeIntervalSince1970: seconds)
            let expected = calendar.dateComponents([.year, .month, .day, .hour, .weekday], from: date)
            let parts = UTCDateParts(date)
            #expect(parts.year == expected.year && parts.month == expected.month && parts.day == expected.day, "\(seconds)")
            #expect(parts.hour == expected.hour, "\(seconds)")
            #expect(parts.weekday == (expected.weekday ?? 0) - 1, "\(seconds)")
        }
        #expect(SubjectKeyStore.retentionScope(until: Date(timeIntervalSince1970: 951_782_400)) == "until:2000-02")
    }
}

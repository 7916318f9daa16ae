import Catalog
import Foundation
import StrongroomWeb
import Testing

@Suite struct FormattingTests {
    let hu = LocaleFormat(language: "hu", timeZone: TimeZone(identifier: "Europe/Budapest")!)
    let en = LocaleFormat(language: "en", timeZone: TimeZone(identifier: "Europe/Budapest")!)

    @Test func datesAsEachLanguageWritesThem() throws {
        let date = try #require(CalendarDate(year: 2026, month: 12, day: 2))
        #expect(hu.date(date) == "2026. 12. 02.")
        #expect(en.date(date) == "2 December 2026")
    }

    @Test func momentsInTheAgencysTimeZone() {
        // 2026-12-02T23:30:00Z is already 3 December in Budapest (UTC+1).
        let moment = Date(timeIntervalSince1970: 1_796_254_200)
        #expect(hu.dateTime(moment) == "2026. 12. 03. 00:30")
        #expect(en.dateTime(moment) == "3 December 2026, 00:30")
        // The same moment for an agency in Dublin (UTC+0 in winter) is still 2 December.
        let dublin = LocaleFormat(language: "en", timeZone: TimeZone(identifier: "Europe/Dublin")!)
        #expect(dublin.dateTime(moment) == "2 December 2026, 23:30")
    }

    @Test func numbersAndMoney() throws {
        let forint = try #require(Currency(code: "HUF"))
        let euro = try #require(Currency(code: "EUR"))
        #expect(hu.number("12345.50") == "12\u{00A0}345,50")
        #expect(en.number("12345.50") == "12,345.50")
        #expect(hu.number("-1234567") == "-1\u{00A0}234\u{00A0}567")
        #expect(hu.money(Money(minorUnits: 1_234_550, currency: forint)) == "12\u{00A0}345,50\u{00A0}Ft")
        #expect(hu.money(Money(minorUnits: 1_234_550, currency: euro)) == "12\u{00A0}345,50\u{00A0}€")
        #expect(en.money(Money(minorUnits: 1_234_550, currency: euro)) == "€12,345.50")
        #expect(en.number("999") == "999")
    }
}

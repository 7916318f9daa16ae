import Testing
@testable import Catalog

@Suite struct ValidationTests {
    static let canary = "CANARY7QX"

    /// Every field of every sample service, given a wrong value that contains the canary.
    @Test func errorMessagesNeverEchoTheValue() throws {
        let catalog = try Fixtures.sampleCatalog()
        let canary = Self.canary
        let badInputs: [FieldInput] = [
            .string(canary), .string("\(canary)@@x"), .string("+\(canary)"), .decimal("1\(canary)"),
            .string(String(repeating: canary, count: 1_200)),
            .object(["line1": .string(canary), "city": .string(canary), "postcode": .string(canary), "country": .string(canary)]),
            .object(["amount": .string(canary), "currency": .string(canary)]),
            .object([canary: .string(canary)]),
        ]
        var checked = 0
        for service in catalog.services.values {
            for field in service.fields {
                for input in badInputs {
                    do {
                        _ = try service.validate([field.id: input], partial: true, today: Fixtures.today)
                    } catch {
                        checked += 1
                        #expect(!error.message.contains(canary), "\(service.id).\(field.id)")
                        for issue in error.fieldIssues {
                            #expect(!issue.message.contains(canary), "\(service.id).\(field.id): \(issue.message)")
                            #expect(!issue.field.contains(canary))
                        }
                    }
                }
            }
        }
        #expect(checked > 100)
        let service = try #require(catalog.service("fee-payment"))
        let error = #expect(throws: CatalogError.self) { try service.validate([canary: .string(canary)], partial: true) }
        #expect(error.map { !$0.message.contains(canary) } == true)
    }

    @Test func unknownFieldsAreReported() throws {
        let service = try #require(try Fixtures.sampleCatalog().service("change-of-address"))
        let error = #expect(throws: CatalogError.self) {
            try service.validate(["postcod": .string("40123")], partial: true)
        }
        #expect(error?.fieldIssues.map(\.code) == [.unknownField])
    }

    @Test func draftsMayOmitRequiredFields() throws {
        let service = try #require(try Fixtures.sampleCatalog().service("change-of-address"))
        #expect(try service.validate(["postcode": .string("40123")], partial: true, today: Fixtures.today).count == 1)
        let error = #expect(throws: CatalogError.self) {
            try service.validate(["postcode": .string("40123")], today: Fixtures.today)
        }
        #expect(error?.fieldIssues.map(\.code) == [.missing, .missing])
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let service: String
        let field: String
        let input: FieldInput
        let code: FieldIssue.Code
        var testDescription: String { "\(service).\(field) \(code.rawValue)" }
    }

    static let cases: [Case] = [
        Case(service: "benefit-application", field: "household_size", input: .string("three"), code: .invalidNumber),
        Case(service: "benefit-application", field: "household_size", input: .integer(0), code: .outOfRange),
        Case(service: "benefit-application", field: "household_size", input: .bool(true), code: .wrongType),
        Case(service: "benefit-application", field: "reason", input: .string("short"), code: .tooShort),
        Case(service: "benefit-application", field: "full_name", input: .string(String(repeating: "a", count: 201)), code: .tooLong),
        Case(service: "benefit-application", field: "monthly_income", input: .decimal("12.5"), code: .invalidMoney),
        Case(service: "benefit-application", field: "monthly_income", input: .integer(-1), code: .outOfRange),
        Case(service: "benefit-application", field: "full_name", input: .string("a\u{0}b"), code: .invalidText),
        Case(service: "change-of-address", field: "move_date", input: .string("2025-13-01"), code: .invalidDate),
        Case(service: "change-of-address", field: "move_date", input: .string("2030-01-01"), code: .outOfRange),
        Case(service: "change-of-address", field: "contact_email", input: .string("no-at-sign.example"), code: .invalidEmail),
        Case(service: "change-of-address", field: "new_address", input: .object(["line1": .string("1 Road")]), code: .invalidAddress),
        Case(service: "change-of-address", field: "new_address", input: .string("1 Road, Town"), code: .wrongType),
        Case(service: "report-submission", field: "contact_phone", input: .string("555-0199"), code: .invalidPhone),
        Case(service: "report-submission", field: "report_file", input: .string("../../etc/passwd x"), code: .invalidText),
        Case(service: "class-registration", field: "class_choice", input: .string("karate"), code: .notAllowedChoice),
        Case(service: "health-plan-enrolment", field: "has_conditions", input: .string("yes"), code: .wrongType),
        Case(service: "health-plan-enrolment", field: "employee_id", input: .string("X12"), code: .invalidNationalID),
        Case(service: "fee-payment", field: "payment_reference", input: .string("XX-1"), code: .patternMismatch),
    ]

    @Test(arguments: cases)
    func eachErrorKind(_ testCase: Case) throws {
        let service = try #require(try Fixtures.sampleCatalog().service(testCase.service))
        let error = #expect(throws: CatalogError.self) {
            try service.validate([testCase.field: testCase.input], partial: true, today: Fixtures.today)
        }
        #expect(error?.fieldIssues.map(\.code) == [testCase.code])
        #expect(error?.fieldIssues.first?.field.hasPrefix(testCase.field) == true)
    }

    @Test func valuesAreNormalised() throws {
        let catalog = try Fixtures.sampleCatalog()
        let benefit = try #require(catalog.service("benefit-application"))
        let values = try benefit.validate([
            "national_id": .string(" 1234567-ab "), "monthly_income": .integer(145_000), "household_size": .string("4"),
        ], partial: true)
        #expect(values["national_id"] == .nationalID("1234567AB"))
        #expect(values["monthly_income"] == .money(Money(minorUnits: 145_000, currency: try #require(Currency(code: "EUR")))))
        #expect(values["household_size"] == .number(ExactDecimal(4)))
        let report = try #require(catalog.service("report-submission"))
        let phone = try report.validate(["contact_phone": .string("00353 (1) 555-0199")], partial: true)
        #expect(phone["contact_phone"] == .phone("+35315550199"))
        let address = try #require(catalog.service("change-of-address"))
        let email = try address.validate(["contact_email": .string(" Aoife.Byrne@Example.IE ")], partial: true)
        #expect(email["contact_email"] == .email("Aoife.Byrne@example.ie"))
        #expect(email["contact_email"]?.blindIndexInput(.email) == "aoife.byrne@example.ie")
    }

    static let roundTrip: [FieldValue] = [
        .text("Line one\nline two"), .number(ExactDecimal("-12.50")!), .date(CalendarDate("2024-02-29")!),
        .email("a@b.ie"), .phone("+35315550199"), .nationalID("1234567AB"), .choice("family"), .boolean(true),
        .fileReference("upload:abc"), .money(Money(minorUnits: -5, currency: Currency(code: "KWD")!)),
        .postalAddress(PostalAddress(line1: "1 \"Quay\" Rd", line2: nil, city: "Northhaven", postcode: "40123", country: "IE")),
    ]

    @Test(arguments: roundTrip)
    func canonicalRoundTrips(_ value: FieldValue) throws {
        let text = value.canonical
        #expect(try FieldValue(canonical: text, type: value.type) == value)
    }

    @Test func canonicalFormsAreStable() {
        #expect(FieldValue.money(Money(minorUnits: 1250, currency: Currency(code: "EUR")!)).canonical == "EUR 1250")
        #expect(FieldValue.number(ExactDecimal("007.500")!).canonical == "7.5")
        #expect(FieldValue.number(ExactDecimal("-0.0")!).canonical == "0")
        #expect(throws: CatalogError.invalidCanonicalValue(type: .date)) {
            try FieldValue(canonical: "2024-02-30", type: .date)
        }
    }

    @Test func exactDecimalOrdersCorrectly() throws {
        let values = ["-10.5", "-2", "-0.25", "0", "0.1", "0.25", "2", "10", "10.01"].map { ExactDecimal($0)! }
        #expect(values == values.shuffled().sorted())
        #expect(ExactDecimal("1e5") == nil && ExactDecimal("1.") == nil && ExactDecimal(".5") == nil)
        #expect(Currency(code: "EUR")?.minorUnits(fromDecimal: "12.5") == nil)
        #expect(Currency(code: "JPY")?.minorUnits(fromDecimal: "1200") == 1200)
        #expect(Currency(code: "EUR")?.decimalString(minorUnits: -5) == "-0.05")
    }

    @Test func dateArithmetic() {
        let leap = CalendarDate(year: 2024, month: 2, day: 29)!
        #expect(leap.adding(years: 1).description == "2025-02-28")
        #expect(leap.adding(days: 1).description == "2024-03-01")
        #expect(CalendarDate(daysSinceEpoch: leap.daysSinceEpoch) == leap)
        #expect(RetentionPeriod("7y")?.end(startingOn: leap).description == "2031-02-28")
        #expect(RetentionPeriod("0d") == nil && RetentionPeriod("7x") == nil && RetentionPeriod("200y") == nil)
        #expect(DateBound("today-18y")?.resolve(today: Fixtures.today).description == "2007-06-15")
    }
}

import Testing
@testable import Catalog

@Suite struct SampleCatalogTests {
    @Test func loadsWithZeroDiagnostics() throws {
        let check = CatalogCheck.run(directory: Fixtures.sampleDirectory)
        #expect(check.diagnostics.isEmpty, "\(check.render())")
        #expect(check.passed)
        let catalog = try #require(check.catalog)
        #expect(Set(catalog.serviceIDs) == [
            "benefit-application", "change-of-address", "fee-payment", "class-registration",
            "return-or-dispute", "health-plan-enrolment", "report-submission",
        ])
        #expect(catalog.branding.languages == ["hu", "en"])
        #expect(catalog.branding.name == "Northhaven Önkormányzati Szolgáltatások")
        #expect(catalog.branding.name(in: "en") == "Northhaven Municipal Services")
        #expect(catalog.branding.colors["primary"]?.hex == "#1F4E79")
        #expect(catalog.branding.currency.code == "EUR")
        #expect(check.render().contains("OK"))
    }

    @Test func everySampleServiceHasATimeToDecideCountedInWholeDays() throws {
        let catalog = try Fixtures.sampleCatalog()
        for id in catalog.serviceIDs { #expect(catalog.service(id)?.decideWithin != nil, "\(id) has no decide_within") }
        let address = try #require(catalog.service("change-of-address"))
        #expect(address.decideWithin == RetentionPeriod(count: 5, unit: .days))
        // Submitted on 2026-12-04 at 18:00 UTC: due at the end of 2026-12-09 (UTC), whatever the hour of submission.
        let evening = 1_796_407_200.0, morning = 1_796_371_200.0
        #expect(address.decisionDue(submittedAtEpochSeconds: evening) == 1_796_860_800)
        #expect(address.decisionDue(submittedAtEpochSeconds: morning) == 1_796_860_800)
    }

    @Test func sensitivityDecidesSealingAndBlindIndex() throws {
        let benefit = try #require(try Fixtures.sampleCatalog().service("benefit-application"))
        let nationalID = try #require(benefit.field("national_id"))
        #expect(nationalID.isSealed && nationalID.hasBlindIndex)
        #expect(nationalID.blindIndexNormalization == .nationalID)
        let bank = try #require(benefit.field("bank_account"))
        #expect(bank.isSealed && !bank.hasBlindIndex && bank.sensitivity == .sensitive)
        let registration = try #require(try Fixtures.sampleCatalog().service("class-registration"))
        #expect(registration.field("class_choice")?.isSealed == false)
        #expect(registration.field("medical_notes")?.sensitivity == .specialCategory)
        #expect(registration.retention(ofField: "medical_notes") == RetentionPeriod(count: 6, unit: .months))
        #expect(registration.retention(ofField: "participant_name") == RetentionPeriod(count: 1, unit: .years))
    }

    @Test func feesAreExactAndSayWhenDue() throws {
        let catalog = try Fixtures.sampleCatalog()
        let classFee = try #require(catalog.service("class-registration")?.fee)
        #expect(classFee.amount == .fixed(Money(minorUnits: 4000, currency: try #require(Currency(code: "EUR")))))
        #expect(classFee.due == .onApproval && classFee.refundOnRejection && !classFee.chargesEnteredAmount)
        // The tax or fee payment charges what the citizen enters from their notice.
        let paymentFee = try #require(catalog.service("fee-payment")?.fee)
        #expect(paymentFee.amount == .entered(field: "amount", currency: try #require(Currency(code: "EUR"))))
        #expect(paymentFee.due == .onSubmission && !paymentFee.refundOnRejection)
        let entered = Money(minorUnits: 12540, currency: paymentFee.currency)
        #expect(paymentFee.amountDue(for: ["amount": .money(entered)]) == entered)
        #expect(paymentFee.amountDue(for: [:]) == nil)
        #expect(catalog.service("benefit-application")?.fee == nil)
    }

    @Test func serviceFieldIDsIncludeEveryVersion() throws {
        let ids = try Fixtures.sampleCatalog().serviceFieldIDs
        #expect(ids["benefit-application"]?.contains("employer_name") == true)
        #expect(ids["change-of-address"] == ["new_address", "postcode", "move_date", "contact_email"])
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let service: String
        let valid: [String: FieldInput]
        let invalid: [String: FieldInput]
        let expectedCode: FieldIssue.Code
        var testDescription: String { service }
    }

    static let address: FieldInput = .object([
        "line1": .string("12 Quay Road"), "city": .string("Northhaven"),
        "postcode": .string("40123"), "country": .string("ie"),
    ])

    static let cases: [Case] = [
        Case(service: "benefit-application",
             valid: ["full_name": .string("Aoife Byrne"), "national_id": .string("1234567 ab"),
                     "monthly_income": .string("1450.00"), "household_size": .integer(3),
                     "bank_account": .string("IE29AIBK93115212345678"), "reason": .string("Reduced hours at work since May.")],
             invalid: ["full_name": .string("Aoife Byrne"), "national_id": .string("12AB"),
                       "monthly_income": .string("1450.00"), "household_size": .integer(3),
                       "bank_account": .string("IE29AIBK93115212345678"), "reason": .string("Reduced hours at work since May.")],
             expectedCode: .invalidNationalID),
        Case(service: "change-of-address",
             valid: ["new_address": address, "postcode": .string("40123"), "move_date": .string("2025-06-01")],
             invalid: ["new_address": address, "postcode": .string("4012"), "move_date": .string("2025-06-01")],
             expectedCode: .patternMismatch),
        Case(service: "fee-payment",
             valid: ["payment_reference": .string("RT-00123456"), "amount": .decimal("125.40"), "payer_email": .string("a.byrne@Example.IE")],
             invalid: ["payment_reference": .string("RT-00123456"), "amount": .decimal("125.4"), "payer_email": .string("a.byrne@Example.IE")],
             expectedCode: .invalidMoney),
        Case(service: "class-registration",
             valid: ["class_choice": .string("coding-teen"), "participant_name": .string("Liam Byrne"), "date_of_birth": .string("2011-03-02")],
             invalid: ["class_choice": .string("karate"), "participant_name": .string("Liam Byrne"), "date_of_birth": .string("2011-03-02")],
             expectedCode: .notAllowedChoice),
        Case(service: "return-or-dispute",
             valid: ["request_kind": .string("return"), "order_reference": .string("ORD-1234567"),
                     "amount": .object(["amount": .integer(2999), "currency": .string("EUR")]), "reason": .string("Arrived broken")],
             invalid: ["request_kind": .string("return"), "order_reference": .string("ORD-1234567"),
                       "amount": .object(["amount": .integer(2999), "currency": .string("USD")]), "reason": .string("Arrived broken")],
             expectedCode: .invalidMoney),
        Case(service: "health-plan-enrolment",
             valid: ["employee_id": .string("E012345"), "plan": .string("family"), "dependants_count": .integer(2),
                     "has_conditions": .bool(false)],
             invalid: ["employee_id": .string("E012345"), "plan": .string("family"), "dependants_count": .decimal("2.5"),
                       "has_conditions": .bool(false)],
             expectedCode: .invalidNumber),
        Case(service: "report-submission",
             valid: ["report_type": .string("waste-return"), "period_start": .string("2025-01-01"), "period_end": .string("2025-03-31"),
                     "summary": .string("Quarterly waste return, 12 tonnes."), "report_file": .string("upload:7f3a9c2e"),
                     "contact_phone": .string("+353 1 555 0199")],
             invalid: ["report_type": .string("waste-return"), "period_start": .string("2025-02-30"), "period_end": .string("2025-03-31"),
                       "summary": .string("Quarterly waste return, 12 tonnes."), "report_file": .string("upload:7f3a9c2e")],
             expectedCode: .invalidDate),
    ]

    @Test(arguments: cases)
    func acceptsValidAndRejectsInvalid(_ testCase: Case) throws {
        let service = try #require(try Fixtures.sampleCatalog().service(testCase.service))
        let values = try service.validate(testCase.valid, today: Fixtures.today)
        #expect(Set(values.keys) == Set(testCase.valid.keys))
        let error = #expect(throws: CatalogError.self) {
            try service.validate(testCase.invalid, today: Fixtures.today)
        }
        #expect(error?.fieldIssues.map(\.code) == [testCase.expectedCode])
        #expect(error?.fieldIssues.count == 1)
    }
}

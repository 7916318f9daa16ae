import Catalog
import Testing

/// Valid and invalid submissions for every sample e-service, for the fixture clock's "today" (2027-01-15 UTC).
struct ServiceSample: Sendable, CustomTestStringConvertible {
    let service: String
    let valid: [String: FieldInput]
    /// The valid values with exactly one field broken.
    let invalid: [String: FieldInput]
    /// The field and problem code the invalid submission must report.
    let problemField: String
    let problemCode: String
    /// What the automatic rules make of the valid submission.
    let status: String
    let outcome: String?
    let rule: String?

    var testDescription: String { service }

    static let address: FieldInput = .object([
        "line1": .string("12 Quay Road"), "city": .string("Northhaven"),
        "postcode": .string("40123"), "country": .string("ie"),
    ])

    static func replacing(_ values: [String: FieldInput], _ field: String, with value: FieldInput) -> [String: FieldInput] {
        var copy = values
        copy[field] = value
        return copy
    }

    static let benefit: [String: FieldInput] = [
        "full_name": .string("Aoife Byrne"), "national_id": .string("1234567 ab"),
        "monthly_income": .string("1450.00"), "household_size": .integer(3),
        "bank_account": .string("IE29AIBK93115212345678"), "reason": .string("Reduced hours at work since May."),
    ]
    static let changeOfAddress: [String: FieldInput] = [
        "new_address": address, "postcode": .string("40123"), "move_date": .string("2027-01-10"),
        "contact_email": .string("aoife@Example.IE"),
    ]
    static let feePayment: [String: FieldInput] = [
        "payment_reference": .string("RT-00123456"), "amount": .decimal("125.40"), "payer_email": .string("a.byrne@Example.IE"),
    ]
    static let classRegistration: [String: FieldInput] = [
        "class_choice": .string("coding-teen"), "participant_name": .string("Liam Byrne"), "date_of_birth": .string("2013-03-02"),
    ]
    static let returnOrDispute: [String: FieldInput] = [
        "request_kind": .string("return"), "order_reference": .string("ORD-1234567"),
        "amount": .object(["amount": .integer(2999), "currency": .string("EUR")]), "reason": .string("Arrived broken"),
    ]
    static let healthPlan: [String: FieldInput] = [
        "employee_id": .string("E012345"), "plan": .string("family"), "dependants_count": .integer(2), "has_conditions": .bool(false),
    ]
    static let report: [String: FieldInput] = [
        "report_type": .string("waste-return"), "period_start": .string("2026-01-01"), "period_end": .string("2026-03-31"),
        "summary": .string("Quarterly waste return, 12 tonnes."), "report_file": .string("upload:7f3a9c2e"),
        "contact_phone": .string("+353 1 555 0199"),
    ]

    static let all: [ServiceSample] = [
        ServiceSample(
            service: "benefit-application", valid: benefit,
            invalid: replacing(benefit, "national_id", with: .string("12AB")), problemField: "national_id",
            problemCode: "invalid_national_id", status: "submitted", outcome: nil, rule: nil),
        ServiceSample(
            service: "change-of-address", valid: changeOfAddress,
            invalid: replacing(changeOfAddress, "postcode", with: .string("4012")), problemField: "postcode",
            problemCode: "pattern_mismatch", status: "decided", outcome: "approved", rule: "own-move-in-county"),
        ServiceSample(
            service: "fee-payment", valid: feePayment,
            invalid: replacing(feePayment, "amount", with: .decimal("125.4")), problemField: "amount",
            problemCode: "invalid_money", status: "decided", outcome: "approved", rule: "known-reference"),
        ServiceSample(
            service: "class-registration", valid: classRegistration,
            invalid: replacing(classRegistration, "class_choice", with: .string("karate")), problemField: "class_choice",
            problemCode: "not_an_allowed_choice", status: "decided", outcome: "approved", rule: "coding-age-range"),
        ServiceSample(
            service: "return-or-dispute", valid: returnOrDispute,
            invalid: replacing(returnOrDispute, "amount", with: .object(["amount": .integer(2999), "currency": .string("USD")])),
            problemField: "amount", problemCode: "invalid_money", status: "decided", outcome: "approved", rule: "small-return"),
        ServiceSample(
            service: "health-plan-enrolment", valid: healthPlan,
            invalid: replacing(healthPlan, "dependants_count", with: .decimal("2.5")), problemField: "dependants_count",
            problemCode: "invalid_number", status: "submitted", outcome: nil, rule: nil),
        ServiceSample(
            service: "report-submission", valid: report,
            invalid: replacing(report, "period_start", with: .string("2026-02-30")), problemField: "period_start",
            problemCode: "invalid_date", status: "submitted", outcome: nil, rule: nil),
    ]
}

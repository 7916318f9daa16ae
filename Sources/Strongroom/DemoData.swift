import Catalog
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Demo accounts and requests for `strongroom serve --demo`. Demo mode is explicit: it marks the data
/// directory with a `DEMO` file, and its passwords are printed for anyone to read.
public enum DemoData {
    /// One demo account.
    public struct Account: Sendable {
        public let login: String
        public let password: String
        public let role: String
        public let office: String?
        public let accountID: String?
    }

    /// The marker file that says a data directory holds demo data.
    public static func markerPath(dataDirectory: String) -> String { dataDirectory + "/DEMO" }

    /// Whether `dataDirectory` was seeded by demo mode.
    public static func isDemo(dataDirectory: String) -> Bool { FileManager.default.fileExists(atPath: markerPath(dataDirectory: dataDirectory)) }

    /// The staff accounts demo mode creates (login, roles, office).
    private static let demoStaff: [(String, Set<String>, String?)] = [
        ("carol@agency.example", ["caseworker"], "central"),
        ("dave@agency.example", ["caseworker"], "north"),
        ("sam@agency.example", ["supervisor"], "central"),
        ("audrey@agency.example", ["auditor"], nil),
        ("oscar@agency.example", ["security-officer"], nil),
        ("ada@agency.example", ["administrator"], nil),
    ]

    /// The staff logins demo mode creates: the only ones `demo code` prints a code for.
    public static var staffLogins: Set<String> { Set(demoStaff.map(\.0)) }

    /// Why `serve --demo` must not seed this installation, or `nil` when it may: demo mode creates published
    /// passwords, so it only ever seeds an installation it creates itself (no key directory yet) or one it seeded.
    public static func refusal(keysExist: Bool, dataDirectory: String, keyDirectory: String) -> String? {
        guard keysExist, !isDemo(dataDirectory: dataDirectory) else { return nil }
        return "--demo adds accounts with published passwords, so it only runs on an installation it created: \(keyDirectory) exists but \(dataDirectory) was not seeded by demo mode. Serve this installation without --demo, or give --keys and --data directories that do not exist yet"
    }

    static let citizenPassword = "demo-citizen-passphrase"
    static let staffPassword = "demo-staff-passphrase"

    /// Creates the demo accounts and a few requests, once; later runs return the same list.
    public static func seed(_ installation: Installation) async throws -> [Account] {
        let system = AuthenticatedCaller.system("demo-seed")
        let access = AccessContext(purpose: "administration", requestID: "demo-seed")
        let staff = demoStaff
        let alreadySeeded = isDemo(dataDirectory: installation.configuration.dataDirectory)
        var accounts: [Account] = []
        for login in ["alice@example.org", "bob@example.org"] {
            if !alreadySeeded {
                try await installation.accounts.signUp(login: login, password: citizenPassword, context: access)
            }
            accounts.append(Account(login: login, password: citizenPassword, role: "citizen", office: nil, accountID: nil))
        }
        for (login, roles, office) in staff {
            var id: String?
            if !alreadySeeded {
                id = try await installation.accounts.addStaff(
                    login: login, roles: roles, office: office, password: staffPassword, by: system, context: access
                ).accountID
            }
            accounts.append(Account(login: login, password: staffPassword, role: roles.sorted().joined(separator: ","), office: office, accountID: id))
        }
        if !alreadySeeded {
            try await seedRequests(installation)
            _ = FileManager.default.createFile(atPath: markerPath(dataDirectory: installation.configuration.dataDirectory), contents: Data("demo\n".utf8))
        }
        return accounts
    }

    static func seedRequests(_ installation: Installation) async throws {
        let session = try await installation.accounts.logIn(
            login: "alice@example.org", password: citizenPassword, address: "127.0.0.1", context: AccessContext(requestID: "demo-seed"))
        let alice = session.caller
        let access = AccessContext(purpose: "citizen-self-service", requestID: "demo-seed")
        _ = try await installation.records.updateProfile(
            [
                "name": .string("Alice Example"), "email": .string("alice@example.org"), "phone": .string("+353851234567"),
                "postal_address": .object([
                    "line1": .string("1 Main Street"), "city": .string("Cork"), "postcode": .string("40100"), "country": .string("IE"),
                ]),
                "national_id": .string("1234567TW"), "date_of_birth": .string("1990-01-01"),
            ],
            caller: alice, access: access)
        for serviceID in ["benefit-application", "change-of-address", "fee-payment"] where installation.catalog.service(serviceID) != nil {
            let values = SampleRequests.values(for: serviceID, marker: "Alice", moveDate: installation.clock.today.description) ?? [:]
            _ = try await installation.records.createRequest(serviceID: serviceID, values: values, submit: true, caller: alice, access: access)
        }
        try await installation.accounts.logOut(token: session.token, context: AccessContext(requestID: "demo-seed"))
    }
}

/// Valid example requests for the sample catalog's services (demo data, benchmarks and tests).
///
/// `marker` is woven into every free-text value, so a test can look for it on disk.
public enum SampleRequests {
    public static func values(for serviceID: String, marker: String = "Sample", moveDate: String = "2026-12-01") -> [String: FieldInput]? {
        switch serviceID {
        case "benefit-application":
            return [
                "full_name": .string("\(marker) Applicant"), "national_id": .string("1234567TW"), "monthly_income": .decimal("1250.00"),
                "household_size": .integer(3), "bank_account": .string("IE29AIBK93115212345678"),
                "reason": .string("\(marker): lost my job and need support"),
            ]
        case "change-of-address":
            return [
                "new_address": .object([
                    "line1": .string("\(marker) Road 5"), "city": .string("Cork"), "postcode": .string("40123"), "country": .string("IE"),
                ]),
                "postcode": .string("40123"), "move_date": .string(moveDate), "contact_email": .string("\(marker.lowercased())@example.org"),
            ]
        case "fee-payment":
            return ["payment_reference": .string("RT-12345678"), "amount": .decimal("25.00"), "payer_email": .string("\(marker.lowercased())@example.org")]
        case "class-registration":
            return [
                "class_choice": .string("pottery-adult"), "participant_name": .string("\(marker) Participant"),
                "date_of_birth": .string("1990-05-17"), "medical_notes": .string("\(marker) no allergies"),
            ]
        case "return-or-dispute":
            return [
                "request_kind": .string("dispute"), "order_reference": .string("CHG-1234567"), "amount": .decimal("120.00"),
                "reason": .string("\(marker): charged twice"),
            ]
        case "health-plan-enrolment":
            return [
                "employee_id": .string("E123456"), "plan": .string("family"), "dependants_count": .integer(2),
                "health_declaration": .string("\(marker) declares asthma"), "has_conditions": .bool(true),
            ]
        case "report-submission":
            return [
                "report_type": .string("waste-return"), "period_start": .string("2025-01-01"), "period_end": .string("2025-12-31"),
                "summary": .string("\(marker) annual waste summary"), "report_file": .string("file-0001"), "contact_phone": .string("+353851234567"),
            ]
        default:
            return nil
        }
    }
}

import AuditLog
import Catalog
import Foundation
import Sodium
import Strongroom
import TestSupport
import Testing

/// Invariant 1: no plaintext of a personal field reaches the database file, its WAL, a log line, an error
/// message or the audit log.
@Suite struct CanaryTests {
    /// Unique, high-entropy values that fit each field's validation, plus the exact strings to look for.
    struct Canaries {
        var needles: [String] = []
        private var generator = SecureRandomNumbers()

        /// Lower-case hex token, unique per call.
        mutating func token(_ length: Int = 16) -> String {
            String((0..<length).map { _ in Array("0123456789abcdef")[Int(generator.next() % 16)] })
        }

        mutating func digits(_ count: Int) -> String {
            String((0..<count).map { _ in Array("0123456789")[Int(generator.next() % 10)] })
        }

        mutating func letters(_ count: Int) -> String {
            String((0..<count).map { _ in Array("ABCDEFGHJKLMNPQRSTUVWXYZ")[Int(generator.next() % 24)] })
        }

        /// Registers a needle (what must never appear) and returns the input to submit.
        mutating func remember(_ needle: String, input: String? = nil) -> FieldInput {
            needles.append(needle)
            return .string(input ?? needle)
        }

        mutating func text(_ label: String) -> FieldInput { remember("Canary\(label)-\(token())") }
        mutating func email() -> FieldInput { remember("canary.\(token())@canary-\(token(8)).example") }
        mutating func phone() -> FieldInput {
            let number = "+3531" + digits(9)
            return remember(number)
        }

        mutating func address() -> FieldInput {
            let line1 = "CanaryStreet-\(token())", line2 = "CanaryFlat-\(token())", city = "CanaryCity-\(token())"
            needles += [line1, line2, city]
            return .object(["line1": .string(line1), "line2": .string(line2), "city": .string(city), "postcode": .string("40177"), "country": .string("IE")])
        }

        /// Values for every field of `service` the citizen fills, personal fields with canaries.
        mutating func values(for service: String) -> [String: FieldInput] {
            switch service {
            case "benefit-application":
                return [
                    "full_name": text("Name"), "national_id": remember("\(digits(7))QZ"),
                    "monthly_income": .string("4817.63"), "household_size": .integer(3),
                    "bank_account": remember("IE29CNRY\(letters(4))\(digits(10))"), "reason": text("Reason"),
                ]
            case "change-of-address":
                return [
                    "new_address": address(), "postcode": .string("40177"), "move_date": .string("2027-01-10"),
                    "contact_email": email(),
                ]
            case "fee-payment":
                return ["payment_reference": remember("RT-\(digits(8))"), "amount": .decimal("125.40"), "payer_email": email()]
            case "class-registration":
                return [
                    "class_choice": .string("coding-teen"), "participant_name": text("Participant"),
                    "date_of_birth": .string("2013-03-02"), "medical_notes": text("Medical"),
                ]
            case "return-or-dispute":
                return [
                    "request_kind": .string("dispute"), "order_reference": remember("CHG-\(digits(10))"),
                    "amount": .decimal("731.19"), "reason": text("Dispute"),
                ]
            case "health-plan-enrolment":
                return [
                    "employee_id": remember("E\(digits(6))"), "plan": .string("premium"), "dependants_count": .integer(4),
                    "health_declaration": text("Health"), "has_conditions": .bool(true),
                ]
            case "report-submission":
                return [
                    "report_type": .string("annual-accounts"), "period_start": .string("2026-01-01"), "period_end": .string("2026-12-31"),
                    "summary": text("Summary"), "report_file": remember("upload:canary-\(token())"), "contact_phone": phone(),
                ]
            default:
                Issue.record("no canary values for service \(service)")
                return [:]
            }
        }
    }

    /// Random numbers from libsodium, so two runs never share canaries.
    struct SecureRandomNumbers: RandomNumberGenerator {
        mutating func next() -> UInt64 {
            SecureRandom.bytes(count: 8).reduce(0) { $0 << 8 | UInt64($1) }
        }
    }

    static func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
        let bytes = Array(needle.utf8)
        guard !bytes.isEmpty, haystack.count >= bytes.count else { return false }
        let first = bytes[0]
        var index = 0
        let last = haystack.count - bytes.count
        while index <= last {
            if haystack[index] == first, Array(haystack[index..<(index + bytes.count)]) == bytes { return true }
            index += 1
        }
        return false
    }

    static func fileBytes(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }

    @Test func noPersonalValueReachesDiskLogsAuditOrErrors() async throws {
        let started = Date()
        // Every WAL frame stays until the scan: a value written and then replaced or deleted cannot be erased (by a
        // checkpoint and `secure_delete`) before it is looked for.
        let fixture = try InstallationFixture { $0.walCheckpointing = .keepEveryFrame }
        var canaries = Canaries()
        let login = "canary.login.\(canaries.token())@canary.example"
        let password = "CanaryPassword-\(canaries.token())"
        canaries.needles += [login, password]
        try await fixture.accounts.signUp(login: login, password: password, context: fixture.access())
        let session = try await fixture.accounts.logIn(login: login, password: password, address: "198.51.100.7", context: fixture.access())
        let caller = session.caller

        // Every profile field.
        let profileValues: [String: FieldInput] = [
            "name": canaries.text("ProfileName"), "email": canaries.email(), "phone": canaries.phone(),
            "postal_address": canaries.address(), "national_id": canaries.remember("\(canaries.digits(7))XW"),
            "date_of_birth": .string("1961-02-27"),
        ]
        _ = try await fixture.records.updateProfile(profileValues, caller: caller, access: fixture.access())
        _ = try await fixture.records.profile(of: caller.accountID, caller: caller, access: fixture.access())

        // Every field of every sample service, submitted; plus a draft updated before submission.
        var requestIDs: [String] = []
        for service in fixture.installation.catalog.serviceIDs {
            let values = canaries.values(for: service)
            let covered = Set(try #require(fixture.installation.catalog.service(service)).fields.map(\.id))
            #expect(Set(values.keys) == covered, "canary values must fill every field of \(service)")
            let view = try await fixture.records.createRequest(
                serviceID: service, values: values, submit: true, caller: caller, access: fixture.access())
            requestIDs.append(view.id)
        }
        let draft = try await fixture.records.createRequest(
            serviceID: "benefit-application", values: ["full_name": canaries.text("DraftName")], submit: false, caller: caller,
            access: fixture.access())
        let replaced = try #require(canaries.needles.last)  // overwritten below: stored once, then gone
        var rest = canaries.values(for: "benefit-application")
        guard case .string(let neverSent) = rest["full_name"] else { Issue.record("no generated name"); return }
        rest["full_name"] = canaries.text("DraftRename")
        _ = try await fixture.records.updateRequest(draft.id, values: rest, caller: caller, access: fixture.access())
        _ = try await fixture.records.submitRequest(draft.id, caller: caller, access: fixture.access())
        requestIDs.append(draft.id)

        // Reads by the owner and by a caseworker (with masks), and denied reads.
        let caseworker = try await fixture.staff("cw.canary@agency.example", roles: ["caseworker"], office: "central")
        for id in requestIDs {
            _ = try await fixture.records.request(id, caller: caller, access: fixture.access())
            _ = try await fixture.records.request(id, caller: caseworker, access: fixture.access(purpose: "case-handling"))
        }
        _ = try await fixture.records.ownRequests(caller: caller, access: fixture.access())

        // Casework: a question, the citizen's answer, a decision reason, a search and an export all carry canaries.
        let casework = fixture.access(purpose: "case-handling")
        _ = try await fixture.records.claim(draft.id, caller: caseworker, access: casework)
        let question = canaries.token(), answer = canaries.token(), reason = canaries.token()
        canaries.needles += [question, answer, reason]
        _ = try await fixture.records.requestInformation(draft.id, question: "Question \(question)", caller: caseworker, access: casework)
        _ = try await fixture.records.postMessage(draft.id, body: "Answer \(answer)", caller: caller, access: fixture.access())
        _ = try await fixture.records.submitRequest(draft.id, caller: caller, access: fixture.access())
        _ = try await fixture.records.messages(draft.id, caller: caseworker, access: fixture.access(purpose: "case-handling"))
        _ = try await fixture.records.decideRequest(draft.id, outcome: .reject, reason: "Reason \(reason)", caller: caseworker, access: casework)
        let searchedID = try #require(rest["national_id"].flatMap { if case .string(let text) = $0 { text } else { nil } })
        _ = try await fixture.records.search(field: "national_id", value: searchedID, caller: caseworker, access: fixture.access(purpose: "case-handling"))
        let export = try await fixture.records.export(caller: caller, access: fixture.access())
        #expect(export.messages.contains { $0.body == "Answer \(answer)" })
        #expect(export.requests.contains { $0.decisionReason == "Reason \(reason)" })
        _ = try await fixture.records.accessReport(caller: caller, access: fixture.access())

        // The needles are real: every value registered so far is stored, so it is in the owner's export (the login
        // and password are proven by the sign-in; the draft's first name was replaced, and one generated name was
        // never sent).
        let exportText = String(reflecting: export)
        let stored = canaries.needles.filter { ![login, password, replaced, neverSent].contains($0) }
        #expect(stored.count > 30)
        let missing = stored.filter { !exportText.contains($0) }
        #expect(missing.isEmpty, "values the test wrote are not in the export, so the scan below could not find them: \(missing)")

        // A public value replaced in a draft: its old value must still be in the WAL (it proves the scan sees frames
        // that were overwritten; a sealed value written the same way would be found the same way).
        let classDraft = try await fixture.records.createRequest(
            serviceID: "class-registration", values: ["class_choice": .string("pottery-adult")], submit: false, caller: caller,
            access: fixture.access())
        _ = try await fixture.records.updateRequest(
            classDraft.id, values: ["class_choice": .string("swimming-junior")], caller: caller, access: fixture.access())
        _ = try await fixture.records.updateRequest(classDraft.id, values: ["class_choice": .null], caller: caller, access: fixture.access())

        // Errors: invalid values that carry canaries must not be echoed back.
        var errors: [StrongroomError] = []
        let badValues: [(String, [String: FieldInput])] = [
            ("benefit-application", ["national_id": canaries.text("BadNationalID"), "household_size": canaries.text("BadSize")]),
            ("change-of-address", ["postcode": canaries.text("BadPostcode"), "move_date": canaries.text("BadDate"),
                                   "contact_email": canaries.text("BadEmail")]),
            ("fee-payment", ["payment_reference": canaries.text("BadReference"), "amount": canaries.text("BadAmount")]),
            ("class-registration", ["class_choice": canaries.text("BadChoice")]),
            ("report-submission", ["contact_phone": canaries.text("BadPhone"), canaries.token(): canaries.text("UnknownField")]),
        ]
        for (service, values) in badValues {
            for submit in [true, false] {
                if let error = await strongroomError({
                    try await fixture.records.createRequest(
                        serviceID: service, values: values, submit: submit, caller: caller, access: fixture.access())
                }) { errors.append(error) }
            }
        }
        if let error = await strongroomError({
            try await fixture.records.updateProfile(
                ["email": canaries.text("BadProfileEmail"), "national_id": canaries.text("BadProfileID")], caller: caller,
                access: fixture.access())
        }) { errors.append(error) }
        if let error = await strongroomError({
            try await fixture.accounts.logIn(login: login, password: "Wrong-\(password)", address: "198.51.100.7", context: fixture.access())
        }) { errors.append(error) }
        #expect(errors.count == 12)
        #expect(errors.allSatisfy { !$0.fields.isEmpty || $0.code == "bad_credentials" })

        // 1. Every file of the data directory, the key directory (the subject key store and its journal
        // included) and the temporary directory, as they are now: every frame of the WAL is still there.
        let database = fixture.installation.database
        var scan = PlaintextScan(needles: canaries.needles)
        var leaks: [String] = []
        let directories = [fixture.data.path, fixture.keys.directory.path]
        let wal = try #require(Self.fileBytes(database.path + "-wal"), "the WAL should exist before a checkpoint")
        let keptOverwritten = PlaintextScan.contains(wal, "pottery-adult"), keptRemoved = PlaintextScan.contains(wal, "swimming-junior")
        #expect(keptOverwritten && keptRemoved, "the WAL lost an overwritten frame: the scan would miss replaced values")
        leaks += scan.scan(directories: directories, label: "before checkpoint").map(\.description)
        leaks += scan.scanTemporaryFiles(since: started).map(\.description)
        // 2. After the WAL is copied into the database file.
        try database.checkpoint()
        leaks += scan.scan(directories: directories, label: "after checkpoint").map(\.description)
        #expect(scan.filesScanned >= 8, "the scan read \(scan.filesScanned) files")
        #expect(scan.bytesScanned > wal.count, "the scan read \(scan.bytesScanned) bytes")

        let audit = try fixture.auditEntries()
        #expect(audit.count > 40)
        let auditText = audit.map { "\($0.jsonLine)\n\(String(reflecting: $0))\n" + String(decoding: $0.canonicalBytes, as: UTF8.self) }
            .joined(separator: "\n")
        let errorText = errors.map { error in
            ([error.message, error.description, String(reflecting: error)] + error.fields.flatMap { [$0.field, $0.code, $0.message] })
                .joined(separator: "\n")
        }.joined(separator: "\n")
        let logText = fixture.logs.all.joined(separator: "\n")

        for needle in canaries.needles {
            if auditText.contains(needle) { leaks.append("audit log: \(needle)") }
            if errorText.contains(needle) { leaks.append("error message: \(needle)") }
            if logText.contains(needle) { leaks.append("log: \(needle)") }
        }
        #expect(leaks.isEmpty, "\(leaks.joined(separator: "\n"))")

        // And the whole log still verifies after all of it.
        let report = AuditVerifier(trustedKeys: [fixture.installation.checkpointSigner.verifierKey]).verify(fixture.installation.auditStore)
        #expect(report.isValid, "\(report.render())")
        #expect(report.entriesVerified == UInt64(audit.count))
    }

    /// The search above would be worthless if it could not find a value that is there: an open (public) field is
    /// stored in clear, so it must be found.
    @Test func theSearchFindsWhatIsStoredInClear() async throws {
        let fixture = try InstallationFixture()
        let caller = try await fixture.citizen("clear@example.org").caller
        _ = try await fixture.records.createRequest(
            serviceID: "class-registration", values: ServiceSample.classRegistration, submit: true, caller: caller,
            access: fixture.access())
        let wal = try #require(Self.fileBytes(fixture.installation.database.path + "-wal"))
        #expect(Self.contains(wal, "coding-teen"))
        #expect(!Self.contains(wal, "Liam Byrne"))
        try fixture.installation.database.checkpoint()
        let main = try #require(Self.fileBytes(fixture.installation.database.path))
        #expect(Self.contains(main, "coding-teen"))
        #expect(!Self.contains(main, "Liam Byrne"))
    }

    /// A key that is not a field id may be personal data pasted into the wrong place: it must not be echoed in an
    /// error, nor written to the audit log, whichever path (value or `null` removal) it comes through.
    @Test func unknownKeysAreNeverEchoedOrAudited() async throws {
        let fixture = try InstallationFixture()
        let caller = try await fixture.citizen("keys@example.org").caller
        let draft = try await fixture.records.createRequest(
            serviceID: "fee-payment", values: ["payment_reference": .string("RT-00123456")], submit: false, caller: caller,
            access: fixture.access())
        var canaries = Canaries()
        let asValue = "Pasted Name \(canaries.token())"
        let asRemoval = "Pasted Address \(canaries.token())"
        let asProfileRemoval = "Pasted Phone \(canaries.token())"
        var errorText = ""
        for (values, submit) in [([asValue: FieldInput.string("x")], true), ([asValue: .string("x")], false)] {
            if let error = await strongroomError({
                try await fixture.records.createRequest(serviceID: "fee-payment", values: values, submit: submit, caller: caller, access: fixture.access())
            }) { errorText += String(reflecting: error) + error.fields.map { "\($0)" }.joined() }
        }
        for values in [[asValue: FieldInput.string("x")], [asRemoval: .null]] {
            do {
                _ = try await fixture.records.updateRequest(draft.id, values: values, caller: caller, access: fixture.access())
            } catch {
                errorText += String(reflecting: error) + ((error as? StrongroomError)?.fields.map { "\($0)" }.joined() ?? "")
            }
        }
        if let error = await strongroomError({
            try await fixture.records.updateProfile([asProfileRemoval: .null], caller: caller, access: fixture.access())
        }) { errorText += String(reflecting: error) + error.fields.map { "\($0)" }.joined() }

        let auditText = try fixture.auditEntries().map(\.jsonLine).joined(separator: "\n")
        for needle in [asValue, asRemoval, asProfileRemoval] {
            let inError = errorText.contains(needle), inAudit = auditText.contains(needle)
            #expect(!inError, "an error echoes the key `\(needle)`")
            #expect(!inAudit, "the audit log holds the key `\(needle)`")
        }
    }
}

import AuditLog
import Catalog
import Foundation
import GRDB
import Sealing
import Strongroom
import TestSupport
import Testing

/// The staff half of the product, through the service layer: fee → payment → claim → review with masking →
/// more information → resubmission → approval → what the citizen sees, including exactly who accessed their data.
@Suite struct CaseworkEndToEndTests {
    static let casework = "case-handling"

    @Test func benefitWithFeeIsPaidReviewedAndApprovedAndTheCitizenSeesWhoLooked() async throws {
        let catalog = try FeeCatalog()
        let provider = try RecordingPaymentProvider()
        let fixture = try InstallationFixture(paymentProvider: provider) { $0.catalogDirectory = catalog.path }
        let records = fixture.records
        let citizen = try await fixture.citizen("aoife@example.ie").caller
        let carol = try await fixture.staff("carol@agency.example", roles: ["caseworker"], office: fixture.configuration.defaultOffice)

        // Submit: the fee falls due at once.
        let submitted = try await records.createRequest(
            serviceID: "benefit-application", values: ServiceSample.benefit, submit: true, caller: citizen, access: fixture.access())
        #expect(submitted.status == "submitted")
        let payments = try await records.ownPayments(caller: citizen, access: fixture.access())
        let due = try #require(payments.first)
        #expect(payments.count == 1 && due.status == "pending" && due.amountMinor == 500 && due.currency == "EUR" && due.receipt == nil)
        #expect(due.requestID == submitted.id)

        // Pay with the offline provider: paid, with a receipt.
        let paid = try await records.pay(due.id, instrument: OfflinePaymentProvider.approvingInstrument, caller: citizen, access: fixture.access())
        #expect(paid.status == "paid")
        let receipt = try #require(paid.receipt)
        #expect(receipt.amountMinor == 500 && receipt.number.hasPrefix("R-"))

        // The caseworker finds it in the office queue, claims it, and reviews it with a purpose.
        fixture.clock.advance(by: 3600)
        let queue = try await records.queue(CaseQueueFilter(), caller: carol, access: fixture.access(purpose: Self.casework))
        #expect(queue.map(\.id) == [submitted.id])
        #expect(queue.first?.paymentStatus == "paid" && queue.first?.assigneeID == nil)
        let claimed = try await records.claim(submitted.id, caller: carol, access: fixture.access(purpose: Self.casework))
        #expect(claimed.status == "in-review" && claimed.assigneeID == carol.accountID)
        let review = try await records.request(submitted.id, caller: carol, access: fixture.access(purpose: Self.casework))
        #expect(review.record.fields["full_name"] == .revealed("Aoife Byrne"))
        #expect(review.record.fields["reason"] == .revealed("Reduced hours at work since May."))
        #expect(review.record.fields["national_id"] == .masked("•••••67AB", style: "last4") || review.record.fields["national_id"]?.mask == "last4")
        #expect(review.record.fields["national_id"]?.value == nil)
        #expect(review.record.fields["national_id"]?.masked?.hasSuffix("67AB") == true)
        #expect(review.record.fields["bank_account"]?.value == nil && review.record.fields["bank_account"]?.mask == "last4")

        // More information, please.
        let asked = try await records.requestInformation(
            submitted.id, question: "Please add a payslip reference to your reason.", caller: carol, access: fixture.access(purpose: Self.casework))
        #expect(asked.status == "info-requested")

        // The citizen reads the question, answers and resubmits; the request returns to the same caseworker.
        fixture.clock.advance(by: 600)
        let thread = try await records.messages(submitted.id, caller: citizen, access: fixture.access())
        #expect(thread.map(\.kind) == ["info-request"])
        #expect(thread.first?.body == "Please add a payslip reference to your reason." && thread.first?.authorRole == "caseworker")
        _ = try await records.postMessage(submitted.id, body: "Added payslip ref PS-2026-11.", caller: citizen, access: fixture.access())
        _ = try await records.updateRequest(
            submitted.id, values: ["reason": .string("Reduced hours at work since May; payslip PS-2026-11.")], caller: citizen,
            access: fixture.access())
        let resubmitted = try await records.submitRequest(submitted.id, caller: citizen, access: fixture.access())
        #expect(resubmitted.status == "submitted")
        #expect(resubmitted.submittedAt == submitted.submittedAt)

        // Approved with a reason the citizen sees.
        let decided = try await records.decideRequest(
            submitted.id, outcome: .approve, reason: "Income below the threshold for a household of 3.", caller: carol,
            access: fixture.access(purpose: Self.casework))
        #expect(decided.status == "decided" && decided.outcome == "approved")
        let seen = try await records.request(submitted.id, caller: citizen, access: fixture.access())
        #expect(seen.status == "decided" && seen.outcome == "approved")
        #expect(seen.decisionReason == "Income below the threshold for a household of 3.")
        #expect(seen.assigneeID == nil, "a citizen is not told which staff account handles the request")
        #expect(seen.paymentID == due.id && seen.paymentStatus == "paid")
        let after = try await records.payment(due.id, caller: citizen, access: fixture.access())
        #expect(after.receipt == receipt)

        // Who accessed my data: exactly the caseworker's accesses (plus the system's fee and rule entries), by role
        // and office, with the purpose; never the caseworker's account.
        let report = try await records.accessReport(caller: citizen, access: fixture.access())
        let staff = report.entries.filter { $0.accessorKind == "staff" }
        #expect(staff.map(\.action) == [
            "case.claim", "request.read",  // claiming answers with the request, which is a read
            "request.read",  // the review
            "case.request-info", "request.read",
            "case.decide", "request.read",
        ])
        for line in staff {
            #expect(line.role == "caseworker" && line.office == fixture.configuration.defaultOffice)
            #expect(line.purpose == Self.casework && !line.breakGlass && line.allowed)
        }
        let reads = staff.filter { $0.action == "request.read" }
        #expect(reads.allSatisfy { $0.fields.contains("full_name") && $0.fields.contains("national_id") })
        let others = Set(report.entries.filter { $0.accessorKind != "staff" }.map(\.action))
        #expect(others == ["payment.due", "payment.event", "request.auto-decide"])
        #expect(!report.entries.contains { $0.accessorKind == "staff" && $0.role.contains(carol.accountID) })

        // Export: everything of theirs, opened, and the export itself audited.
        let before = try fixture.auditEntries().count
        let export = try await records.export(caller: citizen, access: fixture.access())
        #expect(export.requests.count == 1)
        #expect(export.requests.first?.fields["full_name"] == "Aoife Byrne")
        #expect(export.requests.first?.decisionReason == "Income below the threshold for a household of 3.")
        #expect(export.messages.map(\.kind) == ["info-request", "message"])
        #expect(export.payments.first?.receipt == receipt)
        #expect(export.accesses.filter { $0.accessorKind == "staff" }.count == staff.count)
        let exportEntries = try fixture.auditEntries(after: before)
        #expect(exportEntries.map(\.action) == ["subject.export"], "one entry records the export (its access report included)")
        #expect(exportEntries.first?.actor.id == citizen.accountID)
    }

    @Test func rejectionRefundsAPaidFeeWhenTheServiceSaysSo() async throws {
        let catalog = try FeeCatalog()
        let fixture = try InstallationFixture { $0.catalogDirectory = catalog.path }
        let citizen = try await fixture.citizen("liam@example.ie").caller
        let carol = try await fixture.staff("carol@agency.example", roles: ["caseworker"], office: fixture.configuration.defaultOffice)
        let request = try await fixture.records.createRequest(
            serviceID: "benefit-application", values: ServiceSample.benefit, submit: true, caller: citizen, access: fixture.access())
        let due = try #require(try await fixture.records.ownPayments(caller: citizen, access: fixture.access()).first)
        _ = try await fixture.records.pay(due.id, instrument: OfflinePaymentProvider.approvingInstrument, caller: citizen, access: fixture.access())
        _ = try await fixture.records.claim(request.id, caller: carol, access: fixture.access(purpose: Self.casework))
        let rejected = try await fixture.records.decideRequest(
            request.id, outcome: .reject, reason: "Income above the threshold.", caller: carol, access: fixture.access(purpose: Self.casework))
        #expect(rejected.outcome == "rejected")
        let refunded = try await fixture.records.payment(due.id, caller: citizen, access: fixture.access())
        #expect(refunded.status == "refunded" && refunded.refundedAt != nil && refunded.receipt != nil)
    }

    @Test func aDeclinedCardLeavesThePaymentPayableAndUnknownInstrumentsAreRefused() async throws {
        let catalog = try FeeCatalog()
        let fixture = try InstallationFixture { $0.catalogDirectory = catalog.path }
        let citizen = try await fixture.citizen("ciara@example.ie").caller
        _ = try await fixture.records.createRequest(
            serviceID: "benefit-application", values: ServiceSample.benefit, submit: true, caller: citizen, access: fixture.access())
        let due = try #require(try await fixture.records.ownPayments(caller: citizen, access: fixture.access()).first)
        let declined = try await fixture.records.pay(due.id, instrument: OfflinePaymentProvider.decliningInstrument, caller: citizen, access: fixture.access())
        #expect(declined.status == "failed" && declined.receipt == nil)
        let error = await strongroomError { try await fixture.records.pay(due.id, instrument: "4111111111111111", caller: citizen, access: fixture.access()) }
        #expect(error?.code == "unknown_instrument")
        #expect(error?.message.contains("4111") == false)
        let paid = try await fixture.records.pay(due.id, instrument: OfflinePaymentProvider.approvingInstrument, caller: citizen, access: fixture.access())
        #expect(paid.status == "paid")
    }

    @Test func anAutomaticApprovalMakesAnOnApprovalFeeDueAndAnAutomaticRejectionOwesNothing() async throws {
        let fixture = try InstallationFixture()
        let citizen = try await fixture.citizen("liam@example.ie").caller
        let approved = try await fixture.records.createRequest(
            serviceID: "class-registration", values: ServiceSample.classRegistration, submit: true, caller: citizen, access: fixture.access())
        #expect(approved.outcome == "approved" && approved.paymentStatus == "pending")
        let payments = try await fixture.records.ownPayments(caller: citizen, access: fixture.access())
        #expect(payments.count == 1 && payments.first?.amountMinor == 4000 && payments.first?.requestID == approved.id)
        var tooOld = ServiceSample.classRegistration
        tooOld["class_choice"] = .string("pottery-adult")
        let rejected = try await fixture.records.createRequest(
            serviceID: "class-registration", values: tooOld, submit: true, caller: citizen, access: fixture.access())
        #expect(rejected.outcome == "rejected" && rejected.paymentID == nil)
        #expect(try await fixture.records.ownPayments(caller: citizen, access: fixture.access()).count == 1)
    }

    /// The tax or fee payment charges what the citizen entered from their notice — at submission, whether the request
    /// was submitted at once or saved as a draft first — and the audit log says only that the amount was entered.
    @Test func aFeePaymentChargesTheEnteredAmountAndKeepsItOutOfTheAuditLog() async throws {
        let fixture = try InstallationFixture()
        let records = fixture.records
        let citizen = try await fixture.citizen("taxpayer@example.ie").caller
        let mark = try fixture.auditEntries().count
        let atOnce = try await records.createRequest(
            serviceID: "fee-payment", values: ServiceSample.replacing(ServiceSample.feePayment, "amount", with: .decimal("1234.56")),
            submit: true, caller: citizen, access: fixture.access())
        let draft = try await records.createRequest(
            serviceID: "fee-payment", values: ServiceSample.replacing(ServiceSample.feePayment, "amount", with: .decimal("78.90")),
            submit: false, caller: citizen, access: fixture.access())
        #expect(try await records.ownPayments(caller: citizen, access: fixture.access()).count == 1, "a draft owes nothing yet")
        _ = try await records.submitRequest(draft.id, caller: citizen, access: fixture.access())

        let payments = try await records.ownPayments(caller: citizen, access: fixture.access())
        #expect(payments.count == 2)
        #expect(payments.first { $0.requestID == atOnce.id }?.amountMinor == 123_456)
        #expect(payments.first { $0.requestID == draft.id }?.amountMinor == 7_890)
        #expect(payments.allSatisfy { $0.currency == "EUR" && $0.status == "pending" })
        let paid = try await records.pay(
            try #require(payments.first { $0.requestID == atOnce.id }).id, instrument: OfflinePaymentProvider.approvingInstrument,
            caller: citizen, access: fixture.access())
        #expect(paid.receipt?.amountMinor == 123_456)

        let dueEntries = try fixture.auditEntries(after: mark).filter { $0.action == "payment.due" }
        #expect(dueEntries.count == 2)
        for entry in dueEntries {
            #expect(entry.details["amount"] == "entered" && entry.details["amount_minor"] == nil)
            for value in ["123456", "1234.56", "7890", "78.90"] { #expect(!entry.jsonLine.contains(value)) }
        }
    }

    @Test func erasureMakesMessagesAndDecisionReasonsUnreadableInEarlierCopiesToo() async throws {
        let fixture = try InstallationFixture()
        let citizen = try await fixture.citizen("aoife@example.ie").caller
        let carol = try await fixture.staff("carol@agency.example", roles: ["caseworker"], office: fixture.configuration.defaultOffice)
        let request = try await fixture.records.createRequest(
            serviceID: "benefit-application", values: ServiceSample.benefit, submit: true, caller: citizen, access: fixture.access())
        _ = try await fixture.records.claim(request.id, caller: carol, access: fixture.access(purpose: Self.casework))
        _ = try await fixture.records.requestInformation(request.id, question: "Which employer?", caller: carol, access: fixture.access(purpose: Self.casework))
        _ = try await fixture.records.postMessage(request.id, body: "Acme Ltd.", caller: citizen, access: fixture.access())
        _ = try await fixture.records.submitRequest(request.id, caller: citizen, access: fixture.access())
        _ = try await fixture.records.decideRequest(request.id, outcome: .approve, reason: "Eligible.", caller: carol, access: fixture.access(purpose: Self.casework))
        try fixture.installation.database.checkpoint()
        let backup = TemporaryDirectory(prefix: "strongroom-backup")
        try FileManager.default.copyItem(atPath: fixture.installation.database.path, toPath: backup.appending("strongroom.sqlite"))

        _ = try await fixture.records.erase(
            subjectID: try #require(citizen.subjectID), basis: "GDPR art. 17 test", by: .system("officer"),
            access: fixture.access(purpose: "legal-obligation"))
        let copy = try DatabaseQueue(path: backup.appending("strongroom.sqlite"))
        let rows = try copy.read { db in
            try Row.fetchAll(db, sql: "SELECT collection, record_id, field, envelope FROM sealed_fields WHERE collection IN ('messages', 'decisions')")
        }
        #expect(rows.count == 3, "info request, answer and decision reason")
        for row in rows {
            let place = FieldPlace(collection: row["collection"], recordID: row["record_id"], field: row["field"])
            #expect(throws: SealingError.keyUnavailableCode) {
                _ = try fixture.installation.sealer.open([UInt8](row["envelope"] as Data), at: place)
            }
        }
        let left = try await fixture.installation.database.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sealed_fields WHERE collection IN ('messages', 'decisions')")
        }
        #expect(left == 0)
    }
}

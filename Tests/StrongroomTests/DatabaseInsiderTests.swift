import AuditLog
import Foundation
import GRDB
import Sealing
import Sodium
import Strongroom
import TestSupport
import Testing

/// Plays a database insider: someone with read/write SQL on the live database file (its own connection, no keys).
/// Every attack must be refused, decrypt nothing, and leave an `integrity.alarm` entry naming the table.
@Suite struct DatabaseInsiderTests {
    static let casework = "case-handling"

    /// The insider's own connection to the database file.
    static func sql(_ fixture: InstallationFixture, _ body: (Database) throws -> Void) throws {
        let queue = try DatabaseQueue(path: fixture.installation.database.path)
        try queue.writeWithoutTransaction { db in try body(db) }
    }

    /// The integrity alarms recorded after `count` entries, as (table, key).
    static func alarms(_ fixture: InstallationFixture, after count: Int = 0) throws -> [(table: String, key: String?)] {
        try fixture.auditEntries(after: count).filter { $0.action == "integrity.alarm" }.map { ($0.target.collection ?? "", $0.target.recordID) }
    }

    static func bearer(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    @Test func aSessionMintedBySQLDoesNotAuthenticate() async throws {
        let fixture = try InstallationFixture()
        let victim = try await fixture.citizen("victim@example.org")
        // The insider picks a token and stores its SHA-256 (yesterday's scheme) and, for good measure, a random MAC.
        let raw = SecureRandom.bytes(count: 32)
        let token = Self.bearer(raw)
        try Self.sql(fixture) { db in
            try db.execute(
                sql: "INSERT INTO sessions (token_hash, account_id, created_at, expires_at, strength, row_mac) VALUES (?, ?, 0, ?, 'mfa', ?)",
                arguments: [Data(SHA256Digest.hash(raw)), victim.accountID, Int64.max, Data(SecureRandom.bytes(count: 36))])
        }
        let error = await strongroomError { try await fixture.accounts.authenticate(token: token) }
        #expect(error == StrongroomError.unauthenticated)
    }

    @Test func aSessionMovedToAnotherAccountIsRefusedAndAlarmed() async throws {
        let fixture = try InstallationFixture()
        let victim = try await fixture.citizen("victim@example.org")
        let insider = try await fixture.citizen("insider@example.org")
        _ = try await fixture.records.createRequest(
            serviceID: "benefit-application", values: ServiceSample.benefit, submit: false, caller: victim.caller, access: fixture.access())
        let before = try fixture.auditEntries().count
        // The insider re-points their own valid session at the victim's account, and raises its strength.
        try Self.sql(fixture) { db in
            try db.execute(sql: "UPDATE sessions SET account_id = ?, strength = 'mfa' WHERE account_id = ?", arguments: [victim.accountID, insider.accountID])
        }
        let error = await strongroomError { try await fixture.accounts.authenticate(token: insider.token) }
        #expect(error == StrongroomError.unauthenticated)
        #expect(try Self.alarms(fixture, after: before).map(\.table) == ["sessions"])
        #expect(fixture.logs.all.contains { $0.contains("integrity alarm") && $0.contains("table=sessions") })
        // The victim's own session still works.
        #expect(try await fixture.accounts.authenticate(token: victim.token).accountID == victim.accountID)
    }

    @Test func anAccountGivenStaffRolesBySQLSignsNobodyIn() async throws {
        let fixture = try InstallationFixture()
        let insider = try await fixture.citizen("insider@example.org")
        let before = try fixture.auditEntries().count
        try Self.sql(fixture) { db in
            try db.execute(
                sql: "UPDATE accounts SET kind = 'staff', roles = 'caseworker,supervisor', office = 'central' WHERE id = ?",
                arguments: [insider.accountID])
        }
        let error = await strongroomError { try await fixture.accounts.authenticate(token: insider.token) }
        #expect(error == StrongroomError.unauthenticated)
        let signIn = await strongroomError {
            try await fixture.accounts.logIn(
                login: "insider@example.org", password: "correct horse battery staple", address: "198.51.100.9", context: fixture.access())
        }
        #expect(signIn == StrongroomError.badCredentials)
        let alarms = try Self.alarms(fixture, after: before)
        #expect(!alarms.isEmpty && alarms.allSatisfy { $0.table == "accounts" && $0.key == insider.accountID })
    }

    @Test func aPasswordHashReplacedBySQLDoesNotSignIn() async throws {
        let fixture = try InstallationFixture()
        _ = try await fixture.citizen("victim@example.org", password: "the victim's own password")
        try await fixture.accounts.signUp(login: "insider@example.org", password: "insider knows this one", context: fixture.access())
        // Copy the insider's own password hash onto the victim's account.
        try Self.sql(fixture) { db in
            try db.execute(sql: """
                UPDATE accounts SET password_hash = (SELECT password_hash FROM accounts WHERE id = (
                    SELECT id FROM accounts ORDER BY created_at DESC, rowid DESC LIMIT 1))
                WHERE id = (SELECT id FROM accounts ORDER BY created_at, rowid LIMIT 1)
                """)
        }
        let error = await strongroomError {
            try await fixture.accounts.logIn(
                login: "victim@example.org", password: "insider knows this one", address: "198.51.100.9", context: fixture.access())
        }
        #expect(error == StrongroomError.badCredentials)
    }

    @Test func aRequestReParentedBySQLIsNotReadable() async throws {
        let fixture = try InstallationFixture()
        let victim = try await fixture.citizen("victim@example.org")
        let insider = try await fixture.citizen("insider@example.org")
        let request = try await fixture.records.createRequest(
            serviceID: "benefit-application", values: ServiceSample.benefit, submit: true, caller: victim.caller, access: fixture.access())
        let before = try fixture.auditEntries().count
        try Self.sql(fixture) { db in
            try db.execute(sql: "UPDATE requests SET owner_id = ? WHERE id = ?", arguments: [insider.accountID, request.id])
        }
        let error = await strongroomError { try await fixture.records.request(request.id, caller: insider.caller, access: fixture.access()) }
        #expect(error?.kind == .notFound)
        let listed = await strongroomError { try await fixture.records.ownRequests(caller: insider.caller, access: fixture.access()) }
        #expect(listed?.kind == .notFound)
        let exported = await strongroomError { try await fixture.records.export(caller: insider.caller, access: fixture.access()) }
        #expect(exported?.kind == .notFound)
        let alarms = try Self.alarms(fixture, after: before)
        #expect(alarms.count >= 3 && alarms.allSatisfy { $0.table == "requests" && $0.key == request.id })
        // Nothing of the victim's answers reached the log.
        #expect(!fixture.logs.all.joined().contains("Aoife Byrne"))
    }

    @Test func aRequestUnsealedOrApprovedBySQLIsRefused() async throws {
        let fixture = try InstallationFixture()
        let citizen = try await fixture.citizen("citizen@example.org")
        let office = fixture.configuration.defaultOffice
        let sue = try await fixture.staff("sue@agency.example", roles: ["supervisor"], office: office)
        let carol = try await fixture.staff("carol@agency.example", roles: ["caseworker"], office: office)
        let request = try await fixture.records.createRequest(
            serviceID: "benefit-application", values: ServiceSample.benefit, submit: true, caller: citizen.caller, access: fixture.access())
        // Sealing is a gated, audited action: a caseworker may not, a supervisor of the office may.
        let refused = await strongroomError {
            try await fixture.records.setSealed(request.id, sealed: true, reason: "protected-identity", caller: carol, access: fixture.access(purpose: Self.casework))
        }
        #expect(refused != nil)
        let change = try await fixture.records.setSealed(
            request.id, sealed: true, reason: "protected-identity", caller: sue, access: fixture.access(purpose: "supervision"))
        #expect(change.sealed && !change.unchanged)
        #expect(try fixture.auditEntries().contains { $0.action == "request.seal" && $0.target.recordID == request.id })
        let sealedRead = await strongroomError { try await fixture.records.request(request.id, caller: carol, access: fixture.access(purpose: Self.casework)) }
        #expect(sealedRead?.kind == .notFound)
        // The messages of the sealed request are as closed as the request.
        let messages = await strongroomError { try await fixture.records.messages(request.id, caller: carol, access: fixture.access(purpose: Self.casework)) }
        #expect(messages?.kind == .notFound)
        let post = await strongroomError {
            try await fixture.records.postMessage(request.id, body: "hello", caller: carol, access: fixture.access(purpose: Self.casework))
        }
        #expect(post?.kind == .notFound)
        // The citizen still reads their own thread.
        #expect(try await fixture.records.messages(request.id, caller: citizen.caller, access: fixture.access()).isEmpty)

        // The insider unseals by SQL: refused for everyone, alarmed.
        let before = try fixture.auditEntries().count
        try Self.sql(fixture) { db in try db.execute(sql: "UPDATE requests SET sealed = 0 WHERE id = ?", arguments: [request.id]) }
        let unsealedRead = await strongroomError { try await fixture.records.request(request.id, caller: carol, access: fixture.access(purpose: Self.casework)) }
        #expect(unsealedRead?.kind == .notFound)
        #expect(try Self.alarms(fixture, after: before).contains { $0.table == "requests" })

        // Approving by SQL is the same.
        try Self.sql(fixture) { db in
            try db.execute(sql: "UPDATE requests SET sealed = 1, status = 'decided', outcome = 'approved' WHERE id = ?", arguments: [request.id])
        }
        let approvedRead = await strongroomError { try await fixture.records.request(request.id, caller: citizen.caller, access: fixture.access()) }
        #expect(approvedRead?.kind == .notFound)
    }

    @Test func aMessageMovedToAnotherRequestIsRefused() async throws {
        let fixture = try InstallationFixture()
        let victim = try await fixture.citizen("victim@example.org")
        let insider = try await fixture.citizen("insider@example.org")
        let theirs = try await fixture.records.createRequest(
            serviceID: "benefit-application", values: ServiceSample.benefit, submit: true, caller: victim.caller, access: fixture.access())
        let mine = try await fixture.records.createRequest(
            serviceID: "benefit-application", values: ServiceSample.benefit, submit: true, caller: insider.caller, access: fixture.access())
        let message = try await fixture.records.postMessage(
            theirs.id, body: "canary-message-5512: my new phone is 555-0199", caller: victim.caller, access: fixture.access())
        let before = try fixture.auditEntries().count
        try Self.sql(fixture) { db in
            try db.execute(sql: "UPDATE messages SET request_id = ? WHERE id = ?", arguments: [mine.id, message.id])
        }
        let error = await strongroomError { try await fixture.records.messages(mine.id, caller: insider.caller, access: fixture.access()) }
        #expect(error?.kind == .notFound)
        #expect(try Self.alarms(fixture, after: before).map(\.table) == ["messages"])
    }

    @Test func aFieldRolledBackToAnOlderEnvelopeDoesNotOpen() async throws {
        let fixture = try InstallationFixture()
        let citizen = try await fixture.citizen("citizen@example.org")
        let draft = try await fixture.records.createRequest(
            serviceID: "benefit-application", values: ServiceSample.benefit, submit: false, caller: citizen.caller, access: fixture.access())
        func envelope() throws -> Data? {
            try fixture.installation.database.readBlocking { db in
                try Data.fetchOne(
                    db, sql: "SELECT envelope FROM sealed_fields WHERE collection = 'requests' AND record_id = ? AND field = 'bank_account'",
                    arguments: [draft.id])
            }
        }
        let old = try #require(try envelope())
        // The citizen changes their bank account; the insider wants the payout to go to the old one.
        _ = try await fixture.records.updateRequest(
            draft.id, values: ["bank_account": .string("DE89370400440532013000")], caller: citizen.caller, access: fixture.access())
        #expect(try envelope() != old)
        let current = try await fixture.records.request(draft.id, caller: citizen.caller, access: fixture.access())
        #expect(current.record.fields["bank_account"]?.value == "DE89370400440532013000")
        let before = try fixture.auditEntries().count
        try Self.sql(fixture) { db in
            try db.execute(
                sql: "UPDATE sealed_fields SET envelope = ? WHERE collection = 'requests' AND record_id = ? AND field = 'bank_account'",
                arguments: [old, draft.id])
        }
        let error = await strongroomError { try await fixture.records.request(draft.id, caller: citizen.caller, access: fixture.access()) }
        #expect(error?.kind == .notFound)
        let submit = await strongroomError { try await fixture.records.submitRequest(draft.id, caller: citizen.caller, access: fixture.access()) }
        #expect(submit?.kind == .notFound)
        let alarms = try Self.alarms(fixture, after: before)
        #expect(alarms.contains { $0.table == "sealed_fields" && $0.key == "requests/\(draft.id)/bank_account" })
    }

    @Test func aProfileFieldRolledBackDoesNotOpen() async throws {
        let fixture = try InstallationFixture()
        let citizen = try await fixture.citizen("citizen@example.org")
        _ = try await fixture.records.updateProfile(["name": .string("First Name")], caller: citizen.caller, access: fixture.access())
        let old = try fixture.installation.database.readBlocking { db in
            try Data.fetchOne(db, sql: "SELECT envelope FROM sealed_fields WHERE collection = 'profiles' AND field = 'name'")
        }
        _ = try await fixture.records.updateProfile(["name": .string("Second Name")], caller: citizen.caller, access: fixture.access())
        #expect(try await fixture.records.profile(of: citizen.accountID, caller: citizen.caller, access: fixture.access()).fields["name"]?.value == "Second Name")
        try Self.sql(fixture) { db in
            try db.execute(sql: "UPDATE sealed_fields SET envelope = ? WHERE collection = 'profiles' AND field = 'name'", arguments: [old])
        }
        let error = await strongroomError { try await fixture.records.profile(of: citizen.accountID, caller: citizen.caller, access: fixture.access()) }
        #expect(error?.kind == .notFound)
    }

    @Test func aPaymentMarkedPaidBySQLIsRefused() async throws {
        let catalog = try FeeCatalog()
        let fixture = try InstallationFixture { $0.catalogDirectory = catalog.path }
        let citizen = try await fixture.citizen("citizen@example.org")
        let request = try await fixture.records.createRequest(
            serviceID: "benefit-application", values: ServiceSample.benefit, submit: true, caller: citizen.caller, access: fixture.access())
        let due = try #require(try await fixture.records.ownPayments(caller: citizen.caller, access: fixture.access()).first)
        #expect(due.status == "pending")
        let before = try fixture.auditEntries().count
        try Self.sql(fixture) { db in
            try db.execute(sql: "UPDATE payments SET status = 'paid', receipt_number = 'R-20270115-FFFFFFFF' WHERE id = ?", arguments: [due.id])
        }
        let read = await strongroomError { try await fixture.records.payment(due.id, caller: citizen.caller, access: fixture.access()) }
        #expect(read?.kind == .notFound)
        let requestRead = await strongroomError { try await fixture.records.request(request.id, caller: citizen.caller, access: fixture.access()) }
        #expect(requestRead?.kind == .notFound)
        #expect(try Self.alarms(fixture, after: before).contains { $0.table == "payments" && $0.key == due.id })
    }

    @Test func anErasureScheduledBySQLIsNotCarriedOut() async throws {
        let fixture = try InstallationFixture()
        let victim = try await fixture.citizen("victim@example.org")
        let subjectID = try #require(victim.caller.subjectID)
        let request = try await fixture.records.createRequest(
            serviceID: "benefit-application", values: ServiceSample.benefit, submit: false, caller: victim.caller, access: fixture.access())
        try Self.sql(fixture) { db in
            try db.execute(
                sql: "INSERT INTO erasure_requests (subject_id, requested_at, effective_at, basis) VALUES (?, 0, 0, 'data subject request')",
                arguments: [subjectID])
        }
        _ = try await fixture.records.runRetention(signReceipt: false)
        #expect(try Self.alarms(fixture).contains { $0.table == "erasure_requests" && $0.key == subjectID })
        let read = try await fixture.records.request(request.id, caller: victim.caller, access: fixture.access())
        #expect(read.record.fields["full_name"]?.value == "Aoife Byrne")
    }

    @Test func aRowWhoseMACWasClearedIsNotAuthenticatedAgainOnRestart() async throws {
        let fixture = try InstallationFixture()
        let victim = try await fixture.citizen("victim@example.org")
        let insider = try await fixture.citizen("insider@example.org")
        let request = try await fixture.records.createRequest(
            serviceID: "benefit-application", values: ServiceSample.benefit, submit: true, caller: victim.caller, access: fixture.access())
        // Re-parent and clear the MAC, hoping the next start computes a fresh one as the upgrade did.
        try Self.sql(fixture) { db in
            try db.execute(sql: "UPDATE requests SET owner_id = ?, row_mac = NULL WHERE id = ?", arguments: [insider.accountID, request.id])
        }
        let reopened = try Installation(configuration: fixture.configuration, clock: fixture.clock)
        let error = await strongroomError { try await reopened.records.request(request.id, caller: insider.caller, access: fixture.access()) }
        #expect(error?.kind == .notFound)
    }

    @Test func anInstallationFromBeforeRowMACsIsAuthenticatedOnceAtUpgrade() async throws {
        let fixture = try InstallationFixture()
        let citizen = try await fixture.citizen("citizen@example.org")
        let request = try await fixture.records.createRequest(
            serviceID: "benefit-application", values: ServiceSample.benefit, submit: true, caller: citizen.caller, access: fixture.access())
        _ = try await fixture.records.postMessage(request.id, body: "a question", caller: citizen.caller, access: fixture.access())
        // As the database was before the migration: no MACs, no field revisions, envelopes of format 1, no marker.
        let legacyName = try fixture.installation.sealer.seal(
            Array("Aoife Byrne".utf8), for: FieldPlace(collection: "requests", recordID: request.id, field: "full_name"), revision: nil)
        try Self.sql(fixture) { db in
            for table in ["accounts", "requests", "messages", "payments", "erasure_requests", "sessions"] {
                try db.execute(sql: "UPDATE \(table) SET row_mac = NULL")
            }
            for table in ["accounts", "requests", "messages"] { try db.execute(sql: "UPDATE \(table) SET field_revisions = ''") }
            try db.execute(
                sql: "UPDATE sealed_fields SET envelope = ?, shred_key = NULL WHERE collection = 'requests' AND record_id = ? AND field = 'full_name'",
                arguments: [Data(legacyName), request.id])
            try db.execute(sql: "DELETE FROM sealed_fields WHERE collection IN ('messages', 'accounts') OR (collection = 'requests' AND field != 'full_name')")
        }
        try FileManager.default.removeItem(atPath: fixture.configuration.keys.rowIntegrityMarkerPath)
        let upgraded = try Installation(configuration: fixture.configuration, clock: fixture.clock)
        #expect(fixture.configuration.keys.hasRowIntegrityMarker)
        // Old sessions are gone (their hashes were not keyed); the citizen signs in again and reads everything.
        #expect(try upgraded.database.readBlocking { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sessions") } == 0)
        let session = try await upgraded.accounts.logIn(
            login: "citizen@example.org", password: "correct horse battery staple", address: "198.51.100.7", context: fixture.access())
        let read = try await upgraded.records.request(request.id, caller: session.caller, access: fixture.access())
        #expect(read.record.fields["full_name"]?.value == "Aoife Byrne")
        #expect(try await upgraded.records.messages(request.id, caller: session.caller, access: fixture.access()).map(\.body) == [nil])
        #expect(try upgraded.database.readBlocking { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM requests WHERE row_mac IS NULL") } == 0)
    }

    @Test func everyAccessDecidingRowCarriesAValidMAC() async throws {
        let catalog = try FeeCatalog()
        let fixture = try InstallationFixture { $0.catalogDirectory = catalog.path }
        let citizen = try await fixture.citizen("citizen@example.org")
        _ = try await fixture.staff("carol@agency.example", roles: ["caseworker"], office: fixture.configuration.defaultOffice)
        let request = try await fixture.records.createRequest(
            serviceID: "benefit-application", values: ServiceSample.benefit, submit: true, caller: citizen.caller, access: fixture.access())
        _ = try await fixture.records.postMessage(request.id, body: "a question", caller: citizen.caller, access: fixture.access())
        _ = try await fixture.records.requestErasure(caller: citizen.caller, access: fixture.access())
        let counts = try fixture.installation.database.readBlocking { db in
            try ["accounts", "requests", "messages", "payments", "erasure_requests", "sessions"].map { table in
                (table, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0,
                 try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) WHERE length(row_mac) = \(RowAuthenticator.byteCount)") ?? 0)
            }
        }
        for (table, total, authenticated) in counts {
            #expect(total > 0, "\(table) has rows")
            #expect(authenticated == total, "every \(table) row has a MAC")
        }
    }
}

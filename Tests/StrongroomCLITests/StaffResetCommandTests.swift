import AuditLog
import Foundation
import GRDB
import Storage
import Testing
import TestSupport

@testable import StrongroomCLI

@Suite struct StaffResetCommandTests {
    /// The sealed authenticator secrets of the installation's staff accounts (ciphertext only).
    static func sealedSecrets(_ data: String) throws -> [Data] {
        let reader = try StrongroomDatabase.openReadOnly(dataDirectory: data)
        return try reader.read { db in
            try Data.fetchAll(db, sql: "SELECT envelope FROM sealed_fields WHERE collection = 'accounts' AND field = 'totp_secret' ORDER BY record_id")
        }
    }

    @Test("staff reset-mfa gives an account a new authenticator secret, audited, and refuses an unknown or empty login")
    func resetMFA() async throws {
        let temp = TemporaryDirectory()
        let keys = temp.appending("Keys"), data = temp.appending("data")
        #expect(await run(["init", "--keys", keys, "--data", data]) == 0)
        let common = ["--keys", keys, "--data", data, "--catalog", repositoryRoot + "/Catalog", "--policies", repositoryRoot + "/Policies"]
        let admin = try await TestOperator.add(keys: keys, data: data, login: "admin@agency.example", roles: ["administrator"])
        #expect(await admin.run(["staff", "add", "--login", "carol@agency.example", "--role", "caseworker", "--office", "central"] + common) == 0)
        let before = try Self.sealedSecrets(data)
        #expect(before.count == 2)

        #expect(await admin.run(["staff", "reset-mfa", "--login", "nobody@agency.example"] + common) == 1)
        #expect(await admin.run(["staff", "reset-mfa", "--login", " "] + common) != 0)
        #expect(await admin.run(["staff", "reset-mfa", "--login", "admin@agency.example"] + common) == 1, "not one's own")
        #expect(try Self.sealedSecrets(data) == before, "a refused reset changes nothing")

        #expect(await admin.run(["staff", "reset-mfa", "--login", "Carol@Agency.example"] + common) == 0)
        let after = try Self.sealedSecrets(data)
        #expect(after.count == 2 && after != before)
        #expect(Set(after).intersection(before).count == 1, "only carol's secret changed")
        let reader = try StrongroomDatabase.openReadOnly(dataDirectory: data)
        let store = SQLiteAuditStore(reader: reader)
        let entries = try await reader.read { db in try store.entries(matching: AuditQuery(action: "staff.reset-mfa"), in: db) }
        #expect(entries.count == 1 && entries.first?.purpose == "administration" && entries.first?.fieldsTouched == ["totp_secret"])
        #expect(entries.first?.actor.id == admin.accountID, "the log names the operator's account")
    }
}

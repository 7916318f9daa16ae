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
        #expect(await run(["staff", "add", "--login", "carol@agency.example", "--role", "caseworker", "--office", "central"] + common) == 0)
        let before = try Self.sealedSecrets(data)
        #expect(before.count == 1)

        #expect(await run(["staff", "reset-mfa", "--login", "nobody@agency.example"] + common) == 1)
        #expect(await run(["staff", "reset-mfa", "--login", " "] + common) != 0)
        #expect(try Self.sealedSecrets(data) == before, "a refused reset changes nothing")

        #expect(await run(["staff", "reset-mfa", "--login", "Carol@Agency.example"] + common) == 0)
        let after = try Self.sealedSecrets(data)
        #expect(after.count == 1 && after != before)
        let reader = try StrongroomDatabase.openReadOnly(dataDirectory: data)
        let store = SQLiteAuditStore(reader: reader)
        let entries = try await reader.read { db in try store.entries(matching: AuditQuery(action: "staff.reset-mfa"), in: db) }
        #expect(entries.count == 1 && entries.first?.purpose == "administration" && entries.first?.fieldsTouched == ["totp_secret"])
    }
}

import Foundation
import GRDB
import Sodium
import Strongroom
import Testing

/// Sign-in and the second factor go through guarded memory: the password is copied once from the request's text into
/// ``SecretBytes`` for Argon2id, and the TOTP secret is sealed from and opened into ``SecretBytes``. These check that
/// the answers are the same as before: the stored hash is of the password's exact UTF-8 bytes, and the code the
/// service checks is the one an authenticator app computes from the enrolment URI.
@Suite("Secrets on the sign-in path")
struct SecretPathTests {
    @Test(arguments: ["correct horse battery staple", "jelszó ÁRVÍZTŰRŐ tükörfúrógép", String(repeating: "a long passphrase ", count: 8)])
    func passwordsAreHashedFromTheirExactBytes(_ password: String) async throws {
        let fixture = try InstallationFixture()
        let session = try await fixture.citizen("bytes@example.org", password: password)
        let stored = try await fixture.installation.database.read { db in try String.fetchOne(db, sql: "SELECT password_hash FROM accounts") }
        let hash = try #require(stored)
        #expect(Argon2id.verifyPassword(Array(password.utf8), against: hash))
        #expect(!Argon2id.verifyPassword(Array((password + "!").utf8), against: hash))
        _ = try await fixture.accounts.authenticate(token: session.token)
        let wrong = await strongroomError {
            try await fixture.accounts.logIn(login: "bytes@example.org", password: String(password.dropLast()), address: "198.51.100.7", context: fixture.access())
        }
        #expect(wrong?.code == "bad_credentials")
        let empty = await strongroomError {
            try await fixture.accounts.logIn(login: "bytes@example.org", password: "", address: "198.51.100.7", context: fixture.access())
        }
        #expect(empty?.code == "bad_credentials")
    }

    @Test func theSealedOneTimeCodeSecretIsTheOneTheEnrolmentShows() async throws {
        let fixture = try InstallationFixture()
        let enrolment = try await fixture.accounts.addStaff(
            login: "totp.path@agency.example", roles: ["caseworker"], office: "central", by: .system("test"), context: fixture.access())
        let uri = try #require(URLComponents(string: enrolment.oneTimeCodeURI))
        let base32 = try #require(uri.queryItems?.first { $0.name == "secret" }?.value)
        let secret = try Self.decodeBase32(base32)
        #expect(secret.count == 20)
        let now = Int64(fixture.clock.now.timeIntervalSince1970)
        // What an authenticator app shows, computed here from the URI, is what the service accepts.
        let code = TOTP.code(secret: secret, at: now)
        #expect(try fixture.accounts.unsafeCurrentOneTimeCode(accountID: enrolment.accountID) == code)
        let session = try await fixture.accounts.logIn(
            login: "totp.path@agency.example", password: enrolment.password, oneTimeCode: code, address: "198.51.100.21",
            context: fixture.access())
        #expect(session.caller.authStrength == "mfa")
        // The sealed row holds no trace of the secret's bytes.
        let sealed = try await fixture.installation.database.read { db in
            try Data.fetchAll(db, sql: "SELECT envelope FROM sealed_fields").map { [UInt8]($0) }
        }
        let raw = secret.withUnsafeBytes { Array($0) }
        #expect(!sealed.contains { row in row.count >= raw.count && (0...(row.count - raw.count)).contains { Array(row[$0..<($0 + raw.count)]) == raw } })
    }

    static func decodeBase32(_ text: String) throws -> SecretBytes {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)
        var bytes: [UInt8] = []
        var buffer: UInt32 = 0, bits = 0
        for character in text.utf8 {
            let value = try #require(alphabet.firstIndex(of: character))
            buffer = buffer << 5 | UInt32(value)
            bits += 5
            if bits >= 8 {
                bytes.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits - 8)))
                bits -= 8
            }
        }
        return try SecretBytes(consuming: &bytes)
    }
}

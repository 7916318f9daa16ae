import Foundation
import Keyring
import Strongroom
import Testing
import TestSupport

@testable import StrongroomCLI

@Suite("strongroom keys retire subjects")
struct KeysRetireSubjectsTests {
    @Test("retire subjects is refused until rewrap has moved every shredding key, then works; status counts shredding keys")
    func retireSubjects() async throws {
        let temp = TemporaryDirectory()
        let keys = temp.appending("Keys"), data = temp.appending("data")
        #expect(await run(["init", "--keys", keys, "--data", data]) == 0)
        let common = ["--keys", keys, "--data", data, "--catalog", repositoryRoot + "/Catalog", "--policies", repositoryRoot + "/Policies"]
        let admin = try await TestOperator.add(keys: keys, data: data, login: "admin@agency.example", roles: ["administrator"])
        #expect(await admin.run(["staff", "add", "--login", "kim@agency.example", "--role", "caseworker", "--office", "central"] + common) == 0)
        let directory = KeyDirectory(path: keys)
        // A shredding key to rewrap, whatever `staff add` made.
        do {
            let keyring = try Keyring.open(directory)
            _ = try SubjectKeyStore(directory: directory, keyring: keyring).keyID(subject: "cli-test-subject", scope: "subject")
        }
        #expect(await run(["keys", "rotate", "--data", "subjects", "--keys", keys, "--data-directory", data]) == 0)
        let keyFile = try Data(contentsOf: URL(fileURLWithPath: directory.keyRingPath))
        #expect(await run(["keys", "retire", "subjects", "--below", "2", "--keys", keys, "--data", data]) == 1)
        #expect(await run(["keys", "retire", "subjects", "--below", "2", "--force", "--keys", keys, "--data", data]) != 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.keyRingPath)) == keyFile, "a refused retirement changes nothing")
        #expect(await run(["keys", "status", "--keys", keys, "--data", data]) == 0)
        #expect(await run(["keys", "rewrap"] + common) == 0)
        #expect(await run(["keys", "retire", "subjects", "--below", "2", "--keys", keys, "--data", data]) == 0)
        let keyring = try Keyring.open(directory)
        #expect(keyring.status().first { $0.id == SubjectKeyStore.wrappingKeyID && $0.version == 1 }?.state == .retired)
        let store = try #require(try SubjectKeyStore.existing(in: directory, keyring: keyring))
        #expect(try store.countsByWrappingVersion().keys.sorted() == [2])
        #expect(await run(["keys", "retire", "index", "--below", "1", "--keys", keys, "--data", data]) != 0)
    }

    @Test("status shows how many shredding keys each subjects version wraps")
    func statusShowsShreddingKeys() {
        let now = Date()
        let report = KeyStatusReport(
            statuses: [
                KeyStatus(id: SubjectKeyStore.wrappingKeyID, version: 1, createdAt: now, state: .decryptOnly),
                KeyStatus(id: SubjectKeyStore.wrappingKeyID, version: 2, createdAt: now, state: .active),
            ],
            directory: "Keys", shreddingKeys: [1: 3, 2: 40], now: now)
        let table = report.render(json: false)
        #expect(table.contains("3 shredding keys") && table.contains("40 shredding keys"))
        #expect(report.render(json: true).contains("\"shreddingKeys\":40"))
    }
}

@Suite("The subject key store is a key file")
struct SubjectKeyStorePermissionTests {
    @Test("a subject key store that group or others can read is refused, by the library and by serve-time commands")
    func looseStoreIsRefused() async throws {
        let temp = TemporaryDirectory()
        let keys = temp.appending("Keys"), data = temp.appending("data")
        #expect(await run(["init", "--keys", keys, "--data", data]) == 0)
        let directory = KeyDirectory(path: keys)
        let path = directory.file("subjects.sqlite")
        do {
            let keyring = try Keyring.open(directory)
            _ = try SubjectKeyStore(directory: directory, keyring: keyring).keyID(subject: "perm-test-subject", scope: "subject")
        }
        var info = stat()
        #expect(lstat(path, &info) == 0)
        #expect(info.st_mode & 0o077 == 0, "created owner-only")
        #expect(chmod(path, 0o644) == 0)
        #expect {
            _ = try SubjectKeyStore(directory: directory, keyring: try Keyring.open(directory))
        } throws: { error in
            (error as? KeyringError) == KeyringError.filePermissionsCode && "\(error)".contains("chmod 600")
        }
        #expect(await run(["keys", "status", "--keys", keys, "--data", data]) != 0)
        #expect(chmod(path, 0o600) == 0)
        _ = try SubjectKeyStore(directory: directory, keyring: try Keyring.open(directory))
    }
}

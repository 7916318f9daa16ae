import AuditLog
import Foundation
import Keyring
import Sodium
import Strongroom
import Testing
import TestSupport

@Suite struct WitnessConfigurationTests {
    let temp = TemporaryDirectory()

    func key(_ name: String) throws -> WitnessVerifierKey {
        try WitnessCosigner(name: name, keyPair: Ed25519.KeyPair.generate()).verifierKey
    }

    func write(_ text: String, mode: mode_t = 0o600) throws -> KeyDirectory {
        try FileManager.default.createDirectory(atPath: temp.path + "/Keys", withIntermediateDirectories: true)
        try text.write(toFile: temp.path + "/Keys/witnesses", atomically: true, encoding: .utf8)
        #expect(chmod(temp.path + "/Keys/witnesses", mode) == 0)
        return KeyDirectory(path: temp.path + "/Keys")
    }

    @Test func missingFileMeansNoWitnesses() throws {
        #expect(try WitnessEndpoint.load(from: KeyDirectory(path: temp.path)).isEmpty)
    }

    @Test func linesAreParsed() throws {
        let one = try key("w1.test/witness"), two = try key("w2.test/witness")
        let keys = try write("# comment\n\n\(one.text) http://127.0.0.1:8090\n  \(two.text)\thttp://[::1]:9000/tlog/\n")
        let endpoints = try WitnessEndpoint.load(from: keys)
        #expect(endpoints.map(\.key) == [one, two])
        #expect(endpoints[0].url.addCheckpointPath == "/add-checkpoint")
        #expect(endpoints[1].url.host == "::1")
        #expect(endpoints[1].url.port == 9000)
        #expect(endpoints[1].url.addCheckpointPath == "/tlog/add-checkpoint")
    }

    @Test(arguments: ["KEY", "KEY https://x.example", "KEY http://x.example:0", "KEY http://x.example:99999", "KEY http://", "nonsense http://x.example", "KEY http://a.example extra", "KEY http://a b"])
    func badLinesAreRefusedWithTheLine(line: String) throws {
        let keys = try write("# first\n" + line.replacingOccurrences(of: "KEY", with: try key("w.test/w").text) + "\n")
        #expect {
            try WitnessEndpoint.load(from: keys)
        } throws: { error in
            (error as? StrongroomError)?.message.contains("line 2") == true
        }
    }

    @Test func duplicatesAndLoosePermissionsAreRefused() throws {
        let one = try key("w1.test/witness")
        #expect(throws: StrongroomError.self) {
            try WitnessEndpoint.load(from: try write("\(one.text) http://a.example\n\(one.text) http://b.example\n"))
        }
        #expect {
            try WitnessEndpoint.load(from: try write("\(one.text) http://a.example\n", mode: 0o666))
        } throws: { error in
            (error as? StrongroomError)?.message.contains("chmod go-w") == true
        }
    }
}

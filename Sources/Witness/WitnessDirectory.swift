import AuditLog
import Keyring
import Sodium

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A witness's files, in a directory of their own on the witness operator's machine:
///
/// - `witness.key` (mode 0600): the Ed25519 seed, as `strongroom.witness-key.v1` text.
/// - `witness.pub`: the verifier key (type 0x04) that the log operator and auditors configure.
/// - `witness.state` (mode 0600): per log, the trusted keys and the latest checkpoint cosigned (JSON).
/// - `evidence/`: requests that carried a valid log signature but did not extend what was cosigned — proof that the
///   log misbehaved, kept for the witness operator.
///
/// Writes are atomic and durable (temporary file, fsync, rename, fsync of the directory): a witness that restarts
/// never forgets a cosigned size, since forgetting would let it cosign a rollback.
public struct WitnessDirectory: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    var keyPath: String { path + "/witness.key" }
    public var publicKeyPath: String { path + "/witness.pub" }
    var statePath: String { path + "/witness.state" }
    var evidencePath: String { path + "/evidence" }

    static let keyHeader = "strongroom.witness-key.v1"

    /// Creates a new witness: key pair, public key file and an empty state.
    ///
    /// - Throws: ``WitnessError`` when the directory already holds a witness or cannot be written.
    @discardableResult
    public func initialize(name: String) throws -> WitnessVerifierKey {
        guard !SecureFile.exists(keyPath), !SecureFile.exists(statePath) else { throw WitnessError.alreadyInitialized(path) }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw WitnessError.io("cannot create \(path); check the parent directory's permissions", cause: error)
        }
        let seed = try SecretBytes(randomCount: Ed25519.seedByteCount)
        let cosigner: WitnessCosigner
        do {
            cosigner = try WitnessCosigner(name: name, keyPair: Ed25519.KeyPair(seed: seed))
        } catch let error as AuditError {
            throw WitnessError.invalid(error.message)
        }
        var text = seed.withUnsafeBytes { Array("\(Self.keyHeader)\nname \(name)\nseed \(Self.base64(Array($0)))\n".utf8) }
        defer { SecretBytes.wipe(&text) }
        try write(text, to: keyPath, mode: 0o600)
        try write(Array((cosigner.verifierKey.text + "\n").utf8), to: publicKeyPath, mode: 0o644)
        try saveState(WitnessStateFile(logs: []))
        return cosigner.verifierKey
    }

    /// Opens the witness's cosigner from `witness.key` (refused when group or others can read it).
    public func loadCosigner() throws -> WitnessCosigner {
        guard SecureFile.exists(keyPath) else { throw WitnessError.notInitialized(path) }
        var bytes = try SecureFile.readChecked(keyPath, maximumSize: 4096)
        defer { SecretBytes.wipe(&bytes) }
        let lines = bytes.split(separator: 0x0a, omittingEmptySubsequences: false)
        guard lines.count == 4, lines[3].isEmpty, String(decoding: lines[0], as: UTF8.self) == Self.keyHeader,
            lines[1].starts(with: Array("name ".utf8)), lines[2].starts(with: Array("seed ".utf8))
        else { throw WitnessError.corrupt(keyPath, "it is not a strongroom.witness-key.v1 file") }
        let name = String(decoding: lines[1].dropFirst(5), as: UTF8.self)
        var encodedSeed = Array(lines[2].dropFirst(5))
        defer { SecretBytes.wipe(&encodedSeed) }
        var seed: [UInt8]
        do {
            seed = try Base64.decodeCanonical(encodedSeed)
        } catch {
            throw WitnessError.corrupt(keyPath, "its seed is not canonical base64 of 32 bytes: \(error)")
        }
        guard seed.count == Ed25519.seedByteCount else {
            SecretBytes.wipe(&seed)
            throw WitnessError.corrupt(keyPath, "its seed is not canonical base64 of 32 bytes: it decodes to \(seed.count) bytes")
        }
        let keyPair = try Ed25519.KeyPair(seed: SecretBytes(consuming: &seed))
        do {
            return try WitnessCosigner(name: name, keyPair: keyPair)
        } catch let error as AuditError {
            throw WitnessError.corrupt(keyPath, error.message)
        }
    }

    /// The logs this witness witnesses, with what it last cosigned for each.
    public func loadState() throws -> WitnessStateFile {
        guard SecureFile.exists(statePath) else { throw WitnessError.notInitialized(path) }
        let bytes = try SecureFile.readChecked(statePath, maximumSize: 16 << 20)
        return try WitnessStateFile(json: bytes, path: statePath)
    }

    /// Replaces the state, atomically and durably.
    public func saveState(_ state: WitnessStateFile) throws {
        try write(state.json, to: statePath, mode: 0o600)
    }

    /// Keeps a refused request that the log signed (evidence of a fork or rollback), up to 1,000 files.
    public func keepEvidence(_ body: [UInt8], size: UInt64, now: UInt64) {
        _ = try? FileManager.default.createDirectory(atPath: evidencePath, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let count = (try? FileManager.default.contentsOfDirectory(atPath: evidencePath).count) ?? 0
        guard count < 1000 else { return }
        try? write(body, to: "\(evidencePath)/\(now)-size-\(size)-\(UInt32.random(in: 0...UInt32.max)).txt", mode: 0o600)
    }

    private func write(_ bytes: [UInt8], to file: String, mode: mode_t) throws {
        do {
            try SecureFile.writeAtomically(bytes, to: file, mode: mode)
        } catch {
            throw WitnessError.io("cannot write \(file): \(error)", cause: error)
        }
    }

    /// Standard, canonical base64 (the audit log's own codec: the same spelling everywhere a hash or key is read).
    static func base64(_ bytes: [UInt8]) -> String { Base64.encode(bytes) }
}

/// `witness.state`: the logs witnessed, each with its trusted keys and the latest checkpoint cosigned.
public struct WitnessStateFile: Sendable, Equatable {
    public var logs: [WitnessedLog]

    public init(logs: [WitnessedLog]) {
        self.logs = logs
    }

    /// The log with this origin.
    public func log(origin: String) -> WitnessedLog? { logs.first { $0.origin == origin } }

    /// Replaces (or adds) the log with `log`'s origin.
    public mutating func update(_ log: WitnessedLog) {
        if let index = logs.firstIndex(where: { $0.origin == log.origin }) { logs[index] = log } else { logs.append(log) }
    }

    private struct Form: Codable {
        struct Log: Codable {
            var origin: String
            var keys: [String]
            var size: UInt64
            var root: String
        }
        var format: String
        var version: Int
        var logs: [Log]
    }

    static let formatName = "strongroom-witness-state"

    var json: [UInt8] {
        let form = Form(format: Self.formatName, version: 1, logs: logs.map {
            Form.Log(origin: $0.origin, keys: $0.keys.map(\.text), size: $0.size, root: WitnessDirectory.base64($0.rootHash))
        })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Encoding plain strings and integers cannot fail.
        return Array((try? encoder.encode(form)) ?? Data()) + [0x0a]
    }

    init(json bytes: [UInt8], path: String) throws {
        let form: Form
        do { form = try JSONDecoder().decode(Form.self, from: Data(bytes)) } catch {
            throw WitnessError.corrupt(path, "it is not witness state JSON")
        }
        guard form.format == Self.formatName, form.version == 1 else {
            throw WitnessError.corrupt(path, "format \"\(form.format.prefix(60))\" version \(form.version) is not \(Self.formatName) version 1")
        }
        var logs: [WitnessedLog] = []
        for log in form.logs {
            let root: [UInt8]
            do {
                root = try Base64.decodeCanonical(log.root, byteCount: 32...32)
            } catch {
                throw WitnessError.corrupt(path, "the root of log \"\(log.origin.prefix(80))\" is not canonical base64 of 32 bytes: \(error)")
            }
            do {
                let keys = try log.keys.map(AuditVerifierKey.init(text:))
                guard !keys.isEmpty else { throw WitnessError.corrupt(path, "log \"\(log.origin.prefix(80))\" has no key") }
                logs.append(WitnessedLog(origin: log.origin, keys: keys, size: log.size, rootHash: root))
            } catch let error as AuditError {
                throw WitnessError.corrupt(path, "a key of log \"\(log.origin.prefix(80))\": \(error.message)")
            }
        }
        guard Set(logs.map(\.origin)).count == logs.count else { throw WitnessError.corrupt(path, "an origin appears twice") }
        self.logs = logs
    }
}

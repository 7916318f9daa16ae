import ArgumentParser
import AuditLog
import Foundation
import GRDB
import Keyring
import Logging
import Storage
import Strongroom

/// `strongroom audit …`: for auditors. Verification needs only the public key.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify, prove, export and read the tamper-evident audit log.",
        subcommands: [Verify.self, Checkpoint.self, Prove.self, Export.self, Show.self, Review.self, Anchor.self])

    struct Source: ParsableArguments {
        @Option(name: .long, help: "The data directory of a live installation (opened read-only).") var data: String = "./data"
        @Option(name: .long, help: "Verify an exported bundle instead of the live database.") var bundle: String?

        func reader() throws -> any DatabaseReader { try StrongroomDatabase.openReadOnly(dataDirectory: data) }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the chain and Merkle root, check every checkpoint signature; exit 0 when intact, 1 when not.",
            discussion: """
                Needs only the audit public key. Strict by default: fails when no valid checkpoint covers the log, when a \
                checkpoint names another origin, or when more than --max-unsigned-entries entries, or entries older than \
                --max-unsigned-minutes, follow the newest valid checkpoint (later checkpoints deleted, or the signer \
                stopped). With --since, also proves the log extends a checkpoint you saved earlier (detects rollback and forks). \
                With --witness, also requires checkpoints cosigned by independent witnesses (docs/witness.md): at least one \
                cosigned by --min-witnesses of them, and a recent one by the same bounds as the signed tail.
                """)

        @OptionGroup var source: Source
        @Option(name: .long, help: "The trusted audit public key file (signed-note verifier key).") var publicKey: String = "./Keys/audit-signing.pub"
        @Option(name: .long, help: "A checkpoint saved earlier (audit checkpoint --save); the log must extend it.") var since: String?
        @Option(name: .long, help: "The origin every checkpoint must name.") var origin: String = StrongroomConfiguration.defaultAuditOrigin
        @Option(name: .long, help: "Most entries allowed after the newest valid checkpoint.") var maxUnsignedEntries: UInt64 = 10_000
        @Option(name: .long, help: "Oldest an entry after the newest valid checkpoint may be, in minutes.") var maxUnsignedMinutes: Int64 = 60
        @Flag(name: .long, help: "Accept any unsigned tail and a log without checkpoints (with warnings), for forensic reading.") var allowUnsignedTail = false
        @Option(name: .long, help: "A trusted witness public key file (witness.pub; repeat for several, or several keys per file).") var witness: [String] = []
        @Option(name: .long, help: "How many of the trusted witnesses must cosign (default: 1 with --witness).") var minWitnesses: Int?

        func validate() throws {
            guard maxUnsignedMinutes >= 0 else { throw ValidationError("--max-unsigned-minutes cannot be negative") }
            if let minWitnesses {
                guard !witness.isEmpty else { throw ValidationError("--min-witnesses needs at least one --witness key file") }
                guard minWitnesses >= 1 else { throw ValidationError("--min-witnesses must be at least 1") }
            }
        }

        var verifier: AuditVerifier {
            var verifier = AuditVerifier(trustedKeys: [], origin: origin)
            if !allowUnsignedTail {
                verifier.tailLimit = .init(
                    entries: maxUnsignedEntries, ageMilliseconds: maxUnsignedMinutes * 60_000,
                    now: AuditTime(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000)))
            }
            return verifier
        }

        func run() async throws {
            let keys: [AuditVerifierKey]
            let saved: SignedCheckpoint?
            var witnessKeys: [WitnessVerifierKey] = []
            do {
                keys = try AuditVerifierKey.load(fromFile: publicKey)
                saved = try since.map { try SignedCheckpoint.load(fromFile: $0) }
                for file in witness {
                    for key in try WitnessVerifierKey.load(fromFile: file) where !witnessKeys.contains(key) { witnessKeys.append(key) }
                }
            } catch {
                throw fail("\(error)")
            }
            let minimum = minWitnesses ?? 1
            if !witnessKeys.isEmpty && minimum > witnessKeys.count {
                throw fail("--min-witnesses \(minimum) is more than the \(witnessKeys.count) distinct witness keys given")
            }
            let progress = ProgressBar(output: .standardError)
            let report: VerificationReport
            do {
                var verifier = self.verifier
                verifier.trustedKeys = keys
                if !witnessKeys.isEmpty { verifier.witnesses = .init(keys: witnessKeys, minimum: minimum) }
                if let bundle = source.bundle {
                    report = verifier.verify(try AuditBundle.read(bundle), since: saved, progress: progress.update)
                } else {
                    report = verifier.verify(SQLiteAuditStore(reader: try source.reader()), since: saved, progress: progress.update)
                }
            } catch {
                throw fail("\(error)")
            }
            progress.finish()
            FileDescriptorOutput.standardOutput.write(report.render() + "\n")
            if !report.isValid { throw ExitCode(report.exitStatus) }
        }
    }

    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the latest signed checkpoint, save it for a later --since, or sign a new one (--new, needs the keys).",
            discussion: "--save first verifies the whole log and the checkpoint against the public key, and saves nothing that does not verify. --new signs only a log that extends the one last signed (Keys/audit-signer.state).")

        @Option(name: .long, help: "The data directory.") var data: String = "./data"
        @Option(name: .long, help: "Write the checkpoint to this file (after verifying it).") var save: String?
        @Option(name: .long, help: "The trusted audit public key file (for --save; default: audit-signing.pub in --keys).") var publicKey: String?
        @Flag(name: .long, help: "Sign a new checkpoint of the current log first (needs --keys and the passphrase, if any).") var new = false
        @Option(name: .long, help: "The key directory (for --new).") var keys: String = "./Keys"
        @OptionGroup var passphraseOptions: PassphraseOptions

        func run() async throws {
            do {
                let text: String
                if new {
                    let keyring = try passphraseOptions.openKeyring(.init(path: keys))
                    let database = try StrongroomDatabase(dataDirectory: data)
                    let signer = CheckpointSignerResolver(
                        keyring: keyring, keyName: StrongroomConfiguration.defaultAuditKeyName, origin: StrongroomConfiguration.defaultAuditOrigin,
                        store: SQLiteAuditStore(database: database), logger: Logger(label: "strongroom.audit"))
                    try signer.verifyCommittedLog(reader: database.pool)
                    guard let signed = try await database.write({ db in try signer.checkpoint(in: db) }) else {
                        throw fail("the audit signing key in force is neither the installed nor the staged key; finish the key rotation first")
                    }
                    text = signed.text
                } else {
                    let store = SQLiteAuditStore(reader: try StrongroomDatabase.openReadOnly(dataDirectory: data))
                    guard let latest = try await store.reader.read({ try store.latestCheckpoint(in: $0) }) else {
                        throw fail("the log has no checkpoint yet; sign one with --new")
                    }
                    text = latest.text
                }
                if let save {
                    try verifyBeforeSaving(text)
                    try text.write(toFile: save, atomically: true, encoding: .utf8)
                    FileDescriptorOutput.standardError.write("verified and saved to \(save)\n")
                }
                FileDescriptorOutput.standardOutput.write(text)
            } catch let error as ExitCode {
                throw error
            } catch {
                throw fail("\(error)")
            }
        }

        /// Verifies the whole log against the public key, with `text` as the checkpoint it must extend: a checkpoint
        /// that is forged, signed by another key or does not match the log is not saved.
        func verifyBeforeSaving(_ text: String) throws {
            let checkpoint = try SignedCheckpoint(text: text)
            let keys = try AuditVerifierKey.load(fromFile: publicKey ?? KeyDirectory(path: self.keys).auditPublicKeyPath)
            let store = SQLiteAuditStore(reader: try StrongroomDatabase.openReadOnly(dataDirectory: data))
            let report = AuditVerifier(trustedKeys: keys, origin: StrongroomConfiguration.defaultAuditOrigin).verify(store, since: checkpoint)
            guard report.isValid, report.extendsSavedCheckpoint else {
                FileDescriptorOutput.standardOutput.write(report.render() + "\n")
                throw fail("the checkpoint was not saved: \(report.failure?.description ?? "the log does not extend it")")
            }
        }
    }

    struct Anchor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the log as the server last signed it (Keys/audit-signer.state), or re-anchor after an investigation.",
            discussion: """
                The server signs a checkpoint only over a log that extends this anchor; when the log does not, it signs \
                nothing and refuses audited operations. After investigating (and restoring the database from a backup \
                that verifies, where one exists), stop the server and run --reset: it verifies the whole log against the \
                public key, records the reset in the log and signs a new anchor. The server must be restarted afterwards.
                """)

        @OptionGroup var location: LocationOptions
        @Flag(name: .long, help: "Replace the anchor with the current log, after verifying it against the public key.") var reset = false
        @OptionGroup var passphraseOptions: PassphraseOptions

        func run() async throws {
            do {
                let keyring = try passphraseOptions.openKeyring(location.keyDirectory)
                if !reset {
                    guard let text = try keyring.directory.readAuditSignerState() else {
                        throw fail("there is no signer state yet (\(keyring.directory.auditSignerStatePath)); the server adopts the log at its next start")
                    }
                    FileDescriptorOutput.standardOutput.write(text)
                    return
                }
                let database = try StrongroomDatabase(dataDirectory: location.data)
                let store = SQLiteAuditStore(database: database)
                let previous = try keyring.directory.readAuditSignerState()
                try keyring.directory.removeAuditSignerState()
                defer { if let previous, (try? keyring.directory.readAuditSignerState()) == nil { try? keyring.directory.writeAuditSignerState(previous) } }
                let signer = CheckpointSignerResolver(
                    keyring: keyring, keyName: StrongroomConfiguration.defaultAuditKeyName, origin: StrongroomConfiguration.defaultAuditOrigin,
                    store: store, logger: Logger(label: "strongroom.audit"))
                try signer.verifyCommittedLog(reader: database.pool)
                let user = keyDirectoryOperator(KeyOperations.role)
                let signed = try await database.write { db -> SignedCheckpoint? in
                    _ = try store.append(
                        AuditEntryDraft(
                            actor: AuditActor(id: user.accountID, role: user.auditRole), action: "audit.anchor-reset",
                            target: AuditTarget(collection: "audit_entry"), decision: .allow(), purpose: "security-operations",
                            requestID: "cli-audit-anchor-reset", flags: [.keyOperation]),
                        in: db)
                    return try signer.checkpoint(in: db)
                }
                guard let signed else { throw fail("the audit signing key in force is not here; finish the key rotation first") }
                FileDescriptorOutput.standardOutput.write(
                    "re-anchored at \(signed.checkpoint.size) entries; restart the server. New checkpoint:\n\(signed.text)")
            } catch let error as ExitCode {
                throw error
            } catch {
                throw fail("\(error)")
            }
        }
    }

    struct Prove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print an inclusion proof for an entry, or a consistency proof between two tree sizes (RFC 9162).")

        @Option(name: .long, help: "The data directory.") var data: String = "./data"
        @Option(name: .long, help: "Prove that entry N is in the log.") var entry: UInt64?
        @Option(name: .long, help: "Prove that the tree of this size extends an older one (with --size as the newer size).") var from: UInt64?
        @Option(name: .long, help: "The tree size to prove against (default: the current size).") var size: UInt64?
        @Flag(name: .long, help: "Print JSON.") var json = false

        func validate() throws {
            if (entry == nil) == (from == nil) { throw ValidationError("give either --entry N or --from M") }
        }

        func run() async throws {
            do {
                let store = SQLiteAuditStore(reader: try StrongroomDatabase.openReadOnly(dataDirectory: data))
                let text: String = try await store.reader.read { db in
                    if let entry {
                        let proof = try store.inclusionProof(seq: entry, size: size, in: db)
                        let root = try store.root(size: proof.treeSize, in: db)
                        return (json ? proof.json : proof.text) + (json ? "\n" : "root \(root.hexString)\nverifies: \(proof.verify(root: root))\n")
                    }
                    let proof = try store.consistencyProof(from: from!, to: size, in: db)
                    return json ? proof.json + "\n" : proof.text
                }
                FileDescriptorOutput.standardOutput.write(text.hasSuffix("\n") ? text : text + "\n")
            } catch {
                throw fail("\(error)")
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a portable bundle (entries, checkpoints, public key) that an auditor verifies anywhere with `audit verify --bundle`.")

        @Option(name: .long, help: "The data directory.") var data: String = "./data"
        @Option(name: .long, help: "The audit public key file to include.") var publicKey: String = "./Keys/audit-signing.pub"
        @Option(name: .long, help: "The bundle file to write.") var out: String

        func run() async throws {
            do {
                let store = SQLiteAuditStore(reader: try StrongroomDatabase.openReadOnly(dataDirectory: data))
                if let warning = AuditBundle.outputDirectoryWarning(for: out) {
                    FileDescriptorOutput.standardError.write("strongroom: warning: \(warning)\n")
                }
                try AuditBundle.write(from: store, origin: StrongroomConfiguration.defaultAuditOrigin, publicKeys: try AuditVerifierKey.load(fromFile: publicKey), to: out)
                FileDescriptorOutput.standardOutput.write("wrote \(out) (\(try store.entryCount()) entries)\n")
            } catch {
                throw fail("\(error)")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List entries with filters: a table for people, JSON lines for tools.")

        @Option(name: .long, help: "The data directory.") var data: String = "./data"
        @Option(name: .long, help: "Only entries by this actor id.") var actor: String?
        @Option(name: .long, help: "Only entries about this data subject id.") var subject: String?
        @Option(name: .long, help: "Only this action, e.g. request.read.") var action: String?
        @Option(name: .long, help: "From this time (ISO 8601, e.g. 2026-11-29T00:00:00Z).") var from: String?
        @Option(name: .long, help: "Until this time (ISO 8601).") var until: String?
        @Option(name: .long, help: "Only entries with this flag: breakGlass, keyOperation, erasureReceipt, checkpointKeyHandover.") var flag: [String] = []
        @Option(name: .long, help: "Entries after this sequence number.") var after: UInt64?
        @Option(name: .long, help: "At most this many entries.") var limit: Int = 100
        @Flag(name: .long, help: "JSON lines instead of a table.") var json = false

        func run() async throws {
            var flags: AuditFlags = []
            for name in flag {
                guard let parsed = AuditFlags(name: name) else { throw ValidationError("unknown flag \(name)") }
                flags.insert(parsed)
            }
            let query = AuditQuery(
                actorID: actor, subjectID: subject, action: action, from: try from.map(Self.time), until: try until.map(Self.time),
                flags: flags, afterSeq: after, limit: max(1, min(limit, 100_000)))
            do {
                let store = SQLiteAuditStore(reader: try StrongroomDatabase.openReadOnly(dataDirectory: data))
                let entries = try await store.reader.read { try store.entries(matching: query, in: $0) }
                FileDescriptorOutput.standardOutput.write(json ? AuditEntryTable.jsonLines(entries) : AuditEntryTable.render(entries))
            } catch {
                throw fail("\(error)")
            }
        }

        static func time(_ text: String) throws -> AuditTime {
            guard let date = ISO8601DateFormatter().date(from: text) else {
                throw ValidationError("\(text) is not an ISO 8601 time like 2026-11-29T00:00:00Z")
            }
            return AuditTime(millisecondsSince1970: Int64(date.timeIntervalSince1970 * 1000))
        }
    }
}

/// A one-line progress bar with items/s and time left, drawn only when the output is a terminal.
final class ProgressBar: @unchecked Sendable {
    // @unchecked Sendable: updated from one task at a time (the verification, or the rewrap after each batch).
    let output: FileDescriptorOutput
    let unit: String
    let start = Date()
    var drawn = false

    init(output: FileDescriptorOutput, unit: String = "entries") {
        self.output = output
        self.unit = unit
    }

    func update(_ done: Int, _ total: Int) { update(UInt64(max(0, done)), UInt64(max(0, total))) }

    func update(_ done: UInt64, _ total: UInt64) {
        guard output.isTerminal, total > 0 else { return }
        let elapsed = max(Date().timeIntervalSince(start), 0.001)
        let rate = Double(done) / elapsed
        let left = rate > 0 ? Double(total - min(done, total)) / rate : 0
        let fraction = min(1, Double(done) / Double(total))
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        output.write(String(format: "\r[%@] %3.0f%%  %llu/%llu %@  %.0f %@/s  %.0fs left ", bar, fraction * 100, done, total, unit, rate, unit, left))
        drawn = true
    }

    func finish() {
        if drawn { output.write("\n") }
    }
}

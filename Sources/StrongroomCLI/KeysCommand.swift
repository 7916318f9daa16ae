import ArgumentParser
import Foundation
import Keyring
import Storage
import Strongroom

/// `strongroom keys …`: key status, rotation, rewrap and retirement for security officers. Never prints key bytes.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Inspect, rotate, rewrap and retire keys.",
        subcommands: [Status.self, Rotate.self, Rewrap.self, Retire.self]
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show key ids, versions, creation times, states, overdue keys and what is still sealed under each version (never key bytes).")

        @OptionGroup var location: LocationOptions
        @OptionGroup var passphraseOptions: PassphraseOptions

        @Flag(name: .long, help: "Print JSON instead of a table.")
        var json = false

        @Option(name: .long, help: "Flag active keys older than this many days as overdue for rotation.")
        var maximumAgeDays: Int = StrongroomConfiguration(keys: .init(path: "."), dataDirectory: ".", catalogDirectory: ".", policyDirectory: ".").maximumKeyAgeDays

        func run() async throws {
            do {
                let keyring = try passphraseOptions.openKeyring(location.keyDirectory)
                // Counts come from the database opened read-only; a key directory without a database still shows its keys.
                var counts: (sealed: [UInt32: Int], indexes: [UInt32: Int])?
                var installed: KeyInstallDates?
                if FileManager.default.fileExists(atPath: location.data + "/" + StrongroomDatabase.fileName) {
                    let reader = try StrongroomDatabase.openReadOnly(dataDirectory: location.data)
                    counts = try await reader.read { db in
                        (try FieldRows.sealedCountsByKeyVersion(in: db), try FieldRows.indexCountsByKeyVersion(in: db))
                    }
                    let store = SQLiteAuditStore(reader: reader)
                    installed = try await reader.read { db in try KeyInstallDates.read(from: store, in: db) }
                }
                let shredding = try SubjectKeyStore.existing(in: location.keyDirectory, keyring: keyring)?.countsByWrappingVersion()
                let report = KeyStatusReport(
                    statuses: keyring.status(), directory: location.keys, maximumAgeDays: maximumAgeDays,
                    sealedFields: counts?.sealed, indexRows: counts?.indexes, shreddingKeys: shredding, installed: installed)
                FileDescriptorOutput.standardOutput.write(report.render(json: json))
            } catch {
                throw fail("\(error)")
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rotate a data key (--data [records|index]), the root key (--root) or the audit signing key (--audit-signing).",
            discussion: """
                --data adds a new version: new seals use it at once, and a running server picks it up within a second; \
                older fields keep opening until `keys rewrap` re-seals them. \
                --root rewraps the key ring and the audit signing key under a new root key (no record is re-encrypted); \
                --audit-signing hands the checkpoint signing over to a new key with a signed entry in the log. \
                A running server follows all three; after a --root rotation that changed the passphrase (--new-passphrase-file) \
                it must be restarted with the new passphrase. \
                The data directory is given with --data-directory here, because --data names the data key.
                """)

        @Flag(name: .long, help: "Rotate a data key: KEY is records (default), index or subjects.") var data = false
        @Argument(help: "With --data: the data key to rotate (records, index or subjects).") var key: String?
        @Flag(name: .long, help: "Rotate the root key (a running server follows it).") var root = false
        @Flag(name: .long, help: "Rotate the audit checkpoint signing key (a running server follows the handover).") var auditSigning = false

        @Option(name: .long, help: "The key directory (mode 0700).") var keys: String = "./Keys"
        @Option(name: .customLong("data-directory"), help: "The data directory holding the SQLite database (for the audit log).")
        var dataDirectory: String = "./data"
        @OptionGroup var passphraseOptions: PassphraseOptions
        @Option(name: .long, help: "With --root: protect the new root key with the passphrase in this file (first line) instead of the current one.")
        var newPassphraseFile: String?

        func validate() throws {
            guard [data, root, auditSigning].filter({ $0 }).count == 1 else {
                throw ValidationError("choose exactly one of --data [KEY], --root and --audit-signing")
            }
            if key != nil && !data { throw ValidationError("a key name goes with --data only") }
            if let key, !["records", "index", "subjects"].contains(key) {
                throw ValidationError("the data keys are records, index and subjects (which wraps the shredding keys); \(key) is none of them")
            }
            if newPassphraseFile != nil && !root { throw ValidationError("--new-passphrase-file goes with --root only") }
        }

        func run() async throws {
            let directory = KeyDirectory(path: keys)
            let caller = keyDirectoryOperator(KeyOperations.role)
            let requestID = "cli-keys-rotate-\(UInt32.random(in: 0...UInt32.max))"
            do {
                let keyring = try passphraseOptions.openKeyring(directory)
                let operations = KeyOperations(keyring: keyring, database: try StrongroomDatabase(dataDirectory: dataDirectory))
                let out = FileDescriptorOutput.standardOutput
                if data {
                    let id = KeyID(rawValue: key ?? "records")
                    let version = try operations.rotateDataKey(id, caller: caller, requestID: requestID)
                    out.write("\(id) is now at version \(version); new seals use it at once (a running server picks it up within a second).\n")
                    if id == .records {
                        out.write("Older fields keep opening under their own version. Re-seal them with `strongroom keys rewrap`, then retire the old versions with `strongroom keys retire --below \(version)`.\n")
                    } else if id == SubjectKeyStore.wrappingKeyID {
                        out.write("New shredding keys are wrapped by it at once. Rewrap the existing ones with `strongroom keys rewrap`, then retire the old versions with `strongroom keys retire subjects --below \(version)`.\n")
                    } else {
                        out.write("Searches look in every live index version. Recompute old blind indexes with `strongroom keys rewrap`.\n")
                    }
                } else if root {
                    let protection = try newProtection(for: directory)
                    let oldID = keyring.rootKeyID
                    let rotated = try operations.rotateRoot(to: protection, caller: caller, requestID: requestID)
                    out.write("Root key rotated: id \(oldID) -> \(rotated.rootKeyID). Every key in the key ring and the audit signing key were rewrapped; no record was re-encrypted.\n")
                    out.write("The old root key file was overwritten and removed. Back up \(keys) now (keys only, never with the data).\n")
                    if newPassphraseFile != nil {
                        out.write("The passphrase changed: restart a running server with the new one (until then it keeps the keys it holds and sees no later rotation).\n")
                    }
                } else {
                    let rotation = try operations.rotateAuditSigningKey(
                        keyName: StrongroomConfiguration.defaultAuditKeyName, origin: StrongroomConfiguration.defaultAuditOrigin, caller: caller, requestID: requestID)
                    out.write("Audit signing key rotated; handover entry \(rotation.handoverSeq), signed by the old key.\n")
                    out.write("  old key  \(rotation.oldKey.text)\n  new key  \(rotation.newKey.text)\n")
                    out.write("Auditors keep their trusted key: `audit verify` follows the handover to the new key. The new key is noted in \(directory.auditPublicKeyPath).\n")
                }
            } catch {
                throw fail("\(error)")
            }
        }

        /// Keeps the root key's passphrase protection: the same passphrase, or the one in --new-passphrase-file.
        func newProtection(for directory: KeyDirectory) throws -> RootKeyProtection {
            if let newPassphraseFile { return .passphrase(try readFirstLine(newPassphraseFile)) }
            if try Keyring.needsPassphrase(directory) {
                guard let passphrase = try passphraseOptions.passphrase() else { throw KeyringError.passphraseRequiredCode }
                return .passphrase(passphrase)
            }
            return .plain
        }
    }

    struct Rewrap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-seal every field under an older records version and recompute old blind indexes, online and resumable.",
            discussion: """
                Runs in short batches while the server keeps serving. Killed at any moment, it is resumed by running it \
                again: nothing is lost and nothing is sealed twice. --dry-run prints what remains under each version.
                """)

        @OptionGroup var options: InstallationOptions
        @Flag(name: .long, help: "Only print how many fields and blind indexes remain under each key version.") var dryRun = false
        @Option(name: .long, help: "Rows per batch (one short write transaction each).") var batch: Int = 2000

        func validate() throws {
            guard (1...100_000).contains(batch) else { throw ValidationError("--batch must be between 1 and 100000") }
        }

        func run() async throws {
            do {
                let installation = try options.open()
                let rewrap = Strongroom.Rewrap(installation: installation)
                let plan = try await rewrap.plan()
                let out = FileDescriptorOutput.standardOutput
                if dryRun {
                    out.write(RewrapPlanReport(plan: plan).render())
                    return
                }
                let bar = ProgressBar(output: .standardError, unit: "fields")
                let report = try await rewrap.run(
                    batchSize: batch, caller: keyDirectoryOperator(KeyOperations.role),
                    requestID: "cli-keys-rewrap-\(UInt32.random(in: 0...UInt32.max))", progress: { bar.update($0, $1) })
                bar.finish()
                let rate = report.seconds > 0 ? Double(report.rewrapped) / report.seconds : 0
                out.write(String(format: "Rewrapped %d fields to records v%u and recomputed %d blind indexes to index v%u in %.1fs (%.0f fields/s).\n",
                                 report.rewrapped, plan.recordsVersion, report.indexesRecomputed, plan.indexVersion, report.seconds, rate))
                if report.changedMeanwhile > 0 { out.write("\(report.changedMeanwhile) fields were rewritten by the service meanwhile (already current).\n") }
                if report.shreddingKeysRewrapped > 0 {
                    out.write("Rewrapped \(report.shreddingKeysRewrapped) shredding keys to the current subjects key version.\n")
                }
                if report.unreadable > 0 || report.indexesUnreachable > 0 {
                    out.write("\(report.unreadable) fields and \(report.indexesUnreachable) blind indexes could not be opened (retired version, destroyed subject key, or damage) and were left as they are; see `strongroom keys status`.\n")
                }
            } catch {
                throw fail("\(error)")
            }
        }
    }

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Retire versions of a key below VERSION: records (default) or subjects (the key that wraps shredding keys).",
            discussion: """
                records: data still under a retired version fails closed; refused while sealed fields remain under those                 versions, unless --force. subjects: refused while any shredding key is still wrapped by an older version                 (run `strongroom keys rewrap` first); --force does not apply. A running server picks it up within a second.
                """)

        @Argument(help: "The key whose old versions to retire: records (default) or subjects.") var key: String = "records"
        @OptionGroup var location: LocationOptions
        @OptionGroup var passphraseOptions: PassphraseOptions
        @Option(name: .long, help: "The new minimum decryption version.") var below: UInt32
        @Flag(name: .long, help: "records only: retire even though fields remain under older versions (they become unreadable).") var force = false

        func validate() throws {
            guard ["records", "subjects"].contains(key) else {
                throw ValidationError("only records and subjects versions can be retired; \(key) is neither")
            }
            if force && key != "records" {
                throw ValidationError("--force goes with records only: retiring a subjects version that still wraps shredding keys would make those citizens' data unreadable; run `strongroom keys rewrap` first")
            }
        }

        func run() async throws {
            do {
                let keyring = try passphraseOptions.openKeyring(location.keyDirectory)
                let operations = KeyOperations(keyring: keyring, database: try StrongroomDatabase(dataDirectory: location.data))
                let id = KeyID(rawValue: key)
                let result = try operations.retire(
                    id, below: below, force: force, caller: keyDirectoryOperator(KeyOperations.role),
                    requestID: "cli-keys-retire-\(UInt32.random(in: 0...UInt32.max))")
                var text = "\(id) versions below \(result.minimum) are retired (the minimum was \(result.previousMinimum)).\n"
                if !result.fieldsLeft.isEmpty {
                    let left = result.fieldsLeft.sorted { $0.key < $1.key }.map { "v\($0.key): \($0.value)" }.joined(separator: ", ")
                    text += "Forced: these fields now fail closed: \(left).\n"
                }
                FileDescriptorOutput.standardOutput.write(text)
            } catch {
                throw fail("\(error)")
            }
        }
    }
}

/// The rendering of `keys status`, separated from the command so tests can check it.
struct KeyStatusReport {
    let statuses: [KeyStatus]
    let directory: String
    var maximumAgeDays = 365
    /// Sealed fields per records version, when the database could be read.
    var sealedFields: [UInt32: Int]?
    /// Blind index rows per index version, when the database could be read.
    var indexRows: [UInt32: Int]?
    /// Shredding keys per `subjects` version, when the key directory has a subject key store.
    var shreddingKeys: [UInt32: Int]?
    /// When the root and audit signing keys came into use, from the audit log (when the database could be read).
    var installed: KeyInstallDates?
    var now = Date()

    private struct Line: Encodable {
        let id: String
        let version: UInt32
        let createdAt: Date
        let state: String
        let ageDays: Int
        let overdue: Bool
        let sealedFields: Int?
        let indexRows: Int?
        let shreddingKeys: Int?

        init(_ key: KeyInventory.Key) {
            // The root and audit signing keys have no versions: 0 in JSON, as before the inventory was shared.
            id = key.id
            version = key.version ?? 0
            createdAt = key.createdAt
            state = key.state
            ageDays = key.ageDays
            overdue = key.overdue
            sealedFields = key.sealedFields
            indexRows = key.indexRows
            shreddingKeys = key.shreddingKeys
        }
    }

    /// The keys with their ages, overdue flags and counts: the same inventory the security officer's web page shows.
    var inventory: KeyInventory {
        KeyInventory(
            statuses: statuses, maximumAgeDays: maximumAgeDays, sealedFields: sealedFields, indexRows: indexRows,
            shreddingKeys: shreddingKeys, installed: installed, now: now)
    }

    func render(json: Bool) -> String {
        let keys = inventory.keys
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            let lines = keys.compactMap { try? encoder.encode(Line($0)) }.map { String(decoding: $0, as: UTF8.self) }
            return lines.joined(separator: "\n") + "\n"
        }
        let formatter = ISO8601DateFormatter()
        var rows = [["KEY", "VERSION", "STATE", "CREATED", "AGE", "OVERDUE", "IN USE BY"]]
        for key in keys {
            let use: String
            if key.isWholeKey {
                use = key.id == "root" ? "key ring, audit signing key" : "checkpoints"
            } else {
                use = key.sealedFields.map { "\($0) fields" } ?? key.indexRows.map { "\($0) index rows" }
                    ?? key.shreddingKeys.map { "\($0) shredding keys" } ?? "-"
            }
            rows.append([
                key.id, key.version.map { String($0) } ?? "-", key.state, formatter.string(from: key.createdAt), "\(key.ageDays)d",
                key.overdue ? "yes (> \(maximumAgeDays)d)" : "no", use,
            ])
        }
        var out = "Key directory: \(directory)\n" + TextTable(rows: rows).render()
        if keys.contains(where: { $0.overdue && !$0.isWholeKey }) {
            out += "Overdue keys: rotate them with `strongroom keys rotate --data KEY`.\n"
        }
        for whole in keys where whole.isWholeKey && whole.overdue {
            out += "Overdue: rotate the \(whole.id) key with `strongroom keys rotate --\(whole.id)`.\n"
        }
        if installed == nil {
            out += "(No database here: the root and audit signing key ages come from the audit log; pass --data.)\n"
        }
        return out
    }
}

/// What `keys rewrap --dry-run` prints.
struct RewrapPlanReport {
    let plan: Strongroom.Rewrap.Plan

    func render() -> String {
        var rows = [["KEY", "VERSION", "ROWS", "ACTION"]]
        for (version, count) in plan.sealedByVersion.sorted(by: { $0.key < $1.key }) {
            rows.append(["records", String(version), "\(count) fields", version < plan.recordsVersion ? "re-seal to v\(plan.recordsVersion)" : "current"])
        }
        for (version, count) in plan.indexesByVersion.sorted(by: { $0.key < $1.key }) {
            rows.append(["index", String(version), "\(count) index rows", version < plan.indexVersion ? "recompute to v\(plan.indexVersion)" : "current"])
        }
        return TextTable(rows: rows).render()
            + "Dry run: \(plan.sealedToRewrap) fields and \(plan.indexesToRecompute) blind indexes would be rewrapped; nothing was changed.\n"
    }
}


/// The first line of a small file, as bytes (for passphrases; the caller wipes them).
func readFirstLine(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
    var bytes = [UInt8](data)
    defer { for i in bytes.indices { bytes[i] = 0 } }
    let line = Array(bytes.prefix { $0 != 10 && $0 != 13 })
    guard !line.isEmpty else { throw ValidationError("\(path) is empty") }
    return line
}

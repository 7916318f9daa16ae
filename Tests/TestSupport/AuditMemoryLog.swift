import AuditLog
import Sodium

/// An in-memory audit log for tests: entries with correct chain hashes, signed checkpoints, and an
/// ``AuditEntrySource`` whose contents tests may tamper with freely.
public struct AuditMemoryLog: AuditEntrySource, Sendable {
    public var entries: [AuditEntry] = []
    public var signedCheckpoints: [SignedCheckpoint] = []
    public var range = CompactRange()
    public let origin: String

    public init(origin: String = "test.strongroom.example/audit") { self.origin = origin }

    /// A varied draft for entry `index`.
    public static func draft(_ index: Int) -> AuditEntryDraft {
        AuditEntryDraft(
            actor: AuditActor(id: "p-\(index % 7)", role: index % 3 == 0 ? "caseworker" : "citizen"),
            action: ["record.read", "record.update", "request.submit"][index % 3],
            target: AuditTarget(collection: "requests", recordID: "r-\(index)", subjectID: index % 4 == 0 ? nil : "s-\(index % 5)"),
            fieldsTouched: index % 2 == 0 ? ["name", "address"] : [],
            decision: index % 9 == 0 ? .deny(["policy.deny"]) : .allow(["policy.a", "policy.b"]),
            purpose: index % 2 == 0 ? "case-review" : nil,
            requestID: "req-\(index)",
            flags: index % 11 == 0 ? [.breakGlass] : [],
            details: index % 3 == 0 ? ["channel": "web", "attempt": "\(index)"] : [:])
    }

    /// Appends a draft with time 1_750_000_000_000 + seq ms.
    @discardableResult
    public mutating func append(_ draft: AuditEntryDraft) -> AuditEntry {
        let seq = UInt64(entries.count)
        var entry = AuditEntry(seq: seq, time: AuditTime(millisecondsSince1970: 1_750_000_000_000 + Int64(seq)), draft: draft, chainHash: [])
        let leaf = entry.leafHash
        entry.chainHash = AuditHashing.chainHash(previous: entries.last?.chainHash ?? AuditHashing.chainSeed, leafHash: leaf)
        range.append(leaf)
        entries.append(entry)
        return entry
    }

    /// Signs a checkpoint of the current size and stores it.
    @discardableResult
    public mutating func checkpoint(_ signer: AuditCheckpointSigner) -> SignedCheckpoint {
        let signed = signer.sign(AuditCheckpoint(origin: origin, size: range.size, rootHash: range.root))
        signedCheckpoints.append(signed)
        return signed
    }

    /// Recomputes every chain hash from the entries as they are now (what a careful attacker would do).
    public mutating func rechain() {
        var previous = AuditHashing.chainSeed
        for index in entries.indices {
            previous = AuditHashing.chainHash(previous: previous, leafHash: entries[index].leafHash)
            entries[index].chainHash = previous
        }
    }

    public func entryCount() throws -> UInt64 { UInt64(entries.count) }
    public func checkpoints() throws -> [SignedCheckpoint] { signedCheckpoints }
    public func forEachEntry(_ body: (AuditEntry) throws -> Bool) throws {
        for entry in entries { guard try body(entry) else { return } }
    }
}

/// Deterministic test signers.
public enum AuditTestSigners {
    /// A signer whose key comes from a fixed seed byte.
    public static func make(seed: UInt8, name: String = "test.strongroom.example/audit") throws -> AuditCheckpointSigner {
        let seedBytes = try SecretBytes(count: 32) { pointer in
            for i in 0..<32 { pointer[i] = seed &+ UInt8(i) }
        }
        return try AuditCheckpointSigner(name: name, keyPair: try Ed25519.KeyPair(seed: seedBytes))
    }
}

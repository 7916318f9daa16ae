/// Verifies a whole log from any ``AuditEntrySource`` with public keys only.
///
/// Streams entries once: recomputes every leaf hash, checks every chain link, rebuilds the Merkle root with a
/// ``CompactRange`` (O(log n) memory), follows key handovers, and checks each checkpoint's signature and root at
/// its size. Stops at the first failure and names it.
///
/// ```swift
/// let keys = try AuditVerifierKey.load(fromFile: "Keys/audit-signing.pub")
/// let report = AuditVerifier(trustedKeys: keys).verify(store, since: saved) { done, total in bar.update(done, total) }
/// print(report.render()); exit(report.exitStatus)
/// ```
public struct AuditVerifier: Sendable {
    /// The keys trusted at the start of the log.
    public var trustedKeys: [AuditVerifierKey]
    /// When set, every checkpoint must name this origin.
    public var origin: String?
    /// How many entries between progress calls.
    public var progressInterval: UInt64 = 1 << 16
    /// How much of the log may lie after the newest valid checkpoint; `nil` accepts any unsigned tail (with a
    /// warning) and a log without checkpoints. `audit verify` is strict by default.
    public var tailLimit: TailLimit?
    /// When set, checkpoints must be cosigned by witnesses: at least one checkpoint with ``WitnessRequirement/minimum``
    /// valid cosignatures, and (with a ``tailLimit``) one recent enough by the same bounds as the signed tail.
    public var witnesses: WitnessRequirement?

    /// The witnesses an auditor trusts and how many of them must cosign.
    public struct WitnessRequirement: Sendable {
        public var keys: [WitnessVerifierKey]
        public var minimum: Int

        public init(keys: [WitnessVerifierKey], minimum: Int) {
            self.keys = keys
            self.minimum = max(1, minimum)
        }
    }

    /// The longest unsigned tail a strict verification accepts: at most `entries` entries after the newest valid
    /// checkpoint, the first of them written no more than `age` milliseconds before `now`.
    public struct TailLimit: Sendable {
        public var entries: UInt64
        public var ageMilliseconds: Int64
        public var now: AuditTime

        public init(entries: UInt64, ageMilliseconds: Int64, now: AuditTime) {
            self.entries = entries
            self.ageMilliseconds = ageMilliseconds
            self.now = now
        }
    }

    /// - Parameters:
    ///   - trustedKeys: the initial checkpoint keys (from `Keys/audit-signing.pub`).
    ///   - origin: the expected checkpoint origin, or `nil` to accept any.
    public init(trustedKeys: [AuditVerifierKey], origin: String? = nil) {
        self.trustedKeys = trustedKeys
        self.origin = origin
    }

    /// Verifies `source`.
    ///
    /// - Parameters:
    ///   - source: the live store or a bundle.
    ///   - since: a checkpoint saved earlier; the log must extend it (same root at its size).
    ///   - progress: called with (entries done, entries the source claims) every ``progressInterval`` entries and at the end.
    /// - Returns: the report; it never throws and never crashes on bad input.
    public func verify(
        _ source: some AuditEntrySource, since: SignedCheckpoint? = nil,
        progress: ((_ done: UInt64, _ total: UInt64) -> Void)? = nil
    ) -> VerificationReport {
        var run = VerificationRun(verifier: self, since: since)
        run.execute(source, progress: progress)
        return run.report
    }
}

/// The state of one verification pass.
struct VerificationRun {
    let verifier: AuditVerifier
    let since: SignedCheckpoint?
    var report = VerificationReport()

    private var checkpointsBySize: [UInt64: [SignedCheckpoint]] = [:]
    private var keysInForce: [AuditVerifierKey]
    private var allKeysSeen: [AuditVerifierKey]
    private var range = CompactRange()
    private var previousChain = AuditDigest.zero
    private var lastMatchingCheckpointSize: UInt64 = 0
    /// The newest checkpoint size with enough witness cosignatures, whether any was found, and the time of its first
    /// uncovered entry.
    private var lastWitnessedSize: UInt64 = 0
    private var anyWitnessed = false
    private var mostWitnesses = 0
    private var firstUnwitnessedTime: Int64?
    /// The time of the entry at ``lastMatchingCheckpointSize`` (the first not covered), once read.
    private var firstUncoveredTime: Int64?
    /// The distinct checkpoint sizes, ascending, and the smallest one still ahead, so the per-entry check is one
    /// comparison.
    private var checkpointSizes: [UInt64] = []
    private var nextCheckpointSize: UInt64 = .max
    /// A failure found at an entry, waiting for the next entry to tell which kind it is.
    private var pending: (failure: AuditFailure, storedChain: AuditDigest?)?

    /// What the verifier needs of one entry: its seq, the leaf hash of its stored canonical bytes, its stored chain
    /// hash (`nil` when it is not 32 bytes, so it matches nothing).
    struct Item {
        var seq: UInt64
        var leaf: AuditDigest
        var chain: AuditDigest?
    }

    init(verifier: AuditVerifier, since: SignedCheckpoint?) {
        self.verifier = verifier
        self.since = since
        keysInForce = verifier.trustedKeys
        allKeysSeen = verifier.trustedKeys
    }

    mutating func execute(_ source: some AuditEntrySource, progress: ((UInt64, UInt64) -> Void)?) {
        let checkpoints: [SignedCheckpoint]
        let total: UInt64
        do {
            checkpoints = try source.checkpoints()
            total = try source.entryCount()
        } catch {
            return fail(AuditFailure(.unreadable, detail: Self.describe(error)))
        }
        report.checkpointsFound = checkpoints.count
        for checkpoint in checkpoints { checkpointsBySize[checkpoint.checkpoint.size, default: []].append(checkpoint) }
        checkpointSizes = checkpointsBySize.keys.sorted()
        nextCheckpointSize = checkpointSizes.first { $0 > 0 } ?? .max

        checkCheckpoints(atSize: 0)
        if report.failure != nil { return }

        var count: UInt64 = 0
        let interval = max(1, verifier.progressInterval)
        do {
            // The stored canonical bytes are what the leaf hash covers: hash them as they are and decode only
            // what the per-entry checks need (seq, flags; the whole entry for a key handover).
            try source.forEachCanonicalEntry { canonical, chain in
                process(canonical: canonical, chain: chain, position: count)
                count += 1
                if count % interval == 0 { progress?(count, max(total, count)) }
                // Keep going one entry past a failure so it can be classified, then stop.
                return report.failure == nil
            }
        } catch {
            resolvePending(next: nil)
            if report.failure == nil {
                fail(AuditFailure(.unreadable, seq: count, detail: "reading entry \(count) failed: \(Self.describe(error))"))
            }
            return
        }
        resolvePending(next: nil)
        progress?(count, max(total, count))
        guard report.failure == nil else { return }
        report.entriesVerified = count
        report.rootHash = range.root
        finish(count: count)
    }

    private mutating func fail(_ failure: AuditFailure) {
        if report.failure == nil { report.failure = failure }
    }

    private mutating func process(canonical: UnsafeRawBufferPointer, chain: UnsafeRawBufferPointer, position: UInt64) {
        let fields: AuditCanonicalFields
        do {
            fields = try AuditCanonicalFields(scanning: canonical)
        } catch {
            // As a source that decodes would have thrown here: an earlier pending failure stands on its own.
            resolvePending(next: nil)
            return fail(AuditFailure(.unreadable, seq: position,
                detail: "reading entry \(position) failed: entry \(position) cannot be decoded: \(Self.describe(error))"))
        }
        let item = Item(seq: fields.seq, leaf: AuditHashing.leafDigest(canonical), chain: AuditDigest(chain))
        if pending != nil {
            resolvePending(next: item)
            return
        }
        guard item.seq == position else {
            if item.seq > position {
                pending = (AuditFailure(.missingEntry, seq: position,
                    detail: "entry \(position) is missing: the next entry found is \(item.seq)"), item.chain)
            } else if position > 0 && item.seq == position - 1 {
                fail(AuditFailure(.duplicateEntry, seq: item.seq, detail: "entry \(item.seq) appears twice"))
            } else {
                fail(AuditFailure(.outOfOrder, seq: item.seq,
                    detail: "entry \(item.seq) appears at position \(position), after later entries"))
            }
            return
        }
        let link = AuditHashing.chainDigest(previous: previousChain, leaf: item.leaf)
        guard link == item.chain else {
            pending = (AuditFailure(.entryOrChainHashModified, seq: item.seq,
                detail: "entry \(item.seq) does not match its chain hash"), item.chain)
            return
        }
        previousChain = link
        if item.seq == lastMatchingCheckpointSize { firstUncoveredTime = fields.timeMilliseconds }
        if item.seq == lastWitnessedSize { firstUnwitnessedTime = fields.timeMilliseconds }
        range.append(item.leaf)
        if fields.flags.contains(.checkpointKeyHandover) {
            handover(canonical: canonical, chain: chain, seq: item.seq)
            if report.failure != nil { return }
        }
        if range.size == nextCheckpointSize { checkCheckpoints(atSize: range.size) }
        if range.size == since?.checkpoint.size { checkSince(rootAtSize: range.root) }
    }

    /// A key handover is rare: decode the whole entry and follow it.
    private mutating func handover(canonical: UnsafeRawBufferPointer, chain: UnsafeRawBufferPointer, seq: UInt64) {
        let entry: AuditEntry
        do {
            entry = try AuditEntry(canonicalBytes: Array(canonical), chainHash: Array(chain))
        } catch {
            return fail(AuditFailure(.unreadable, seq: seq, detail: "entry \(seq) cannot be decoded: \(Self.describe(error))"))
        }
        switch AuditKeyHandover.validate(entry, current: keysInForce) {
        case .success(let newKey):
            keysInForce = [newKey]
            if !allKeysSeen.contains(newKey) { allKeysSeen.append(newKey) }
            report.keyHandovers.append((seq: entry.seq, key: newKey))
        case .failure(let failure):
            fail(failure)
        }
    }

    /// Classifies a pending failure using the entry after it (or none at the end of the log).
    private mutating func resolvePending(next: Item?) {
        guard let (failure, storedChain) = pending else { return }
        pending = nil
        guard let seq = failure.seq else { return fail(failure) }
        switch failure.kind {
        case .missingEntry:
            if let next, next.seq == seq {
                fail(AuditFailure(.outOfOrder, seq: seq, detail: "entries \(seq) and \(seq + 1) are out of order (swapped)"))
            } else {
                fail(failure)
            }
        case .entryOrChainHashModified:
            guard let next else {
                return fail(AuditFailure(.entryOrChainHashModified, seq: seq,
                    detail: "entry \(seq) (the last) does not match its chain hash: its content or its hash was modified"))
            }
            if next.seq == seq + 1, let storedChain, let nextChain = next.chain,
                AuditHashing.chainDigest(previous: storedChain, leaf: next.leaf) == nextChain
            {
                fail(AuditFailure(.entryModified, seq: seq,
                    detail: "entry \(seq) was modified: its content no longer matches its chain hash (the next link is intact)"))
            } else if next.seq == seq {
                fail(AuditFailure(.duplicateEntry, seq: seq, detail: "entry \(seq) appears twice with different content"))
            } else {
                fail(AuditFailure(.chainHashModified, seq: seq,
                    detail: "entry \(seq)'s stored chain hash was modified: it breaks its own link and the next"))
            }
        default:
            fail(failure)
        }
    }

    private mutating func checkCheckpoints(atSize size: UInt64) {
        if size > 0 {
            // Sizes are visited in ascending order: binary search the first one above `size`.
            var low = 0
            var high = checkpointSizes.count
            while low < high {
                let middle = (low + high) / 2
                if checkpointSizes[middle] <= size { low = middle + 1 } else { high = middle }
            }
            nextCheckpointSize = low < checkpointSizes.count ? checkpointSizes[low] : .max
        }
        guard let checkpoints = checkpointsBySize[size] else { return }
        let root = range.root
        for signed in checkpoints {
            if let failure = checkSignature(signed, keys: keysInForce) { return fail(failure) }
            guard signed.checkpoint.rootHash == root else {
                let first = lastMatchingCheckpointSize
                return fail(AuditFailure(.checkpointRootMismatch, seq: first, checkpointSize: size,
                    detail: "the checkpoint for size \(size) does not match the entries: an entry between \(first) and \(size == 0 ? 0 : size - 1) was altered, inserted or removed after it was signed"))
            }
            report.checkpointsVerified += 1
            report.latestVerifiedCheckpoint = signed
            lastMatchingCheckpointSize = size
            if let requirement = verifier.witnesses {
                let check = signed.checkCosignatures(trusting: requirement.keys)
                if let forged = check.forged {
                    return fail(AuditFailure(.forgedCosignature, checkpointSize: size,
                        detail: "the checkpoint for size \(size) carries a cosignature for witness \(forged.name) that does not verify: it was forged or the checkpoint altered"))
                }
                mostWitnesses = max(mostWitnesses, check.witnesses.count)
                if check.witnesses.count >= requirement.minimum {
                    anyWitnessed = true
                    lastWitnessedSize = size
                    report.latestWitnessedCheckpoint = signed
                    report.latestWitnesses = check.witnesses.map(\.name)
                }
            }
        }
    }

    private func checkSignature(_ signed: SignedCheckpoint, keys: [AuditVerifierKey]) -> AuditFailure? {
        let size = signed.checkpoint.size
        if let origin = verifier.origin, signed.checkpoint.origin != origin {
            return AuditFailure(.wrongOrigin, checkpointSize: size,
                detail: "the checkpoint for size \(size) names origin \"\(signed.checkpoint.origin)\", expected \"\(origin)\"")
        }
        switch signed.checkSignatures(trusting: keys) {
        case .valid: return nil
        case .invalidSignature(let name):
            return AuditFailure(.forgedCheckpointSignature, checkpointSize: size,
                detail: "the checkpoint for size \(size) carries a signature for key \(name) that does not verify: it was forged or the checkpoint altered")
        case .noTrustedSignature:
            let names = keys.map { "\($0.name)+\($0.keyHash.hexString)" }.joined(separator: ", ")
            return AuditFailure(.untrustedCheckpoint, checkpointSize: size,
                detail: "the checkpoint for size \(size) is not signed by the key in force (\(names)); it was signed by another key")
        }
    }

    private mutating func checkSince(rootAtSize root: [UInt8]) {
        guard let since, report.failure == nil else { return }
        let size = since.checkpoint.size
        if let failure = checkSignature(since, keys: allKeysSeen) {
            return fail(AuditFailure(failure.kind, checkpointSize: size, detail: "saved checkpoint: " + failure.detail))
        }
        guard since.checkpoint.rootHash == root else {
            return fail(AuditFailure(.forked, checkpointSize: size,
                detail: "the log's root at size \(size) differs from the saved checkpoint: the log was rewritten or forked since it was saved"))
        }
        report.extendsSavedCheckpoint = true
    }

    private mutating func finish(count: UInt64) {
        if let since, since.checkpoint.size == 0 { checkSince(rootAtSize: AuditHashing.emptyTreeRoot) }
        let beyond = checkpointsBySize.keys.filter { $0 > count }.sorted()
        if let size = beyond.first, let signed = checkpointsBySize[size]?.first {
            if let failure = checkSignature(signed, keys: allKeysSeen) { return fail(failure) }
            return fail(AuditFailure(.truncated, seq: count, checkpointSize: size,
                detail: "a signed checkpoint covers \(size) entries but the log ends after \(count): entries \(count) to \(size - 1) were deleted"))
        }
        if let since, since.checkpoint.size > count {
            if let failure = checkSignature(since, keys: allKeysSeen) {
                return fail(AuditFailure(failure.kind, checkpointSize: since.checkpoint.size, detail: "saved checkpoint: " + failure.detail))
            }
            return fail(AuditFailure(.rolledBack, seq: count, checkpointSize: since.checkpoint.size,
                detail: "the saved checkpoint covers \(since.checkpoint.size) entries but the log now holds \(count): it was truncated or rolled back"))
        }
        if report.checkpointsVerified == 0 && count > 0 {
            if verifier.tailLimit != nil {
                return fail(AuditFailure(.unanchored, seq: 0,
                    detail: "the log holds \(count) entries but no valid signed checkpoint covers any of them: its checkpoints were deleted, or it was never signed"))
            }
            report.warnings.append("no signed checkpoint covers this log yet: its integrity is not anchored to the signing key")
        } else if lastMatchingCheckpointSize < count {
            checkTail(
                .unsignedTail, from: lastMatchingCheckpointSize, firstTime: firstUncoveredTime, count: count, covered: "signed",
                why: "later checkpoints were deleted, or the signer stopped")
        }
        checkWitnessed(count: count)
    }

    /// With a witness requirement: some checkpoint has enough cosignatures, and (when strict) a recent one.
    private mutating func checkWitnessed(count: UInt64) {
        guard let requirement = verifier.witnesses, report.failure == nil, count > 0 else { return }
        guard anyWitnessed else {
            return fail(AuditFailure(.unwitnessed, seq: 0,
                detail: "no valid checkpoint carries cosignatures from \(requirement.minimum) of the \(requirement.keys.count) trusted witnesses (the most found on one is \(mostWitnesses)): the witnesses refused to cosign this log, its cosignatures were deleted, or the server was never configured to submit to them"))
        }
        guard lastWitnessedSize < count else { return }
        checkTail(
            .unwitnessedTail, from: lastWitnessedSize, firstTime: firstUnwitnessedTime, count: count, covered: "witnessed",
            why: "the witnesses refused newer checkpoints (a rewrite?) or cannot be reached")
    }

    /// The entries from `start` on are not covered by a `covered` checkpoint: with a ``AuditVerifier/tailLimit``, fail
    /// as `kind` when they are more or older than allowed; otherwise, and within the limit, warn.
    private mutating func checkTail(
        _ kind: AuditFailure.Kind, from start: UInt64, firstTime: Int64?, count: UInt64, covered: String, why: String
    ) {
        let tail = count - start
        if let limit = verifier.tailLimit {
            if tail > limit.entries {
                return fail(AuditFailure(kind, seq: start,
                    detail: "\(tail) entries (\(start) to \(count - 1)) follow the newest \(covered == "signed" ? "valid" : covered) checkpoint, more than the \(limit.entries) allowed: \(why)"))
            }
            if let first = firstTime, limit.now.millisecondsSince1970 - first > limit.ageMilliseconds {
                let minutes = (limit.now.millisecondsSince1970 - first) / 60_000
                return fail(AuditFailure(kind, seq: start,
                    detail: "entry \(start) was written \(minutes) minutes ago and no \(covered == "signed" ? "valid" : covered) checkpoint covers it, longer than the \(limit.ageMilliseconds / 60_000) minutes allowed: \(why)"))
            }
        }
        report.warnings.append("entries \(start) to \(count - 1) are not yet covered by a \(covered) checkpoint")
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? AuditError { return error.message }
        return String(describing: error)
    }
}

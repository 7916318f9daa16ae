/// The outcome of ``AuditVerifier/verify(_:since:progress:)``.
public struct VerificationReport: Sendable {
    /// Entries read and verified (0 when verification stopped at a failure).
    public var entriesVerified: UInt64 = 0
    /// Checkpoints found in the source.
    public var checkpointsFound = 0
    /// Checkpoints whose signature and root verified.
    public var checkpointsVerified = 0
    /// The largest checkpoint that verified.
    public var latestVerifiedCheckpoint: SignedCheckpoint?
    /// The root recomputed over all entries.
    public var rootHash: [UInt8] = []
    /// Key handovers followed, in order.
    public var keyHandovers: [(seq: UInt64, key: AuditVerifierKey)] = []
    /// Whether a saved checkpoint was given and the log extends it.
    public var extendsSavedCheckpoint = false
    /// With a witness requirement: the newest checkpoint cosigned by enough trusted witnesses, and their names.
    public var latestWitnessedCheckpoint: SignedCheckpoint?
    public var latestWitnesses: [String] = []
    /// The first failure; `nil` when the log verified.
    public var failure: AuditFailure?
    /// Things an auditor should know that are not failures (an unsigned tail).
    public var warnings: [String] = []

    /// Whether the log verified.
    public var isValid: Bool { failure == nil }

    /// The process exit status: 0 verified, 1 failed.
    public var exitStatus: Int32 { isValid ? 0 : 1 }

    /// A few lines for people.
    public func render() -> String {
        var lines: [String] = []
        if let failure {
            lines.append("FAILED: \(failure)")
        } else {
            lines.append("OK: \(entriesVerified) entries verified; \(checkpointsVerified) of \(checkpointsFound) checkpoints verified")
            if let latest = latestVerifiedCheckpoint {
                lines.append("latest signed checkpoint: size \(latest.checkpoint.size), root \(latest.checkpoint.rootHash.hexString)")
            }
            if let witnessed = latestWitnessedCheckpoint {
                lines.append("latest witnessed checkpoint: size \(witnessed.checkpoint.size), cosigned by \(latestWitnesses.joined(separator: ", "))")
            }
            lines.append("recomputed root: \(rootHash.hexString)")
            if extendsSavedCheckpoint { lines.append("the log extends the saved checkpoint") }
            for handover in keyHandovers {
                lines.append("key handover at entry \(handover.seq) to \(handover.key.name)+\(handover.key.keyHash.hexString)")
            }
        }
        for warning in warnings { lines.append("warning: \(warning)") }
        return lines.joined(separator: "\n")
    }
}

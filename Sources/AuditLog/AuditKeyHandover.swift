/// A signed handover from the current checkpoint signing key to a new one, recorded as an ordinary entry (flag
/// ``AuditFlags/checkpointKeyHandover``) so it is itself covered by the chain and the tree.
///
/// The entry's details hold `handover.oldKey` and `handover.newKey` (verifier-key texts) and `handover.signature`
/// (base64 Ed25519 signature by the old key over ``message(oldKey:newKey:)``). A verifier that trusts the old key
/// accepts checkpoints of size > the entry's seq only when signed by the new key.
public enum AuditKeyHandover {
    static let oldKeyDetail = "handover.oldKey"
    static let newKeyDetail = "handover.newKey"
    static let signatureDetail = "handover.signature"

    /// The bytes the old key signs: `strongroom.audit.key-handover.v1\n<old vkey>\n<new vkey>\n`.
    public static func message(oldKey: AuditVerifierKey, newKey: AuditVerifierKey) -> [UInt8] {
        Array("strongroom.audit.key-handover.v1\n\(oldKey.text)\n\(newKey.text)\n".utf8)
    }

    /// The entry draft that hands over from `current` (which signs it) to `newKey`.
    ///
    /// - Parameters:
    ///   - current: the signer in force now.
    ///   - newKey: the verifier key of the next signing key.
    ///   - actor: who rotated the key.
    ///   - requestID: the request or CLI run id.
    public static func draft(
        from current: AuditCheckpointSigner, to newKey: AuditVerifierKey, actor: AuditActor, requestID: String
    ) -> AuditEntryDraft {
        let signature = current.signRaw(message(oldKey: current.verifierKey, newKey: newKey))
        return AuditEntryDraft(
            actor: actor, action: "audit.key-handover", decision: .allow(), requestID: requestID,
            flags: [.checkpointKeyHandover, .keyOperation],
            details: [
                oldKeyDetail: current.verifierKey.text, newKeyDetail: newKey.text, signatureDetail: Base64.encode(signature),
            ])
    }

    /// Validates a handover entry against the keys in force; returns the new key, or why it is rejected.
    static func validate(_ entry: AuditEntry, current: [AuditVerifierKey]) -> Result<AuditVerifierKey, AuditFailure> {
        func reject(_ why: String) -> Result<AuditVerifierKey, AuditFailure> {
            .failure(AuditFailure(.invalidKeyHandover, seq: entry.seq, detail: why))
        }
        guard let oldText = entry.details[oldKeyDetail], let newText = entry.details[newKeyDetail],
            let signatureText = entry.details[signatureDetail]
        else { return reject("the handover entry lacks \(oldKeyDetail), \(newKeyDetail) or \(signatureDetail)") }
        guard let oldKey = try? AuditVerifierKey(text: oldText), let newKey = try? AuditVerifierKey(text: newText) else {
            return reject("the handover entry's keys are not valid verifier keys")
        }
        guard current.contains(oldKey) else {
            return reject("the handover is from key \(oldKey.name)+\(oldKey.keyHash.hexString), which is not the key in force")
        }
        guard let signature = try? Base64.decodeCanonical(signatureText, byteCount: 64...64),
            oldKey.isValidSignature(signature, for: message(oldKey: oldKey, newKey: newKey))
        else { return reject("the handover is not signed by the key in force (\(oldKey.name)+\(oldKey.keyHash.hexString))") }
        return .success(newKey)
    }
}

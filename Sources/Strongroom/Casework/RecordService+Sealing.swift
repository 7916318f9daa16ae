import AuditLog
import Policy
import Storage

extension RecordService {
    /// What sealing a request did.
    public struct SealingChange: Sendable, Equatable {
        public let requestID: String
        public let sealed: Bool
        /// Whether the request was already in that state (nothing changed; still audited).
        public let unchanged: Bool
    }

    /// Seals (or unseals) a request: a protected identity or sensitive case. A sealed request, its messages and its
    /// fee are closed to staff unless they break the glass (baseline policy). Gated (action `seal`: a supervisor of
    /// the request's office, for supervision), audited with the reason code, and the row is re-authenticated, so the
    /// flag cannot be changed by SQL.
    ///
    /// - Parameters:
    ///   - reason: a short reason code such as `protected-identity` (no personal data; at most 64 characters).
    public func setSealed(
        _ requestID: String, sealed: Bool, reason: String, caller: AuthenticatedCaller, access: AccessContext
    ) async throws -> SealingChange {
        let code = reason.trimmingCharacters(in: .whitespaces)
        guard !code.isEmpty, code.count <= 64, code.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }) else {
            throw StrongroomError.invalid("invalid_reason", "`reason` must be a short code of lowercase letters, digits and dashes, such as protected-identity")
        }
        let (original, service) = try await loadRequest(requestID)
        let target = AuditTarget(collection: Self.requestCollection, recordID: requestID, subjectID: original.subjectID)
        let resource = original.resource(sensitivity: Self.sensitivity(of: service))
        let decision = decide(caller, .seal, resource, access)
        let action = sealed ? "request.seal" : "request.unseal"
        guard decision.isPermitted else {
            let mayRead = decide(caller, .read, resource, access).isPermitted
            throw await denied(decision, caller: caller, action: action, target: target, access: access, hide: !mayRead)
        }
        let now = clock.now.millis
        let audit = self.audit
        let draft = AuditTrail.draft(
            caller: caller, action: action, target: target, decision: decision, context: access,
            details: ["reason": code, "sealed": sealed ? "true" : "false"])
        let unchanged = try await guardedWrite { db -> Bool in
            var wasSealed = false
            try self.rewriteRequest(requestID, in: db) { row in
                wasSealed = row.sealed
                row.sealed = sealed
                row.updatedAt = now
            }
            try audit.record(draft, in: db)
            return wasSealed == sealed
        }
        return SealingChange(requestID: requestID, sealed: sealed, unchanged: unchanged)
    }
}

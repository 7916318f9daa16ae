import AuditLog
import Catalog
import GRDB
import Logging
import Policy
import Sealing
import Sodium
import Storage
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The one path to citizen data: gate → seal or open exactly the decision's field plan → store with its audit
/// entry in the same transaction.
///
/// Plaintext of a personal field exists only inside this type's methods, and only for the fields a decision
/// allows: a read decrypts revealed and masked fields only; omitted fields are never opened.
public final class RecordService: Sendable {
    let configuration: StrongroomConfiguration
    let writer: GroupCommitWriter
    /// Shared snapshots for the hot reads (beside the writer).
    let reader: GroupReader
    let database: StrongroomDatabase
    let sealer: FieldSealer
    let indexer: BlindIndexer
    let audit: AuditTrail
    let catalog: Catalog
    let policies: PolicyStore
    let subjectKeys: SubjectKeyStore
    let checkpoints: CheckpointSignerResolver
    let clock: any ServiceClock
    let paymentProvider: any PaymentProvider
    let logger: Logger
    let integrity: RowIntegrity
    /// Refusals of unauthenticated requests (forged payment callbacks), aggregated per window.
    let refusals: RefusalLog
    /// Test hook: the erasure step that fails (internal; never set outside tests).
    let erasureFault = Mutex<ErasureStep?>(nil)

    init(
        configuration: StrongroomConfiguration, writer: GroupCommitWriter, database: StrongroomDatabase, sealer: FieldSealer,
        indexer: BlindIndexer, audit: AuditTrail, catalog: Catalog, policies: PolicyStore, subjectKeys: SubjectKeyStore,
        checkpoints: CheckpointSignerResolver, clock: any ServiceClock, paymentProvider: any PaymentProvider, logger: Logger,
        integrity: RowIntegrity, refusals: RefusalLog
    ) {
        self.integrity = integrity
        self.refusals = refusals
        self.paymentProvider = paymentProvider
        self.logger = logger
        self.subjectKeys = subjectKeys
        self.checkpoints = checkpoints
        self.configuration = configuration
        self.writer = writer
        self.reader = GroupReader(database: database)
        self.database = database
        self.sealer = sealer
        self.indexer = indexer
        self.audit = audit
        self.catalog = catalog
        self.policies = policies
        self.clock = clock
    }

    // MARK: - Gate

    func decide(_ caller: AuthenticatedCaller, _ action: Action, _ resource: Resource, _ access: AccessContext) -> Decision {
        let parts = UTCDateParts(clock.now)
        let context = Context(
            purpose: access.purpose, hour: parts.hour, weekday: parts.weekdayName,
            justification: access.substantiveJustification, authStrength: caller.authStrength)
        return policies.decide(caller.principal, action, resource, context)
    }

    /// Records a denied access in the audit log (committed) and returns the error to throw.
    ///
    /// - Parameter hide: answer 404 instead of 403, so that the denial does not reveal that the record exists.
    func denied(
        _ decision: Decision, caller: AuthenticatedCaller, action: String, target: AuditTarget, access: AccessContext, hide: Bool
    ) async -> StrongroomError {
        await recordRefusal(
            Self.denialDraft(decision, caller: caller, action: action, target: target, access: access),
            then: Self.denialError(decision, hide: hide, access: access))
    }

    /// Runs `read` on a shared snapshot (the group reader) and commits the audit entry it returns — the access it
    /// allowed or the refusal — before the caller's task sees the value. The snapshot stage hands the entry straight
    /// to the group committer, so the task resumes once, after the commit; the writer only appends.
    ///
    /// - Parameter read: reads and decides; returns the value and the entry to commit (`nil`: nothing to record,
    ///   such as a record that does not exist). Runs on the reader's queue: it must not block.
    /// - Throws: what `read` throws, or the commit's error (then the value is not returned).
    func auditedRead<T: Sendable>(
        _ read: @escaping @Sendable (Database) throws -> (value: T, entry: AuditEntryDraft?)
    ) async throws -> T {
        try await auditedRead { db -> (value: T, entry: AuditEntryDraft?, alongside: (@Sendable (Database) throws -> Void)?) in
            let loaded = try read(db)
            return (loaded.value, loaded.entry, nil)
        }
    }

    /// ``auditedRead(_:)`` whose read may also hand over a write (`alongside`) that commits in the same transaction
    /// as its audit entry, or not at all (a break-glass grant opened by the access).
    func auditedRead<T: Sendable>(
        _ read: @escaping @Sendable (Database) throws -> (value: T, entry: AuditEntryDraft?, alongside: (@Sendable (Database) throws -> Void)?)
    ) async throws -> T {
        let writer = self.writer, audit = self.audit, integrity = self.integrity
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            reader.enqueue(
                { db in
                    let loaded: (value: T, entry: AuditEntryDraft?, alongside: (@Sendable (Database) throws -> Void)?)
                    do {
                        loaded = try read(db)
                    } catch let violation as IntegrityViolation {
                        // A row or field that fails its check: nothing is returned, the alarm is recorded first.
                        Task {
                            await integrity.raiseAlarm(violation, requestID: "read")
                            continuation.resume(throwing: StrongroomError.notFound("record"))
                        }
                        return
                    } catch {
                        continuation.resume(throwing: error)
                        return
                    }
                    guard let entry = loaded.entry else {
                        continuation.resume(returning: loaded.value)
                        return
                    }
                    let alongside = loaded.alongside
                    writer.enqueue({ db in
                        try alongside?(db)
                        _ = try audit.record(entry, in: db)
                    }, completion: { error in
                        if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: loaded.value) }
                    })
                },
                ifUnavailable: { error in continuation.resume(throwing: error) })
        }
    }

    /// Commits the audit entry of a refused access and returns `error` for the caller to throw (or an internal
    /// failure if the entry could not be written: no refusal goes unrecorded).
    func recordRefusal(_ draft: AuditEntryDraft, then error: StrongroomError) async -> StrongroomError {
        let audit = self.audit
        do {
            try await writer.write { db in try audit.record(draft, in: db) }
        } catch {
            return StrongroomError.internalFailure(error)
        }
        return error
    }

    /// The audit entry of a denied access.
    static func denialDraft(
        _ decision: Decision, caller: AuthenticatedCaller, action: String, target: AuditTarget, access: AccessContext
    ) -> AuditEntryDraft {
        AuditTrail.draft(
            caller: caller, action: action, target: target, decision: decision, context: access,
            details: ["reason": decision.reasons.first.map { String($0.recordableDescription.prefix(200)) } ?? "default-deny"])
    }

    /// The error a denied caller gets: what to declare when only the purpose was missing, else 404 or 403.
    static func denialError(_ decision: Decision, hide: Bool, access: AccessContext? = nil) -> StrongroomError {
        let justificationUnmet = decision.reasons.contains { if case .justificationMissing = $0 { return true } else { return false } }
        if justificationUnmet, access?.justificationTooShort == true {
            return StrongroomError.invalid(
                "justification_too_short",
                "a break-glass justification must say why, for a reviewer to judge: at least \(AccessContext.minimumJustificationCharacters) characters in \(AccessContext.minimumJustificationWords) words (header Strongroom-Justification)")
        }
        let purposeUnmet = decision.reasons.contains { if case .purposeUnmet = $0 { return true } else { return false } }
        if purposeUnmet {
            return StrongroomError(.forbidden, code: "purpose_required", message: "declare a permitted purpose of use for this access (header Strongroom-Purpose)")
        }
        if hide { return StrongroomError.notFound("record") }
        return StrongroomError.forbidden("the access policy does not allow this")
    }

    // MARK: - Sealing and opening

    /// A field value ready to store: sealed (with blind indexes) or public.
    struct PreparedField: Sendable {
        enum Content: Sendable {
            case sealed(envelope: [UInt8], keyVersion: UInt32, shredKey: [UInt8]?)
            case open(String)
        }
        let field: String
        let content: Content
        let indexes: [(version: UInt32, digest: [UInt8])]
        /// The revision bound into the envelope (`nil` for a public field), for the owning record's revisions.
        var revision: FieldRevision? = nil
    }

    /// Seals each value under its place, bound to the subject's shredding key that `shredKey` picks for the field
    /// (none for non-citizen data). Runs before the write transaction so the writer does no crypto.
    func prepare(
        _ values: [String: FieldValue], definitions: [FieldDefinition], collection: String, recordID: String,
        shredKey: (FieldDefinition) throws -> [UInt8]?
    ) throws -> [PreparedField] {
        var prepared: [PreparedField] = []
        for definition in definitions {
            guard let value = values[definition.id] else { continue }
            let canonical = value.canonical
            guard definition.isSealed else {
                prepared.append(PreparedField(field: definition.id, content: .open(canonical), indexes: []))
                continue
            }
            let place = FieldPlace(collection: collection, recordID: recordID, field: definition.id)
            let key = try shredKey(definition)
            let envelope = try sealer.seal(Array(canonical.utf8), for: place, subjectKeyID: key)
            let version = try FieldSealer.keyVersion(of: envelope).version
            var indexes: [(version: UInt32, digest: [UInt8])] = []
            if definition.hasBlindIndex, let normalization = definition.blindIndexNormalization {
                let index = try indexer.index(
                    value.blindIndexInput(normalization), normalization: .exact, collection: collection, field: definition.id)
                indexes.append((index.keyVersion, index.bytes))
            }
            prepared.append(PreparedField(
                field: definition.id, content: .sealed(envelope: envelope, keyVersion: version, shredKey: key), indexes: indexes,
                revision: try SealedEnvelope.revision(of: envelope)))
        }
        return prepared
    }

    /// Writes prepared fields inside the caller's transaction.
    ///
    /// - Parameter fresh: the record was created in this transaction, so there is nothing to replace or clean up.
    static func store(
        _ prepared: [PreparedField], collection: String, recordID: String, subjectID: String?, at millis: Int64, fresh: Bool = false,
        in db: Database
    ) throws {
        try refuseIfErasing(subjectID, at: millis, in: db)
        if fresh {
            for field in prepared {
                switch field.content {
                case let .sealed(envelope, keyVersion, shredKey):
                    try FieldRows.insertSealed(
                        envelope, keyVersion: keyVersion, collection: collection, recordID: recordID, field: field.field,
                        subjectID: subjectID, shredKey: shredKey, at: millis, in: db)
                case let .open(value):
                    try FieldRows.putOpen(value, collection: collection, recordID: recordID, field: field.field, in: db)
                }
                try FieldRows.insertIndexes(field.indexes, collection: collection, recordID: recordID, field: field.field, in: db)
            }
            return
        }
        for field in prepared {
            switch field.content {
            case let .sealed(envelope, keyVersion, shredKey):
                try FieldRows.putSealed(
                    envelope, keyVersion: keyVersion, collection: collection, recordID: recordID, field: field.field,
                    subjectID: subjectID, shredKey: shredKey, at: millis, in: db)
            case let .open(value):
                try FieldRows.putOpen(value, collection: collection, recordID: recordID, field: field.field, in: db)
            }
            try FieldRows.putIndexes(field.indexes, collection: collection, recordID: recordID, field: field.field, in: db)
        }
    }

    /// Opens exactly the fields the plan reveals or masks; everything else stays sealed and is listed as omitted.
    func view(
        collection: String, recordID: String, plan: FieldPlan, present: Set<String>,
        sealed: [FieldRows.Envelope], open: [String: String], definitions: [FieldDefinition]
    ) throws -> RecordView {
        let types = Dictionary(definitions.map { ($0.id, $0.type) }, uniquingKeysWith: { first, _ in first })
        var fields: [String: FieldView] = [:]
        var omitted: [String] = []
        for name in present.sorted() {
            let disposition = plan.disposition(of: name)
            if case .omit = disposition {
                omitted.append(name)
                continue
            }
            let clear: String
            if let value = open[name] {
                clear = value
            } else if let envelope = sealed.first(where: { $0.field == name }) {
                let bytes: [UInt8]
                do {
                    bytes = try sealer.open(envelope.bytes, at: FieldPlace(collection: collection, recordID: recordID, field: name))
                } catch let error as SealingError where error == .keyUnavailableCode {
                    // Erased or expired: its key is destroyed. Shown as withheld, never as an error.
                    omitted.append(name)
                    continue
                }
                clear = String(decoding: bytes, as: UTF8.self)
            } else {
                continue
            }
            let shown = Self.display(clear, type: types[name])
            switch disposition {
            case .reveal: fields[name] = .revealed(shown)
            case let .mask(style): fields[name] = .masked(style.apply(to: shown), style: style.rawValue)
            case .omit: break
            }
        }
        return RecordView(fields: fields, omitted: omitted)
    }

    /// The view of values the caller has in hand (just validated), under a plan: no decryption needed.
    static func view(of canonical: [String: String], plan: FieldPlan, definitions: [FieldDefinition]) -> RecordView {
        let types = Dictionary(definitions.map { ($0.id, $0.type) }, uniquingKeysWith: { first, _ in first })
        var fields: [String: FieldView] = [:]
        var omitted: [String] = []
        for (name, value) in canonical.sorted(by: { $0.key < $1.key }) {
            let shown = display(value, type: types[name])
            switch plan.disposition(of: name) {
            case .reveal: fields[name] = .revealed(shown)
            case let .mask(style): fields[name] = .masked(style.apply(to: shown), style: style.rawValue)
            case .omit: omitted.append(name)
            }
        }
        return RecordView(fields: fields, omitted: omitted)
    }

    /// How a stored canonical value is shown: money with its decimal point; everything else as stored.
    static func display(_ canonical: String, type: FieldType?) -> String {
        guard type == .money, let value = try? FieldValue(canonical: canonical, type: .money), case let .money(money) = value else {
            return canonical
        }
        return money.description
    }

    /// The field names a plan lets the caller see among `present`.
    static func allowedFields(_ plan: FieldPlan, among present: Set<String>) -> Set<String> {
        present.filter { if case .omit = plan.disposition(of: $0) { return false } else { return true } }
    }

    /// Records a refused write whose values failed validation after the gate had permitted it (a deny, with the
    /// names of the fields at fault and never their values), and returns the error to throw.
    func refusedInput(
        _ error: StrongroomError, caller: AuthenticatedCaller, action: String, target: AuditTarget, decision: Decision,
        access: AccessContext, knownFields: Set<String>
    ) async -> StrongroomError {
        let named = Set(error.fields.map(\.field)).intersection(knownFields)
        var draft = AuditTrail.draft(
            caller: caller, action: action, target: target, fields: Array(named), decision: decision, context: access,
            details: ["reason": "invalid-input", "code": error.code])
        draft.decision = .deny(decision.ruleIDs)
        return await recordRefusal(draft, then: error)
    }

    /// A submitted key or id is named back only when it is shaped like an id; anything else may be personal data
    /// pasted into it, and is never echoed or logged.
    static func nameableKey(_ key: String, otherwise placeholder: String = "(unnamed field)") -> String {
        let idShaped = !key.isEmpty && key.count <= 64
            && key.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
        return idShaped ? key : placeholder
    }

    static func fieldProblems(_ error: CatalogError) -> StrongroomError {
        StrongroomError.invalid(
            "invalid_fields", "some fields are not valid; see `fields` for what to fix",
            fields: error.fieldIssues.map { .init(field: $0.field, code: $0.code.rawValue, message: $0.message) })
    }

    static func sensitivity(of service: Service) -> String {
        switch service.highestSensitivity {
        case .public: "low"
        case .personal: "normal"
        case .sensitive: "high"
        case .specialCategory: "special"
        }
    }

    static func newID(_ prefix: String) -> String { AccountService.newID(prefix) }

    /// A time-ordered id for records created at a high rate (requests, messages, payments): 48 bits of milliseconds,
    /// then 64 random bits. Records created together sit next to each other in every index keyed by their id, so a
    /// group commit writes a few shared pages instead of one page per record per index. The id shows when it was
    /// made, which the record's `created_at` shows anyway.
    func newOrderedID(_ prefix: String) -> String {
        let millis = UInt64(max(0, clock.now.millis)) & 0xFFFF_FFFF_FFFF
        let time = String(millis, radix: 16)
        return prefix + "_" + String(repeating: "0", count: 12 - time.count) + time + SecureRandom.bytes(count: 8).hexString
    }
}

extension Calendar {
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}

extension ServiceClock {
    /// Today's date in UTC, for catalog validation.
    var today: CalendarDate {
        let parts = UTCDateParts(now)
        return CalendarDate(year: parts.year, month: parts.month, day: parts.day) ?? .today()
    }
}

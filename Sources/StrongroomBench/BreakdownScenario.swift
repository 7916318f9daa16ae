import AuditLog
import Catalog
import GRDB
import Policy
import Sealing
import Storage
import Strongroom

/// Diagnostic: where one sealed submission's time goes, phase by phase, on one thread. No targets; these figures
/// explain the end-to-end ones.
struct BreakdownScenario {
    let bench: BenchInstallation
    let iterations: Int

    func run() async throws -> [BenchFigure] {
        let installation = bench.installation
        let service = try required(installation.catalog.service(BenchInstallation.serviceID))
        let caller = bench.citizens[0]
        let (values, _) = BenchInstallation.values(number: 1)
        var figures: [BenchFigure] = []
        func figure(_ name: String, _ micros: Double) {
            figures.append(BenchFigure(
                scenario: "breakdown", name: name, value: micros, unit: "µs", lowerIsBetter: true, floor: nil,
                floorDescription: "diagnostic", targets: []))
        }
        func time(_ body: () throws -> Void) rethrows -> Double {
            let start = Measure.clock.now
            for _ in 0..<iterations { try body() }
            return Measure.seconds(Measure.clock.now - start) * 1e6 / Double(iterations)
        }
        var validated: [String: FieldValue] = [:]
        figure("catalog validate (benefit-application)", try time { validated = try service.validate(values) })
        let resource = Resource.request(owner: caller.accountID, service: service.id, office: "central", status: "draft")
        let context = Context(purpose: nil, hour: 10, weekday: "mon", authStrength: "password")
        figure("policy decide", time { _ = installation.policies.decide(caller.principal, .create, resource, context) })
        let subject = caller.subjectID ?? ""
        let key = try installation.subjectKeys.keyID(subject: subject, scope: "until:2099-01")
        figure("subject key id lookup (cached)", try time { _ = try installation.subjectKeys.keyID(subject: subject, scope: "until:2099-01") })
        let canonical = validated.values.map(\.canonical)
        var sealed: [[UInt8]] = []
        figure("seal \(canonical.count) fields under a subject key", try time {
            sealed = try canonical.enumerated().map { index, value in
                try installation.sealer.seal(Array(value.utf8), for: FieldPlace(collection: "requests", recordID: "r1", field: "f\(index)"), subjectKeyID: key)
            }
        })
        figure("open \(sealed.count) fields under a subject key", try time {
            for (index, envelope) in sealed.enumerated() {
                _ = try installation.sealer.open(envelope, at: FieldPlace(collection: "requests", recordID: "r1", field: "f\(index)"))
            }
        })
        // What the row integrity checks add: a request read verifies the request row's MAC (and its payment's, when it
        // has one) and the revision of every envelope it loads; a submission makes one MAC (two with a fee).
        let rows = RowAuthenticator(keyring: installation.keyring)
        let requestColumns: [RowValue] = [
            .text(service.id), .integer(3), .text(caller.accountID), .text(subject), .text("central"), .text("submitted"), .integer(0), .null,
            .null, .null, .integer(1_790_000_000_000), .integer(1_790_000_000_000), .null,
            .text((0..<sealed.count).map { "requests/f\($0)=00000000000000\(String(format: "%02x", $0))" }.joined(separator: ";")),
        ]
        var mac: [UInt8] = []
        figure("row MAC: make (request row)", try time { mac = try rows.mac(table: "requests", key: "req_0190000000000000000000000000", columns: requestColumns) })
        figure("row MAC: check (request row)", time {
            _ = rows.verify(mac, table: "requests", key: "req_0190000000000000000000000000", columns: requestColumns)
        })
        var revisions = FieldRevisions()
        for (index, envelope) in sealed.enumerated() {
            revisions.set(try SealedEnvelope.revision(of: envelope), collection: "requests", field: "f\(index)")
        }
        let revisionText = revisions.text
        figure("field revisions: parse and check \(sealed.count) envelopes", time {
            let parsed = FieldRevisions(text: revisionText) ?? FieldRevisions()
            for (index, envelope) in sealed.enumerated() { _ = parsed.admits(envelope, collection: "requests", field: "f\(index)") }
        })
        figure("blind index (1 field)", try time {
            _ = try installation.indexer.index("1234567TW", normalization: .exact, collection: "requests", field: "national_id")
        })
        figure("database read transaction (one row)", try time {
            _ = try installation.database.readBlocking { db in try Row.fetchOne(db, sql: "SELECT 1") }
        })
        let start = Measure.clock.now
        let writes = max(50, iterations / 20)
        for _ in 0..<writes { try await installation.writer.write { _ in } }
        figure("one durable group commit, nothing else in it (fsync)", Measure.seconds(Measure.clock.now - start) * 1e6 / Double(writes))
        let store = installation.auditStore
        let draft = AuditEntryDraft(
            actor: AuditActor(id: caller.accountID, role: "citizen"), action: "request.create",
            target: AuditTarget(collection: "requests", recordID: "req_x", subjectID: subject), fieldsTouched: Array(validated.keys).sorted(),
            decision: .allow(["citizen-read-own-requests"]), purpose: nil, requestID: "bench", details: ["service": service.id])
        let appendMicros = try await installation.database.write { db -> Double in
            let begin = Measure.clock.now
            for _ in 0..<2000 { _ = try store.append(draft, in: db) }
            return Measure.seconds(Measure.clock.now - begin) * 1e6 / 2000
        }
        figure("audit append in the service's store (per entry)", appendMicros)
        let single = Measure.clock.now
        let sequential = max(20, iterations / 50)
        for number in 0..<sequential {
            _ = try await installation.records.createRequest(
                serviceID: service.id, values: BenchInstallation.values(number: 900_000 + number).values, submit: true, caller: caller,
                access: AccessContext(requestID: "breakdown-\(number)"))
        }
        figure("createRequest, one at a time (latency incl. fsync)", Measure.seconds(Measure.clock.now - single) * 1e6 / Double(sequential))
        return figures
    }
}

func required<T>(_ value: T?) throws -> T {
    guard let value else { throw BenchError("missing value") }
    return value
}

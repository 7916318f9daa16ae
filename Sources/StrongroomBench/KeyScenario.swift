import Keyring
import Sealing
import Sodium
import Strongroom

/// Issue 7's figures: rewrap throughput (vs re-sealing the same values with raw libsodium), erasure of one subject,
/// and root rotation with many subject keys (vs unwrapping and wrapping one key).
struct KeyScenario {
    let bench: BenchInstallation
    let fields: Int
    let subjectKeys: Int

    func run() async throws -> [BenchFigure] {
        let installation = bench.installation
        let officer = AuthenticatedCaller(
            accountID: "bench-officer", kind: .staff, roles: ["security-officer"], office: nil, subjectID: nil, authStrength: "mfa")
        // Enough sealed fields under the current version, then a rotation so that all of them need rewrapping.
        let perRequest = 6
        try await bench.ensureRequests(max(1, fields / perRequest))
        let operations = KeyOperations(keyring: installation.keyring, database: installation.database)
        _ = try operations.rotateDataKey(.records, caller: officer, requestID: "bench-rotate")
        let report = try await Rewrap(installation: installation).run(batchSize: 2000, caller: officer, requestID: "bench-rewrap")
        let rewrapRate = Double(report.rewrapped) / max(report.seconds, 1e-9)
        let floorRate = try Self.resealFloor(count: report.rewrapped)

        // Erasure of one subject (median of several), with the signed receipt.
        var erasures: [Double] = []
        for number in 0..<7 {
            let login = "bench-erase-\(number)@example.org", password = "bench erase password \(number)"
            try await installation.accounts.signUp(login: login, password: password, context: AccessContext(requestID: "bench-erase"))
            let session = try await installation.accounts.logIn(login: login, password: password, address: "192.0.2.20", context: AccessContext(requestID: "bench-erase"))
            _ = try await installation.records.createRequest(
                serviceID: BenchInstallation.serviceID, values: BenchInstallation.values(number: 800_000 + number).values, submit: true,
                caller: session.caller, access: AccessContext(requestID: "bench-erase"))
            let start = Measure.clock.now
            _ = try await installation.records.erase(
                subjectID: session.caller.subjectID!, basis: "benchmark", by: officer, access: AccessContext(requestID: "bench-erase"),
                signReceipt: true)
            erasures.append(Measure.seconds(Measure.clock.now - start) * 1e3)
        }

        // Root rotation with many subject keys in the store: subject keys are wrapped by the key ring's `subjects`
        // key, so a root rotation rewraps the key ring only, whatever their number.
        for number in 0..<subjectKeys { _ = try installation.subjectKeys.keyID(subject: "bench-subject-\(number)", scope: "subject") }
        let storeCount = try installation.subjectKeys.count()
        let start = Measure.clock.now
        _ = try operations.rotateRoot(to: .plain, caller: officer, requestID: "bench-root")
        let rootSeconds = Measure.seconds(Measure.clock.now - start)
        return [
            BenchFigure(
                scenario: "keys", name: "rewrap (open old version, re-seal, conditional replace)", value: rewrapRate, unit: "fields/s",
                lowerIsBetter: false, floor: floorRate, floorDescription: "libsodium open + seal of the same values, one thread, no database",
                targets: [.atLeast(100_000, "fields/s")], note: "\(report.rewrapped) fields, \(report.indexesRecomputed) indexes recomputed"),
            BenchFigure(
                scenario: "keys", name: "erase one subject (keys destroyed, rows removed, signed receipt)", value: Measure.median(erasures),
                unit: "ms", lowerIsBetter: true, floor: nil, floorDescription: "no floor", targets: [.below(10, "ms")],
                note: "median of \(erasures.count)"),
            BenchFigure(
                scenario: "keys", name: "root rotation with \(storeCount) subject keys in the store", value: rootSeconds, unit: "s",
                lowerIsBetter: true, floor: nil, floorDescription: "no floor", targets: [.atMost(10, "s")],
                note: "subject keys are wrapped by the key ring's `subjects` key, so this does not grow with their number"),
        ]
    }

    /// Raw libsodium re-seal of `count` values like the rewrap's (open under one key, seal under another).
    static func resealFloor(count: Int) throws -> Double {
        let old = try SecretBytes(randomCount: 32), new = try SecretBytes(randomCount: 32)
        let nonce = XChaCha20Poly1305.randomNonce()
        let value = Array("Bench value of a typical field".utf8)
        let ad = Array("strongroom.field.v1 requests req_0000 full_name".utf8)
        let sealed = try XChaCha20Poly1305.seal(value, key: old, nonce: nonce, associatedData: ad)
        let n = max(1000, count)
        let start = Measure.clock.now
        for _ in 0..<n {
            let clear = try XChaCha20Poly1305.open(sealed, key: old, nonce: nonce, associatedData: ad)
            _ = try XChaCha20Poly1305.seal(clear, key: new, nonce: XChaCha20Poly1305.randomNonce(), associatedData: ad)
        }
        return Double(n) / Measure.seconds(Measure.clock.now - start)
    }
}

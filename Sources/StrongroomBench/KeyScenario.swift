import Keyring
import Sealing
import Sodium
import Strongroom

#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation

/// Issue 7's figures: rewrap throughput (vs re-sealing the same values with raw libsodium), erasure of one subject,
/// and root rotation with many subject keys (vs unwrapping and wrapping one key).
struct KeyScenario {
    let bench: BenchInstallation
    let fields: Int
    /// Subject keys in the store for the erasure and root rotation figures. A full run (100,000 or more) fills the
    /// store to the issue's figure, 1,000,000.
    let subjectKeys: Int
    /// Rewrap runs (each after its own rotation of `records`); the figure is their median.
    var runs = 3

    static let issueStoreSize = 1_000_000

    func run() async throws -> [BenchFigure] {
        let installation = bench.installation
        let officer = AuthenticatedCaller(
            accountID: "bench-officer", kind: .staff, roles: ["security-officer"], office: nil, subjectID: nil, authStrength: "mfa")
        // Enough sealed fields under the current version, then a rotation so that all of them need rewrapping.
        let perRequest = 6
        try await bench.ensureRequests(max(1, fields / perRequest))
        let operations = KeyOperations(keyring: installation.keyring, database: installation.database, subjectKeys: installation.subjectKeys)
        var rates: [Double] = [], cpuPerField: [Double] = []
        var rewrapped = 0, indexes = 0
        for number in 0..<max(1, runs) {
            _ = try operations.rotateDataKey(.records, caller: officer, requestID: "bench-rotate-\(number)")
            let cpuBefore = Self.processCPUSeconds()
            let report = try await Rewrap(installation: installation).run(batchSize: 2000, caller: officer, requestID: "bench-rewrap-\(number)")
            rates.append(Double(report.rewrapped) / max(report.seconds, 1e-9))
            cpuPerField.append((Self.processCPUSeconds() - cpuBefore) / Double(max(1, report.rewrapped)) * 1e6)
            rewrapped = report.rewrapped
            indexes = report.indexesRecomputed
        }
        let floorRate = try Self.resealFloor(count: rewrapped)

        // A store the size of the issue's figure (bulk-created, 50,000 keys per transaction).
        let storeSize = subjectKeys >= 100_000 ? Self.issueStoreSize : subjectKeys
        var made = try installation.subjectKeys.count()
        while made < storeSize {
            let chunk = (made..<min(storeSize, made + 50_000)).map { "bench-subject-\($0)" }
            try installation.subjectKeys.createKeys(subjects: chunk, scope: "subject")
            made += chunk.count
        }
        let storeCount = try installation.subjectKeys.count()

        // Erasure of one subject (median of several), with the signed receipt, with that many keys in the store.
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

        // Root rotation: subject keys are wrapped by the key ring's `subjects` key, so a root rotation rewraps the
        // key ring only, whatever their number.
        let start = Measure.clock.now
        _ = try operations.rotateRoot(to: .plain, caller: officer, requestID: "bench-root")
        let rootSeconds = Measure.seconds(Measure.clock.now - start)
        let runText = rates.map { String(Int($0.rounded())) }.joined(separator: ", ")
        let cpuText = cpuPerField.map { String(format: "%.1f", $0) }.joined(separator: ", ")
        return [
            BenchFigure(
                scenario: "keys", name: "rewrap (open old version, re-seal, conditional replace)", value: Measure.median(rates), unit: "fields/s",
                lowerIsBetter: false, floor: floorRate, floorDescription: "libsodium open + seal of the same values, one thread, no database",
                targets: [.atLeast(100_000, "fields/s")],
                note: "median of \(rates.count) runs over \(rewrapped) fields each (\(runText) fields/s; process CPU \(cpuText) µs/field, so 2 idle cores allow about \(Int(2e6 / max(Measure.median(cpuPerField), 1e-9))) fields/s), \(indexes) indexes recomputed"),
            BenchFigure(
                scenario: "keys", name: "erase one subject (keys destroyed, rows removed, signed receipt)", value: Measure.median(erasures),
                unit: "ms", lowerIsBetter: true, floor: nil, floorDescription: "no floor", targets: [.below(10, "ms")],
                note: "median of \(erasures.count), with \(storeCount) subject keys in the store"),
            BenchFigure(
                scenario: "keys", name: "root rotation with \(storeCount) subject keys in the store", value: rootSeconds, unit: "s",
                lowerIsBetter: true, floor: nil, floorDescription: "no floor", targets: [.atMost(10, "s")],
                note: "subject keys are wrapped by the key ring's `subjects` key, so this does not grow with their number"),
        ]
    }

    /// User + system CPU time of this process so far: the rewrap's cost, whatever else runs on a shared machine.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
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

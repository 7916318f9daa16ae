import Dispatch
import Sodium

/// Argon2id hashing and verification, run off the cooperative thread pool.
///
/// Argon2id takes tens of milliseconds and tens of MiB per call by design; running it on the cooperative pool
/// would stall every other request. A small set of serial queues bounds memory to `lanes` hashes at once.
public struct PasswordHasher: Sendable {
    private let limits: Argon2id.Limits
    private let lanes: [DispatchQueue]

    public init(limits: Argon2id.Limits, lanes: Int = 2) {
        self.limits = limits
        self.lanes = (0..<max(1, lanes)).map { DispatchQueue(label: "strongroom.password-hasher.\($0)") }
    }

    /// An encoded Argon2id hash of `password`.
    public func hash(_ password: String) async throws -> String {
        let limits = self.limits
        return try await run { try Argon2id.hashPassword(Array(password.utf8), limits: limits) }
    }

    /// Whether `password` matches `hash`.
    public func verify(_ password: String, against hash: String) async -> Bool {
        (try? await run { Argon2id.verifyPassword(Array(password.utf8), against: hash) }) ?? false
    }

    /// Whether `hash` should be recomputed with the current limits.
    public func needsRehash(_ hash: String) -> Bool { Argon2id.needsRehash(hash, limits: limits) }

    private func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let lane = lanes[Int(SecureRandom.uniform(UInt32(lanes.count)))]
        return try await withCheckedThrowingContinuation { continuation in
            lane.async { continuation.resume(with: Result { try work() }) }
        }
    }
}

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

    /// An encoded Argon2id hash of `password`, which libsodium reads from its guarded memory.
    public func hash(_ password: SecretBytes) async throws -> String {
        let limits = self.limits
        return try await run { try Argon2id.hashPassword(password, limits: limits) }
    }

    /// Whether `password` matches `hash`; `nil` stands for the empty password (no bytes to guard), which costs the
    /// same Argon2id work and matches nothing a sign-up could have made.
    public func verify(_ password: SecretBytes?, against hash: String) async -> Bool {
        (try? await run {
            if let password { Argon2id.verifyPassword(password, against: hash) } else { Argon2id.verifyPassword([UInt8](), against: hash) }
        }) ?? false
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

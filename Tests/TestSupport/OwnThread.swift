import Foundation

/// Runs long CPU-bound or blocking `work` on a thread of its own and awaits its result.
///
/// Swift's cooperative pool has one thread per core (two on the machines these tests run on), shared by every test
/// running at once. A test that computes for minutes on one of them, or parks one, holds back every task queued
/// behind it, and with them every test that waits for something another task does. Record expectations on the
/// test's own task (return what they need): `#expect` on a bare thread has no test to report to.
public func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// Polls `condition` until it holds or `limit` passes on the wall clock, and says whether it held.
///
/// For tests that wait for something another task or thread does: the limit is a failsafe, not a measurement, so it
/// is long (a loaded two-core machine can stall a task for seconds) and costs nothing when the condition comes true.
/// Counts time, not polls: a poll that returns late under load does not use up the wait.
///
/// - Parameters:
///   - limit: how long to wait before giving up; 60 s unless the test has a reason for another bound.
///   - interval: the pause between polls.
///   - condition: checked once more after the limit, so a late success still counts.
public func eventually(
    within limit: Duration = .seconds(60), every interval: Duration = .milliseconds(10),
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        do { try await Task.sleep(for: interval) } catch { break }  // cancelled: answer now
    }
    return try await condition()
}

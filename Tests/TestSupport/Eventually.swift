/// Polls `condition` until it holds, and says whether it did. Gives up only once `limit` has passed on the wall clock
/// and `minimumPolls` polls have been made.
///
/// For tests that wait for something another task or thread does: the limit is a failsafe, not a measurement, so it
/// is long (a loaded two-core machine can stall a task for seconds) and costs nothing when the condition comes true.
/// The minimum number of polls covers a cooperative pool held up by other tests: the task being waited for queues
/// behind the same work as the poller, so it gets about as many turns as the polls, however long they take.
///
/// - Parameters:
///   - limit: how long to wait at least before giving up; 60 s unless the test has a reason for another bound.
///   - interval: the pause between polls.
///   - minimumPolls: how many polls to make at least before giving up.
///   - condition: checked once more at the end, so a late success still counts.
public func eventually(
    within limit: Duration = .seconds(60), every interval: Duration = .milliseconds(10), minimumPolls: Int = 1000,
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + limit
    var polls = 0
    while ContinuousClock.now < deadline || polls < minimumPolls {
        if try await condition() { return true }
        polls += 1
        do { try await Task.sleep(for: interval) } catch { break }  // cancelled: answer now
    }
    return try await condition()
}

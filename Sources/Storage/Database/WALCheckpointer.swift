import Dispatch
import GRDB
import Synchronization

/// Copies the WAL back into the database file on a connection of its own, off the commit path.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses 1,000 WAL pages: that commit (and every write
/// waiting for the next group commit) stalls while a few megabytes are copied and the database file is fsynced —
/// the long tail of submission latency under load. Here, after commits, this checkpointer runs a PASSIVE checkpoint
/// in the background (it never blocks the writer), so the copying is done off the commit path. The writer keeps
/// SQLite's automatic checkpoint, at a higher threshold (``GroupCommitWriter/automaticCheckpointPages``): when it
/// fires, almost every frame has already been copied back, so it costs little — and it is what lets the WAL start
/// over from the beginning while commits keep arriving (a background PASSIVE checkpoint alone cannot, so the WAL
/// would grow without bound under sustained load). Durability is unchanged: a commit is durable once its WAL frames
/// are fsynced, whenever they are copied back.
final class WALCheckpointer: Sendable {
    private let connection: DatabaseQueue
    private let queue = DispatchQueue(label: "strongroom.wal-checkpoint", qos: .utility)
    private let running = Atomic<Bool>(false)

    init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        connection = try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Starts a checkpoint in the background unless one is running.
    func kick() {
        guard running.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        queue.async { [self] in
            defer { running.store(false, ordering: .releasing) }
            // Busy or interrupted: the next commit kicks another; nothing is lost (the frames stay in the WAL).
            _ = try? connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
        }
    }

    /// Runs one checkpoint now and waits for it (tests).
    func checkpointNow() throws -> (walFrameCount: Int, checkpointedFrameCount: Int) {
        try connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
    }
}

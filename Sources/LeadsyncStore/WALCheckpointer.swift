import Foundation
import GRDB

/// Copies the SQLite store's committed WAL frames back into the database file on a thread of its own, so
/// the batch writer goes on with its next batch instead of waiting for the copy and the `fdatasync` that
/// ends it.
///
/// SQLite's automatic checkpoint runs inside the commit of the connection that crossed the WAL's size
/// threshold. A sync batch rewrites scattered index pages (about 100 MB a batch once the store holds 1M
/// leads), so every commit paid for copying them back, on the one thread the whole sync waits for. The
/// writer's automatic checkpoint is therefore off (`PRAGMA wal_autocheckpoint = 0`), and this thread runs a
/// PASSIVE checkpoint after each commit: it never blocks the writer or a reader, and copies every frame no
/// reader still needs. Crash safety is SQLite's: a committed transaction is in the WAL whether or not it was
/// copied back yet.
///
/// The WAL only starts over from its beginning when a write transaction begins with every frame already
/// copied back. A writer that begins its next batch right after a commit would never find it so, and the
/// WAL would grow for the whole sync; so once it has grown past `limitBytes`, the next write transaction
/// first waits for the copy to finish (`waitIfOverLimit`).
final class WALCheckpointer: @unchecked Sendable {
    private let connection: DatabaseQueue
    private let limitFrames: Int
    private let condition = NSCondition()
    private var requested = false
    private var running = false
    private var stopping = false
    private var exited = false
    /// Frames in the WAL when the last checkpoint ended: its size, one commit behind at most.
    private var walFrames = 0
    /// Checkpoints run, and how often a writer waited for one (for tests and diagnosis).
    private(set) var checkpoints = 0
    private(set) var waits = 0

    /// - Parameter limitBytes: the WAL size past which a writer waits for the copy (default 256 MiB).
    init(path: String, limitBytes: Int) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        connection = try DatabaseQueue(path: path, configuration: configuration)
        let pageSize = try connection.read { db in try Int.fetchOne(db, sql: "PRAGMA page_size") } ?? 4096
        limitFrames = max(1, limitBytes / pageSize)
        let thread = Thread { [self] in run() }
        thread.name = "leadsync-checkpoint"
        thread.start()
    }

    /// After a commit: copy what it wrote (requests made while a checkpoint runs are served by one more).
    func committed() {
        condition.lock()
        requested = true
        condition.signal()
        condition.unlock()
    }

    /// Before a write transaction: when the WAL has grown past its limit, waits until everything committed
    /// is copied back, so that this transaction writes from the WAL's beginning again.
    func waitIfOverLimit() {
        condition.lock()
        defer { condition.unlock() }
        guard walFrames > limitFrames, requested || running else { return }
        waits += 1
        while (requested || running) && !exited { condition.wait() }
    }

    /// Waits until no checkpoint is pending or running (before a TRUNCATE checkpoint, which cannot run
    /// beside another one).
    func waitUntilIdle() {
        condition.lock()
        while (requested || running) && !exited { condition.wait() }
        condition.unlock()
    }

    /// Finishes a pending checkpoint, then ends the thread and closes its connection.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !exited { condition.wait() }
        condition.unlock()
    }

    private func run() {
        condition.lock()
        while true {
            while !requested && !stopping { condition.wait() }
            if !requested { break }  // stopping, with nothing left to copy
            requested = false
            running = true
            condition.unlock()
            // A failure (another connection's TRUNCATE checkpoint holding the lock, a full disk) leaves the
            // frames in the WAL, where they are as safe as in the file; the next commit asks again.
            let result = try? connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
            condition.lock()
            running = false
            checkpoints += 1
            if let result { walFrames = result.walFrameCount }
            condition.broadcast()
        }
        exited = true
        condition.broadcast()
        condition.unlock()
    }
}

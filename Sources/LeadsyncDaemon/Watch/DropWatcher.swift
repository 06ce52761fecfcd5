import Foundation
import LeadsyncConnectors
import LeadsyncEngine
import Logging
import ServiceLifecycle

/// Watches every drop directory with inotify and asks the executor for a run when a file is complete.
/// Every `rescan_interval` (and at start) it also lists the directories, as a safety net for missed events,
/// for network filesystems (where inotify sees no remote writes), and for files left claimed by a crash.
public final class DropWatcher: Service, @unchecked Sendable {
    private let state: DaemonState
    private let executor: SyncExecutor
    private let metrics: DaemonMetrics
    private let logger: Logger
    private let readiness: Readiness

    private let lock = NSLock()
    private var needsRearm = true
    private var stopping = false
    private var lastLoop = Date()

    init(state: DaemonState, executor: SyncExecutor, metrics: DaemonMetrics, readiness: Readiness, logger: Logger) {
        self.state = state; self.executor = executor; self.metrics = metrics; self.readiness = readiness; self.logger = logger
        state.onReload { [weak self] _ in self?.lock.withLock { self?.needsRearm = true } }
    }

    /// When the watch loop last went round (it wakes at least five times a second): the watchdog's question.
    var lastLoopAt: Date { lock.withLock { lastLoop } }

    public func run() async throws {
        let inotify = try Inotify()
        let thread = Thread { [self] in loop(inotify) }
        thread.name = "leadsync-watch"
        thread.start()
        try? await gracefulShutdown()
        lock.withLock { stopping = true }
        while !thread.isFinished { try? await Task.sleep(for: .milliseconds(20)) }
    }

    private func loop(_ inotify: Inotify) {
        var watches: [Int32: String] = [:]      // watch descriptor → connector
        var watchedPaths: [String: Int32] = [:] // directory → watch descriptor
        var nextRescan = Date()
        while true {
            let (rearm, stop) = lock.withLock { () -> (Bool, Bool) in
                lastLoop = Date()
                defer { needsRearm = false }
                return (needsRearm, stopping)
            }
            if stop { return }
            let drops = state.configuration.connectors.filter { $0.feed == nil }
            if rearm {
                let wanted = Dictionary(drops.map { ($0.path.path, $0.name) }, uniquingKeysWith: { first, _ in first })
                for (path, watch) in watchedPaths where wanted[path] == nil {
                    inotify.remove(watch)
                    watchedPaths[path] = nil
                    watches[watch] = nil
                    logger.info("stopped watching \(path)")
                }
                for (path, name) in wanted {
                    if let watch = watchedPaths[path] { watches[watch] = name; continue }
                    do {
                        let watch = try inotify.add(directory: path)
                        watchedPaths[path] = watch
                        watches[watch] = name
                        logger.info("watching \(path)", metadata: ["connector": "\(name)"])
                    } catch {
                        logger.error("connector \(name): \(error); its directory is still listed every rescan_interval",
                                     metadata: ["connector": "\(name)"])
                    }
                }
                nextRescan = Date()  // new connectors: look at what is already there
                readiness.done(.watchers)
            }
            if Date() >= nextRescan {
                rescan(drops)
                nextRescan = Date().addingTimeInterval(state.configuration.main.daemon.rescanSeconds)
            }
            var complete: [String: Set<String>] = [:]
            for event in inotify.wait(timeout: 200) {
                if event.overflow { nextRescan = Date(); continue }
                guard let name = watches[event.watch], DropDirectory.isCandidateName(event.name) else { continue }
                complete[name, default: []].insert(event.name)
            }
            for (name, files) in complete {
                logger.debug("complete file seen", metadata: ["connector": "\(name)", "files": "\(files.sorted())"])
                executor.request(name, files: files)
            }
        }
    }

    /// Lists each drop directory: updates the pending-files gauge, and asks for a run if anything waits.
    private func rescan(_ drops: [ConnectorConfig]) {
        let configuration = state.configuration
        for connector in drops {
            let drop = configuration.dropDirectory(connector)
            metrics.filesPending(connector: connector.name, directory: connector.path.path, count: drop.waitingCount())
            let ready = ((try? drop.pending().count) ?? 0) + ((try? drop.leftoverClaims().count) ?? 0)
            if ready > 0 { executor.request(connector.name) }
        }
    }
}

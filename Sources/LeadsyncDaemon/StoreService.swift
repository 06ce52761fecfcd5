import Foundation
import LeadsyncStore
import Logging
import ServiceLifecycle

/// Owns the pipeline store for the daemon's lifetime (opened and migrated before READY=1) and checks every
/// two seconds, on a fresh connection, that it can still be read: the answer /readyz gives, logged when it changes.
final class StoreService: Service, @unchecked Sendable {
    let store: any PipelineStore
    private let logger: Logger
    private let lock = NSLock()
    private var problem: String?

    init(store: any PipelineStore, logger: Logger) { self.store = store; self.logger = logger }

    var currentProblem: String? { lock.withLock { problem } }

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let found = store.healthProblem()
            let previous = lock.withLock { () -> String? in
                defer { problem = found }
                return problem
            }
            if let found, previous == nil { logger.error("store unavailable: \(found)") }
            if found == nil, previous != nil { logger.notice("store available again", metadata: ["store": "\(store.location)"]) }
            // Woken at once by a shutdown, so stopping never waits for the next tick.
            _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(2)) }
        }
    }
}

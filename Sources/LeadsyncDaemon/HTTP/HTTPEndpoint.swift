import Foundation
import Hummingbird
import LeadsyncStore
import Logging

/// The daemon's HTTP endpoint (127.0.0.1 by default): `/metrics` for Prometheus, `/healthz` for liveness,
/// `/readyz` for readiness (200 only when the store answers and no connector is failing past its backoff).
enum HTTPEndpoint {
    static func make(host: String, port: Int, metrics: DaemonMetrics, logger: Logger, listening: @escaping @Sendable () -> Void,
                     readiness: @escaping @Sendable () -> [String: String]) -> some ApplicationProtocol {
        let router = Router()
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        router.get("/readyz") { _, _ in
            let problems = readiness()
            let body: [String: Any] = problems.isEmpty ? ["ready": true] : ["ready": false, "problems": problems]
            let json = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data("{}".utf8)
            return Response(status: problems.isEmpty ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: Array(json) + [0x0A])))
        }
        var serverLogger = logger
        serverLogger.logLevel = .warning  // one line per request is noise in the journal
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "leadsync"),
                           onServerRunning: { _ in listening() }, logger: serverLogger)
    }
}

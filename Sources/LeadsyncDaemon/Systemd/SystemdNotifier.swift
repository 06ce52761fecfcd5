import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// systemd's notify protocol, spoken directly: newline-separated `KEY=VALUE` assignments in one datagram
/// to the AF_UNIX socket named by `$NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace).
/// Without `$NOTIFY_SOCKET` (not started by systemd) every call does nothing.
public final class SystemdNotifier: @unchecked Sendable {
    private let socketPath: String?
    private let lock = NSLock()

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
    }

    public var isEnabled: Bool { socketPath != nil }

    public func ready(status: String? = nil) { send(["READY=1"] + (status.map { ["STATUS=\($0)"] } ?? [])) }
    public func status(_ text: String) { send(["STATUS=\(text)"]) }
    public func watchdog() { send(["WATCHDOG=1"]) }
    public func stopping() { send(["STOPPING=1"]) }
    /// `RELOADING=1` must carry the monotonic clock's time, so systemd can tell this reload from an older one.
    public func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        send(["RELOADING=1", "MONOTONIC_USEC=\(UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000)"])
    }

    /// Sends one datagram. Failures are ignored on purpose: a missing notify socket must never stop the daemon.
    public func send(_ assignments: [String]) {
        guard let socketPath else { return }
        let message = assignments.joined(separator: "\n")
        lock.withLock {
            let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { return }
            defer { close(fd) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            var pathBytes = Array(socketPath.utf8)
            if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }  // abstract namespace
            let capacity = MemoryLayout.size(ofValue: address.sun_path)
            guard pathBytes.count < capacity else { return }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                raw.copyBytes(from: pathBytes)
            }
            let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count + (pathBytes.first == 0 ? 0 : 1))
            _ = message.withCString { text in
                withUnsafePointer(to: &address) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                        sendto(fd, text, strlen(text), Int32(MSG_NOSIGNAL), sa, length)
                    }
                }
            }
        }
    }
}

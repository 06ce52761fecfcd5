import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The test's end of systemd's notify protocol: a datagram socket that records every message a child
/// process sends to `$NOTIFY_SOCKET`, with the time it arrived.
public final class NotifySocket: @unchecked Sendable {
    public let path: String
    private let fd: Int32
    private let lock = NSLock()
    private var received: [(at: Date, text: String)] = []
    private var closed = false

    public init() throws {
        // sun_path holds 108 bytes: a short name directly under /tmp.
        path = "/tmp/lsn-\(UUID().uuidString.prefix(8)).sock"
        unlink(path)
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard fd >= 0, bound == 0 else { throw SocketError(message: "cannot bind \(path): \(String(cString: strerror(errno)))") }
        chmod(path, 0o777)  // a daemon started as another user must be able to send
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [self] in receive() }
        thread.start()
    }

    deinit {
        lock.withLock { closed = true }
        unlink(path)
    }

    private func receive() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !lock.withLock({ closed }) {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { continue }
            let text = String(decoding: buffer[0..<count], as: UTF8.self)
            lock.withLock { received.append((Date(), text)) }
        }
        close(fd)
    }

    public var messages: [(at: Date, text: String)] { lock.withLock { received } }

    /// Messages containing `assignment` as one of their lines (`READY=1`).
    public func arrivals(of assignment: String) -> [Date] {
        messages.filter { $0.text.split(separator: "\n").contains { $0.hasPrefix(assignment) } }.map(\.at)
    }

    /// Waits until a message has a line starting with `prefix` (after `since`), and returns that message.
    public func wait(for prefix: String, since: Date = .distantPast, timeout: TimeInterval = 30) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let found = messages.first(where: { $0.at >= since && $0.text.split(separator: "\n").contains { $0.hasPrefix(prefix) } }) {
                return found.text
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return nil
    }
}

public struct SocketError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
public func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard ok else { throw SocketError(message: "cannot find a free port: \(String(cString: strerror(errno)))") }
    return Int(UInt16(bigEndian: address.sin_port))
}

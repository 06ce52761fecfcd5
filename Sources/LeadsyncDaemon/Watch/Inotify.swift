import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A thin wrapper over Linux inotify, watching directories for files that became complete: closed after
/// writing (`IN_CLOSE_WRITE`) or renamed in (`IN_MOVED_TO`), the two ways a drop finishes.
/// Handed whole to the watch thread, which alone uses it.
final class Inotify: @unchecked Sendable {
    struct Event {
        var watch: Int32
        var name: String
        var overflow: Bool
    }

    private let fd: Int32

    init() throws {
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw WatchError("inotify_init1 failed: \(String(cString: strerror(errno))); raise fs.inotify.max_user_instances") }
    }

    deinit { close(fd) }

    func add(directory: String) throws -> Int32 {
        let watch = inotify_add_watch(fd, directory, UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO) | UInt32(IN_ONLYDIR))
        guard watch >= 0 else {
            throw WatchError("cannot watch \(directory): \(String(cString: strerror(errno)))"
                             + (errno == ENOSPC ? "; raise fs.inotify.max_user_watches" : ""))
        }
        return watch
    }

    func remove(_ watch: Int32) { inotify_rm_watch(fd, watch) }

    /// Waits up to `timeout` milliseconds and returns the events that arrived (none on timeout).
    func wait(timeout: Int32) -> [Event] {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, timeout) > 0 else { return [] }
        var events: [Event] = []
        let capacity = 64 * 1024
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer, capacity)
            guard count > 0 else { break }
            var offset = 0
            let header = MemoryLayout<inotify_event>.size
            while offset + header <= count {
                let event = buffer.load(fromByteOffset: offset, as: inotify_event.self)
                var name = ""
                if event.len > 0 {
                    name = String(cString: (buffer + offset + header).assumingMemoryBound(to: CChar.self))
                }
                events.append(Event(watch: event.wd, name: name, overflow: event.mask & UInt32(IN_Q_OVERFLOW) != 0))
                offset += header + Int(event.len)
            }
        }
        return events
    }
}

struct WatchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

import Foundation
import LeadsyncCore

/// The drop protocol for file connectors.
///
/// - A file is picked up only when complete: hidden and `.tmp`/`.part` names are ignored (write under such a
///   name, then rename), and any other file must be unchanged for `settleSeconds`.
/// - A file is claimed by an atomic rename into `processing/`, so two runs never read the same file.
/// - It moves to `done/` only after its last batch has committed, or to `failed/` with a `.error` note.
/// - A file left in `processing/` by a crash is resumed from its checkpoint by the next run.
public struct DropDirectory: Sendable {
    public let root: URL
    public let doneDirectory: URL
    public let failedDirectory: URL
    public let processingDirectory: URL
    public let settleSeconds: Double

    public init(root: URL, done: String = "done", failed: String = "failed", settleSeconds: Double = 5) {
        self.root = root
        doneDirectory = done.hasPrefix("/") ? URL(fileURLWithPath: done) : root.appendingPathComponent(done)
        failedDirectory = failed.hasPrefix("/") ? URL(fileURLWithPath: failed) : root.appendingPathComponent(failed)
        processingDirectory = root.appendingPathComponent("processing")
        self.settleSeconds = settleSeconds
    }

    /// A file in the drop protocol: waiting in the drop directory, or claimed into `processing/`.
    public struct ClaimedFile: Sendable, Equatable {
        public var url: URL
        /// The name it was dropped under, used in record refs (`leads.csv#12`).
        public var name: String { url.lastPathComponent }
        public var modified: Date
        public var size: Int
        public init(url: URL, modified: Date, size: Int) { self.url = url; self.modified = modified; self.size = size }
    }

    public func prepare() throws {
        for dir in [processingDirectory, doneDirectory, failedDirectory] {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        }
    }

    /// Files a crashed run left in `processing/`: they are resumed before new ones are claimed.
    public func leftoverClaims() throws -> [ClaimedFile] {
        try listFiles(in: processingDirectory)
    }

    /// Complete files waiting in the drop directory, oldest first (not claimed yet).
    /// - Parameter complete: names known to be complete (seen closed or renamed in by inotify): no settle wait.
    public func pending(now: Date = Date(), complete: Set<String> = []) throws -> [ClaimedFile] {
        try listFiles(in: root).filter { complete.contains($0.name) || now.timeIntervalSince($0.modified) >= settleSeconds }
    }

    /// How many files wait in the drop directory or sit claimed in `processing/`, settled or not.
    public func waitingCount() -> Int {
        ((try? listFiles(in: root).count) ?? 0) + ((try? listFiles(in: processingDirectory).count) ?? 0)
    }

    /// The URLs of `pending(now:)`.
    public func pendingFiles(now: Date = Date()) throws -> [URL] {
        try pending(now: now).map(\.url)
    }

    /// Takes ownership of a dropped file by renaming it into `processing/`. Returns nil if another run was faster.
    public func claim(_ file: URL) throws -> ClaimedFile? {
        let target = uniqueDestination(for: file.lastPathComponent, in: processingDirectory)
        guard rename(file.path, target.path) == 0 else {
            if errno == ENOENT { return nil }
            throw FileReadError(path: file.path, errno: errno)
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: target.path)
        return ClaimedFile(url: target, modified: attributes[.modificationDate] as? Date ?? Date(),
                           size: (attributes[.size] as? NSNumber)?.intValue ?? 0)
    }

    /// Moves a fully committed file to `done/`.
    @discardableResult
    public func complete(_ file: ClaimedFile) throws -> URL {
        let target = uniqueDestination(for: file.name, in: doneDirectory)
        guard rename(file.url.path, target.path) == 0 else { throw FileReadError(path: file.url.path, errno: errno) }
        return target
    }

    /// Moves an unreadable file to `failed/` and writes `NAME.error` beside it saying why and what to do.
    @discardableResult
    public func fail(_ file: ClaimedFile, reason: String) throws -> URL {
        let target = uniqueDestination(for: file.name, in: failedDirectory)
        guard rename(file.url.path, target.path) == 0 else { throw FileReadError(path: file.url.path, errno: errno) }
        let note = """
        file: \(file.name)
        failed at: \(ISO8601DateFormatter().string(from: Date()))
        reason: \(reason)
        what to do: fix or re-export the file, then drop it again into \(root.path)

        """
        try note.write(to: target.appendingPathExtension("error"), atomically: true, encoding: .utf8)
        return target
    }

    private func listFiles(in directory: URL) throws -> [ClaimedFile] {
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        var files: [ClaimedFile] = []
        for name in names where Self.isCandidateName(name) {
            let url = directory.appendingPathComponent(name)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
                  attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            files.append(ClaimedFile(url: url, modified: attributes[.modificationDate] as? Date ?? Date(),
                                     size: (attributes[.size] as? NSNumber)?.intValue ?? 0))
        }
        return files.sorted { ($0.modified, $0.url.lastPathComponent) < ($1.modified, $1.url.lastPathComponent) }
    }

    /// Names a writer uses while a file is incomplete, and our own notes, are never picked up.
    public static func isCandidateName(_ name: String) -> Bool {
        if name.hasPrefix(".") || name.hasPrefix("~") { return false }
        for suffix in [".tmp", ".part", ".partial", ".crdownload", ".error", ".lock", ".swp"] where name.hasSuffix(suffix) { return false }
        return true
    }

    private func uniqueDestination(for name: String, in directory: URL) -> URL {
        var candidate = directory.appendingPathComponent(name)
        var n = 1
        while FileManager.default.fileExists(atPath: candidate.path) {
            candidate = directory.appendingPathComponent("\(name).\(n)")
            n += 1
        }
        return candidate
    }
}

/// An exclusive advisory lock (flock) on a connector's drop directory for the length of a run.
public final class DirectoryLock {
    private let fd: Int32
    public init?(directory: URL) {
        fd = open(directory.appendingPathComponent(".leadsync.lock").path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return nil }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { close(fd); return nil }
    }
    deinit { flock(fd, LOCK_UN); close(fd) }
}


/// FNV-1a over the whole file: identifies a drop's content in provenance and checkpoints.
public func fileChecksum(path: String) throws -> String {
    var source = try FileByteSource(path: path)
    defer { source.close() }
    var hash = FNV1a()
    var chunk: [UInt8] = []
    chunk.reserveCapacity(1 << 20)
    while true {
        chunk.removeAll(keepingCapacity: true)
        guard try source.read(into: &chunk, max: 1 << 20) > 0 else { break }
        // The raw-buffer path: an index loop, fast in a debug build too (see `FNV1a.add(_:)`).
        chunk.withUnsafeBytes { hash.add($0) }
    }
    return hash.hex
}

import Foundation
import Testing
import LeadsyncConnectors
import LeadsyncCore
import LeadsyncTesting

@Suite struct DropDirectoryTests {
    /// A file of several read chunks (1 MiB each, the last one partial): the checksum is FNV-1a over every
    /// byte, as the generic hash computes it, and the byte source hands back exactly the file's bytes.
    @Test func checksumAndByteSourceCoverEveryByteAcrossChunks() throws {
        let dir = try TemporaryDirectory()
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<((1 << 20) * 2 + 12_345)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let file = dir.path("big.csv")
        try Data(bytes).write(to: file)
        var reference = FNV1a()
        reference.add(bytes)
        #expect(try fileChecksum(path: file.path) == reference.hex)

        var source = try FileByteSource(path: file.path)
        defer { source.close() }
        var read: [UInt8] = []
        while try source.read(into: &read, max: 1 << 20) > 0 {}
        #expect(read == bytes)
    }

    @Test func picksOnlyCompleteFiles() throws {
        let dir = try TemporaryDirectory()
        let drop = DropDirectory(root: dir.url, settleSeconds: 5)
        try drop.prepare()
        try dir.write("ready.csv", "email\na@b.fr\n")
        try dir.write("upload.csv.tmp", "email\n")
        try dir.write(".hidden.csv", "email\n")
        try dir.write("export.part", "email\n")
        let old = Date().addingTimeInterval(-60)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: dir.path("ready.csv").path)
        try dir.write("still-writing.csv", "email\n")  // modified just now: not settled
        #expect(try drop.pendingFiles().map(\.lastPathComponent) == ["ready.csv"])
        #expect(try drop.pendingFiles(now: Date().addingTimeInterval(10)).map(\.lastPathComponent) == ["ready.csv", "still-writing.csv"])
    }

    @Test func claimIsAnAtomicRenameAndOnlyOneWins() throws {
        let dir = try TemporaryDirectory()
        let drop = DropDirectory(root: dir.url, settleSeconds: 0)
        try drop.prepare()
        let file = try dir.write("leads.csv", "email\na@b.fr\n")
        let first = try drop.claim(file)
        let second = try drop.claim(file)
        #expect(first?.url.path == dir.path("processing/leads.csv").path)
        #expect(second == nil)
        #expect(try drop.leftoverClaims().map(\.name) == ["leads.csv"])
        try drop.complete(try #require(first))
        #expect(FileManager.default.fileExists(atPath: dir.path("done/leads.csv").path))
    }

    @Test func failedFileGetsAnErrorNote() throws {
        let dir = try TemporaryDirectory()
        let drop = DropDirectory(root: dir.url, settleSeconds: 0)
        try drop.prepare()
        let claimed = try #require(try drop.claim(try dir.write("bad.csv", "")))
        try drop.fail(claimed, reason: "the file is empty: no header line")
        let note = try String(contentsOf: dir.path("failed/bad.csv.error"), encoding: .utf8)
        #expect(note.contains("the file is empty"))
        #expect(note.contains("what to do"))
        #expect(FileManager.default.fileExists(atPath: dir.path("failed/bad.csv").path), "nothing is deleted")
    }

    @Test func lockIsExclusive() throws {
        let dir = try TemporaryDirectory()
        let first = DirectoryLock(directory: dir.url)
        #expect(first != nil)
        // flock locks are per open file description: a second open in this process conflicts too.
        #expect(DirectoryLock(directory: dir.url) == nil)
        withExtendedLifetime(first) {}
    }
}

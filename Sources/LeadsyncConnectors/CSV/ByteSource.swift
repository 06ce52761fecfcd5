import Foundation

/// A stream of bytes read in chunks, so memory stays bounded whatever the file size.
public protocol ByteSource {
    /// Appends up to `max` bytes to `buffer`; returns 0 at the end of the stream.
    mutating func read(into buffer: inout [UInt8], max: Int) throws -> Int
}

/// Raw bytes of a file, read with plain `read(2)`.
public struct FileByteSource: ByteSource {
    private let fd: Int32
    public let path: String

    public init(path: String) throws {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileReadError(path: path, errno: errno) }
        self.path = path
    }

    public func close() { _ = Foundation.close(fd) }

    public mutating func read(into buffer: inout [UInt8], max: Int) throws -> Int {
        // Read into scratch memory and append what arrived (a memcpy), rather than zero-filling `max` bytes of
        // the array first: unspecialised in a debug build, that fill went element by element and made each
        // 1 MB chunk cost milliseconds.
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max) { scratch in
            var n: Int
            repeat { n = Foundation.read(fd, scratch.baseAddress!, max) } while n < 0 && errno == EINTR
            guard n >= 0 else { throw FileReadError(path: path, errno: errno) }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[0..<n]))
            return n
        }
    }
}

/// A file that could not be opened or read; carries the path and the system's reason.
public struct FileReadError: Error, CustomStringConvertible {
    public var path: String
    public var errno: Int32
    public var description: String { "\(path): \(String(cString: strerror(errno)))" }
}

/// Bytes held in memory (tests, and feeds later).
public struct MemoryByteSource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public mutating func read(into buffer: inout [UInt8], max: Int) throws -> Int {
        let n = min(max, bytes.count - offset)
        buffer.append(contentsOf: bytes[offset..<offset + n])
        offset += n
        return n
    }
}

/// Re-encodes a UTF-16 stream as UTF-8 chunk by chunk, so the CSV parser only ever sees bytes of one
/// ASCII-compatible encoding. Unpaired surrogates become U+FFFD and are reported by the parser as bad bytes.
public struct UTF16ToUTF8Source<Base: ByteSource>: ByteSource {
    private var base: Base
    private let bigEndian: Bool
    private var pending: [UInt8] = []
    private var carry: [UInt8] = []
    private var highSurrogate: UInt16?

    public init(base: Base, bigEndian: Bool) { self.base = base; self.bigEndian = bigEndian }

    public mutating func read(into buffer: inout [UInt8], max: Int) throws -> Int {
        while pending.count < max {
            var raw = carry
            carry.removeAll()
            let n = try base.read(into: &raw, max: 64 * 1024)
            if n == 0 && raw.count < 2 { break }
            let usable = raw.count & ~1
            if usable < raw.count { carry = [raw[usable]] }
            var i = 0
            while i < usable {
                let unit = bigEndian ? UInt16(raw[i]) << 8 | UInt16(raw[i + 1]) : UInt16(raw[i + 1]) << 8 | UInt16(raw[i])
                i += 2
                emit(unit)
            }
            if n == 0 { break }
        }
        let n = min(max, pending.count)
        buffer.append(contentsOf: pending[0..<n])
        pending.removeFirst(n)
        return n
    }

    private mutating func emit(_ unit: UInt16) {
        if let high = highSurrogate {
            highSurrogate = nil
            if (0xDC00...0xDFFF).contains(unit) {
                let scalar = 0x10000 + ((UInt32(high) - 0xD800) << 10) + (UInt32(unit) - 0xDC00)
                append(scalar)
                return
            }
            append(0xFFFD)
        }
        if (0xD800...0xDBFF).contains(unit) { highSurrogate = unit; return }
        if (0xDC00...0xDFFF).contains(unit) { append(0xFFFD); return }
        append(UInt32(unit))
    }

    private mutating func append(_ scalar: UInt32) {
        pending.append(contentsOf: UTF8.encode(Unicode.Scalar(scalar) ?? "\u{FFFD}")!)
    }
}

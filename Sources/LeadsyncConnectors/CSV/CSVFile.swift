/// Bytes already read (the detection sample) followed by the rest of the stream.
public struct PrefixedSource: ByteSource {
    private var prefix: [UInt8]
    private var base: any ByteSource
    public init(prefix: [UInt8], base: any ByteSource) { self.prefix = prefix; self.base = base }
    public mutating func read(into buffer: inout [UInt8], max: Int) throws -> Int {
        if !prefix.isEmpty {
            let n = min(max, prefix.count)
            buffer.append(contentsOf: prefix[0..<n])
            prefix.removeFirst(n)
            return n
        }
        return try base.read(into: &buffer, max: max)
    }
}

/// Opens a delimited text export: detects its encoding and delimiter unless they are given, and reads
/// its header. The reader it returns yields data rows only.
public struct CSVFile {
    public var header: [String]
    public var encoding: TextEncoding
    public var delimiter: UInt8
    /// Reads the data rows, after the header.
    public var reader: CSVReader<PrefixedSource>

    public enum OpenError: Error, CustomStringConvertible {
        case empty
        case unreadableHeader(String)
        public var description: String {
            switch self {
            case .empty: return "the file is empty: no header line"
            case .unreadableHeader(let why): return "the header line cannot be read: \(why)"
            }
        }
    }

    /// - Parameters:
    ///   - encoding: nil to detect from the BOM or content.
    ///   - delimiter: nil to detect from the header line.
    public static func open(source: any ByteSource, encoding: TextEncoding?, delimiter: UInt8?,
                            chunkSize: Int = 256 * 1024) throws -> CSVFile {
        var base = source
        var sample: [UInt8] = []
        while sample.count < 64 * 1024, try base.read(into: &sample, max: 64 * 1024 - sample.count) > 0 {}
        guard !sample.isEmpty else { throw OpenError.empty }
        let (detected, bomLength) = TextEncoding.detect(prefix: sample)
        let chosen = encoding ?? detected
        let skip = (encoding == nil || encoding == detected) ? bomLength : 0
        var stream: any ByteSource = PrefixedSource(prefix: Array(sample[skip...]), base: base)
        var headerSample = Array(sample[skip...])
        if chosen == .utf16le || chosen == .utf16be {
            stream = UTF16ToUTF8Source(base: PrefixedSource(prefix: [], base: stream), bigEndian: chosen == .utf16be)
            var utf8: [UInt8] = []
            var probe = UTF16ToUTF8Source(base: MemoryByteSource(headerSample), bigEndian: chosen == .utf16be)
            while try probe.read(into: &utf8, max: 64 * 1024) > 0 {}
            headerSample = utf8
        }
        let separator = delimiter ?? detectDelimiter(headerSample)
        let textEncoding: TextEncoding = (chosen == .windows1252) ? .windows1252 : .utf8
        var reader = CSVReader(source: PrefixedSource(prefix: [], base: stream), delimiter: separator, encoding: textEncoding,
                               chunkSize: chunkSize)
        guard let headerRow = try reader.next() else { throw OpenError.empty }
        if let defect = headerRow.defect { throw OpenError.unreadableHeader(defect) }
        let header = headerRow.fields.map { $0.hasPrefix("\u{FEFF}") ? String($0.dropFirst()) : $0 }
        guard header.contains(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else {
            throw OpenError.unreadableHeader("all column names are empty")
        }
        return CSVFile(header: header, encoding: chosen, delimiter: separator, reader: reader)
    }
}

import Foundation

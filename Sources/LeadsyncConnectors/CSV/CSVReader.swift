/// One CSV record: its fields, the physical line it starts on, and a defect if its bytes were unusable.
public struct CSVRow: Sendable {
    public var fields: [String]
    public var line: Int
    /// Set when the row's bytes are invalid in the file's encoding; the fields are then best-effort.
    public var defect: String?
}

/// A streaming, byte-level RFC 4180 reader.
///
/// Hand-written rather than SwiftCSV or CSV.swift because those decode the whole file to a String first
/// (unbounded memory, no line numbers, no Windows-1252). It reads fixed-size chunks and keeps only the
/// current record. Correctness is pinned by the csv-spectrum suite (`CSVSpectrumTests`).
///
/// Leniencies, as Python's csv module: a quote inside an unquoted field is literal, and text after a
/// closing quote is appended to the field. Blank lines are skipped. LF, CRLF and lone CR end records.
public struct CSVReader<Source: ByteSource> {
    public let delimiter: UInt8
    public let encoding: TextEncoding
    private var source: Source
    private var buffer: [UInt8] = []
    private var position = 0
    private var exhausted = false
    private var line = 1
    private let chunkSize: Int
    /// A field or a row past these limits makes the row a defect; memory stays bounded whatever the input
    /// (an unterminated quote would otherwise gather the rest of the file into one field).
    public var limits = CSVLimits()

    /// - Parameters:
    ///   - source: UTF-8 or Windows-1252 bytes (wrap UTF-16 in `UTF16ToUTF8Source` first), past any BOM.
    public init(source: Source, delimiter: UInt8, encoding: TextEncoding, chunkSize: Int = 256 * 1024) {
        self.source = source; self.delimiter = delimiter; self.encoding = encoding; self.chunkSize = chunkSize
    }

    /// Refills the buffer, dropping consumed bytes; returns false at end of input.
    private mutating func fill() throws -> Bool {
        if exhausted { return false }
        if position > 0 {
            buffer.removeFirst(position)
            position = 0
        }
        let n = try source.read(into: &buffer, max: chunkSize)
        if n == 0 { exhausted = true }
        return n > 0
    }

    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted }

    public mutating func next() throws -> CSVRow? {
        var fields: [String] = []
        var field: [UInt8] = []
        var state = State.fieldStart
        var startLine = line
        var sawAnything = false
        var defect: String?

        func finishField(_ bytes: inout [UInt8]) {
            guard fields.count < limits.maxColumns else {
                if defect == nil { defect = "more than \(limits.maxColumns) columns (limits.max_columns)" }
                bytes.removeAll(keepingCapacity: true)
                return
            }
            // SQLite and most tools cut text at a NUL: the value would silently lose its end.
            if defect == nil, bytes.contains(0) {
                defect = "NUL byte in column \(fields.count + 1) (binary data, or a UTF-16 file read as 8-bit text?)"
            }
            if let text = decode(bytes) {
                fields.append(text)
            } else {
                fields.append(String(decoding: bytes, as: UTF8.self))
                if defect == nil { defect = "invalid \(encoding.rawValue) bytes in column \(fields.count)" }
            }
            bytes.removeAll(keepingCapacity: true)
        }

        func tooLong(_ column: Int) {
            if defect == nil { defect = "column \(column) is longer than \(limits.maxFieldBytes) bytes (limits.max_field_bytes)" }
        }

        while true {
            if position >= buffer.count {
                guard try fill() else {
                    // End of input: close the last record, if any.
                    if state == .quoted { defect = defect ?? "unterminated quoted field starting on line \(startLine)" }
                    if !sawAnything { return nil }
                    finishField(&field)
                    return CSVRow(fields: fields, line: startLine, defect: defect)
                }
            }
            let byte = buffer[position]
            position += 1
            switch state {
            case .fieldStart, .unquoted:
                if byte == delimiter {
                    sawAnything = true
                    finishField(&field)
                    state = .fieldStart
                } else if byte == 0x0A || byte == 0x0D {
                    if byte == 0x0D { try skipLF() }
                    line += 1
                    if !sawAnything { startLine = line; continue }  // blank line
                    finishField(&field)
                    return CSVRow(fields: fields, line: startLine, defect: defect)
                } else if byte == 0x22 && state == .fieldStart {
                    sawAnything = true
                    state = .quoted
                } else {
                    sawAnything = true
                    if field.count < limits.maxFieldBytes { field.append(byte) } else { tooLong(fields.count + 1) }
                    state = .unquoted
                }
            case .quoted:
                if byte == 0x22 {
                    state = .quoteInQuoted
                } else {
                    if byte == 0x0A { line += 1 } else if byte == 0x0D { if try peek() != 0x0A { line += 1 } }
                    if field.count < limits.maxFieldBytes { field.append(byte) } else { tooLong(fields.count + 1) }
                }
            case .quoteInQuoted:
                if byte == 0x22 {
                    if field.count < limits.maxFieldBytes { field.append(0x22) } else { tooLong(fields.count + 1) }
                    state = .quoted
                } else if byte == delimiter {
                    finishField(&field)
                    state = .fieldStart
                } else if byte == 0x0A || byte == 0x0D {
                    if byte == 0x0D { try skipLF() }
                    line += 1
                    finishField(&field)
                    return CSVRow(fields: fields, line: startLine, defect: defect)
                } else {
                    if field.count < limits.maxFieldBytes { field.append(byte) } else { tooLong(fields.count + 1) }
                    state = .unquoted
                }
            }
        }
    }

    private mutating func peek() throws -> UInt8? {
        if position >= buffer.count { guard try fill() else { return nil } }
        return buffer[position]
    }

    private mutating func skipLF() throws {
        if try peek() == 0x0A { position += 1 }
    }

    private func decode(_ bytes: [UInt8]) -> String? {
        switch encoding {
        case .windows1252:
            if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
            return bytes.withUnsafeBufferPointer(Windows1252.decode)
        default:
            return String(validating: bytes, as: UTF8.self)
        }
    }
}

/// Picks the delimiter that occurs most often outside quotes on the header line: `,`, `;` or tab.
public func detectDelimiter(_ prefix: [UInt8]) -> UInt8 {
    var counts: [UInt8: Int] = [0x2C: 0, 0x3B: 0, 0x09: 0]
    var quoted = false
    for byte in prefix {
        if byte == 0x22 { quoted.toggle(); continue }
        if quoted { continue }
        if byte == 0x0A || byte == 0x0D { break }
        if counts[byte] != nil { counts[byte]! += 1 }
    }
    let best = counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }!
    return best.value == 0 ? 0x2C : best.key
}

/// Bounds on one CSV row (`limits:` in leadsync.yaml).
public struct CSVLimits: Sendable, Equatable {
    public var maxFieldBytes: Int
    public var maxColumns: Int
    public init(maxFieldBytes: Int = 65_536, maxColumns: Int = 1_000) { self.maxFieldBytes = maxFieldBytes; self.maxColumns = maxColumns }
}

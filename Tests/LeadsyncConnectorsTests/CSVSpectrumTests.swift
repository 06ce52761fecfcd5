import Foundation
import Testing
import LeadsyncConnectors
import LeadsyncTesting

/// The csv-spectrum suite (../shared/corpus/csv-spectrum, BSD-2-Clause, Max Ogden): each CSV must parse to its JSON.
@Suite struct CSVSpectrumTests {
    static let corpus = Workspace.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus/csv-spectrum")
    static let names = ["comma_in_quotes", "empty", "empty_crlf", "escaped_quotes", "json", "location_coordinates",
                        "newlines", "newlines_crlf", "quotes_and_newlines", "simple", "simple_crlf", "utf8"]

    /// Parses with the given chunk size (0 = default): records must not depend on where chunks split.
    func parse(_ data: [UInt8], chunkSize: Int) throws -> [[String: String]] {
        var file = try CSVFile.open(source: MemoryByteSource(data), encoding: nil, delimiter: nil,
                                    chunkSize: chunkSize == 0 ? 256 * 1024 : chunkSize)
        var rows: [[String: String]] = []
        while let row = try file.reader.next() {
            #expect(row.defect == nil)
            rows.append(Dictionary(uniqueKeysWithValues: zip(file.header, row.fields)))
        }
        return rows
    }

    /// Expected rows; the corpus's JSON for location_coordinates is a single object, not an array.
    func expected(_ name: String) throws -> [[String: String]] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.corpus.appendingPathComponent("json/\(name).json")))
        if let object = json as? [String: String] { return [object] }
        return try #require(json as? [[String: String]])
    }

    func csv(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: Self.corpus.appendingPathComponent("csvs/\(name).csv")))
    }

    @Test(arguments: names.filter { $0 != "location_coordinates" && $0 != "newlines_crlf" }, [0, 1, 3])
    func parsesLikeTheReference(_ name: String, chunkSize: Int) throws {
        #expect(try parse(try csv(name), chunkSize: chunkSize) == expected(name), "\(name) with chunk size \(chunkSize)")
    }

    /// The corpus copy of the *_crlf files has lost its CRs (plain LF on disk), while newlines_crlf.json expects
    /// the quoted field to keep "\r\n". We restore the CRLF bytes the suite was written with and compare exactly.
    @Test(arguments: ["newlines_crlf", "simple_crlf", "empty_crlf"], [0, 1, 3])
    func crlfFilesWithTheirCRsRestored(_ name: String, chunkSize: Int) throws {
        var crlf: [UInt8] = []
        for byte in try csv(name) { if byte == 0x0A && crlf.last != 0x0D { crlf.append(0x0D) }; crlf.append(byte) }
        #expect(try parse(crlf, chunkSize: chunkSize) == expected(name))
    }

    @Test func newlinesCrlfAsStoredKeepsItsLF() throws {
        var expected = try expected("newlines_crlf")
        expected[1]["a"] = "Once upon \na time"  // the stored file has LF inside the quotes, so must the field
        #expect(try parse(try csv("newlines_crlf"), chunkSize: 0) == expected)
    }

    /// Upstream csv-spectrum's JSON for this file gives "Contact Phone Number": "1234567890" while the CSV says
    /// 2095257564; every other cell (including the U+FFFD characters) must match exactly.
    @Test func locationCoordinates() throws {
        let rows = try parse(try csv("location_coordinates"), chunkSize: 0)
        var expected = try expected("location_coordinates")
        #expect(expected[0]["Contact Phone Number"] == "1234567890")
        expected[0]["Contact Phone Number"] = "2095257564"
        #expect(rows == expected)
    }

}

@Suite struct CSVReaderTests {
    func rows(_ bytes: [UInt8], encoding: TextEncoding? = nil) throws -> (CSVFile, [CSVRow]) {
        var file = try CSVFile.open(source: MemoryByteSource(bytes), encoding: encoding, delimiter: nil)
        var rows: [CSVRow] = []
        while let row = try file.reader.next() { rows.append(row) }
        return (file, rows)
    }

    @Test func lineNumbersCountPhysicalLines() throws {
        let (_, rows) = try rows(Array("a,b\n1,\"two\nlines\"\n\n3,4\r\n5,6".utf8))
        #expect(rows.map(\.line) == [2, 5, 6])
        #expect(rows[0].fields == ["1", "two\nlines"])
    }

    @Test func utf8BOMIsStripped() throws {
        let (file, rows) = try rows([0xEF, 0xBB, 0xBF] + Array("Email,Nom\nélodie@a.fr,Lefèvre\n".utf8))
        #expect(file.encoding == .utf8)
        #expect(file.header == ["Email", "Nom"])
        #expect(rows[0].fields == ["élodie@a.fr", "Lefèvre"])
    }

    @Test func utf16WithBOMBothEndians() throws {
        let text = "id\tfull_name\temail\nl:1\tJérôme Cœur\tj@c.fr\n"
        let le: [UInt8] = [0xFF, 0xFE] + text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let be: [UInt8] = [0xFE, 0xFF] + text.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        for (bytes, encoding) in [(le, TextEncoding.utf16le), (be, .utf16be)] {
            let (file, rows) = try rows(bytes)
            #expect(file.encoding == encoding)
            #expect(file.delimiter == 0x09)
            #expect(rows[0].fields == ["l:1", "Jérôme Cœur", "j@c.fr"])
        }
    }

    @Test func windows1252IsDetectedAndDecoded() throws {
        // "Société;Prix\nCœur & Fils;10 €" as Excel saves it in France.
        let bytes: [UInt8] = Array("Soci".utf8) + [0xE9] + Array("t".utf8) + [0xE9] + Array(";Prix\r\nC".utf8) + [0x9C] +
            Array("ur & Fils;10 ".utf8) + [0x80] + Array("\r\n".utf8)
        let (file, rows) = try rows(bytes)
        #expect(file.encoding == .windows1252)
        #expect(file.delimiter == 0x3B)
        #expect(file.header == ["Société", "Prix"])
        #expect(rows[0].fields == ["Cœur & Fils", "10 €"])
    }

    @Test func invalidBytesInDeclaredUTF8MarkTheRowOnly() throws {
        let bytes = Array("email,name\na@b.fr,ok\nc@d.fr,bad".utf8) + [0xFF, 0xFE] + Array("\ne@f.fr,fine\n".utf8)
        let (_, rows) = try rows(bytes, encoding: .utf8)
        #expect(rows.map { $0.defect == nil } == [true, false, true])
        #expect(rows[1].defect?.contains("invalid utf-8 bytes in column 2") == true)
    }

    @Test func delimiterDetection() {
        #expect(detectDelimiter(Array("a;b;c\n1,2;3".utf8)) == 0x3B)
        #expect(detectDelimiter(Array("\"a,b\";c;d".utf8)) == 0x3B)
        #expect(detectDelimiter(Array("a\tb\tc".utf8)) == 0x09)
        #expect(detectDelimiter(Array("single".utf8)) == 0x2C)
    }

    @Test func emptyFileIsAnOpenError() {
        #expect(throws: CSVFile.OpenError.self) { try CSVFile.open(source: MemoryByteSource([]), encoding: nil, delimiter: nil) }
    }

    @Test func unterminatedQuoteIsADefect() throws {
        let (_, rows) = try rows(Array("a,b\n1,\"never closed\n".utf8))
        #expect(rows.last?.defect?.contains("unterminated") == true)
    }

    /// Memory stays bounded: the reader holds one chunk and one record, whatever the file size.
    @Test func streamsALargeInputInSmallChunks() throws {
        struct Endless: ByteSource {
            var remaining: Int
            mutating func read(into buffer: inout [UInt8], max: Int) throws -> Int {
                let row = Array("jane@acme.fr,Jane,Doe\n".utf8)
                var n = 0
                while n + row.count <= max, remaining > 0 { buffer += row; n += row.count; remaining -= 1 }
                return n
            }
        }
        var reader = CSVReader(source: Endless(remaining: 200_000), delimiter: 0x2C, encoding: .utf8, chunkSize: 4096)
        var count = 0
        while let row = try reader.next() { count += 1; if row.fields.count != 3 { Issue.record("bad row \(row.line)") } }
        #expect(count == 200_000)
    }
}

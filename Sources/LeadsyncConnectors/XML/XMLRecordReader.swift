import CLibXML2
import Foundation
import LeadsyncCore

/// One record element of an XML document, flattened to keys a mapping can name.
///
/// Keys are element paths relative to the record (`first_name`, `customer/contact/email`), with a variant per
/// attribute (`customer/contact/name[part=first]`, `phone[type=voice]`), attributes themselves
/// (`phone/@type`, `@status` on the record element), and local names only (namespace prefixes dropped, so
/// xCard's `vc:email/vc:text` is `email/text`). A repeated element keeps its first value under its key, and
/// all its values under `key[*]` (separated by U+001E) for mappings that `join` them.
public struct XMLRecord: Sendable {
    /// The record's keys in the order the document first gave them: records of one feed share a few such
    /// orders, which `KeyedMapper` recognises without hashing every key.
    public private(set) var keys: [String] = []
    /// The value of each key, at the key's position.
    public private(set) var values: [String] = []
    /// Line where the record element starts.
    public var line: Int
    /// Positions by key, made only for a record with many keys. A record has a dozen or two, and finding one
    /// among them by comparing short strings costs less than hashing every key; a document with thousands of
    /// elements in one record must not make each lookup a scan.
    private var positions: [String: Int]?
    private static let scanLimit = 32

    public init(line: Int) {
        self.line = line
        keys.reserveCapacity(Self.scanLimit); values.reserveCapacity(Self.scanLimit)
    }

    /// The keys and values as a dictionary (tests, and callers that look up a few keys by name).
    public var fields: [String: String] { Dictionary(zip(keys, values), uniquingKeysWith: { first, _ in first }) }

    public subscript(key: String) -> String? { position(of: key).map { values[$0] } }

    func position(of key: String) -> Int? {
        if let positions { return positions[key] }
        return keys.firstIndex(of: key)
    }

    /// Sets a key's value, remembering its first appearance.
    mutating func set(_ key: String, _ value: String) {
        if let position = position(of: key) { values[position] = value } else { append(key, value) }
    }

    /// Adds a key the record does not hold yet.
    mutating func append(_ key: String, _ value: String) {
        keys.append(key); values.append(value)
        if positions != nil {
            positions![key] = keys.count - 1
        } else if keys.count > Self.scanLimit {
            positions = Dictionary(uniqueKeysWithValues: zip(keys, keys.indices))
        }
    }
}

/// Why a document was refused: a hostile DOCTYPE, a malformed document, too deep a tree. Carries line and
/// column when libxml2 gives them.
public struct XMLDocumentError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var line: Int?
    public var column: Int?
    public var description: String {
        var text = message
        if let line { text += " (line \(line)" + (column.map { ", column \($0)" } ?? "") + ")" }
        return text
    }
}

/// A streaming XML record reader over libxml2's xmlTextReader: memory holds one record, whatever the size
/// of the document. Foundation's XMLParser is not used: on Linux it always substitutes entities and recovers
/// from malformed input, both unsafe for documents from outside.
///
/// Safety: no network, no DTD loading, no entity substitution, no huge mode (see `lsync_xml_safe_options`);
/// a DOCTYPE that declares entities, and any entity reference, refuse the document.
public final class XMLRecordReader {
    private let reader: xmlTextReaderPtr
    private let input: InputBox
    private let errors = ErrorBox()
    private let recordPath: [String]
    private let maxDepth: Int
    private var path: [String] = []
    /// Set when the document is an error envelope (Pardot's `<rsp stat="fail">`): its message.
    private let errorPath: [String]?
    /// An element outside the records whose text is kept (a next-page link), and that text once read.
    private let capturePath: [String]?
    public private(set) var captured: String?

    public init(source: any ByteSource, name: String, recordPath: String, errorPath: String? = nil, capturePath: String? = nil,
                maxDepth: Int = 256) throws {
        self.recordPath = recordPath.split(separator: "/").map(String.init)
        self.errorPath = errorPath.map { $0.split(separator: "/").map(String.init) }
        self.capturePath = capturePath.map { $0.split(separator: "/").map(String.init) }
        self.maxDepth = maxDepth
        input = InputBox(source: source)
        let context = Unmanaged.passUnretained(input).toOpaque()
        guard let reader = xmlReaderForIO({ context, buffer, length in
            guard let context, let buffer else { return -1 }
            return Unmanaged<InputBox>.fromOpaque(context).takeUnretainedValue().read(into: buffer, length: Int(length))
        }, nil, context, name, nil, lsync_xml_safe_options()) else {
            throw XMLDocumentError(message: "libxml2 could not create a reader")
        }
        self.reader = reader
        xmlTextReaderSetStructuredErrorHandler(reader, { context, error in
            guard let context, let error else { return }
            let box = Unmanaged<ErrorBox>.fromOpaque(context).takeUnretainedValue()
            guard box.first == nil, error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
            let message = error.pointee.message.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "malformed XML"
            box.first = XMLDocumentError(message: "malformed XML: \(message)", line: Int(error.pointee.line),
                                         column: error.pointee.int2 > 0 ? Int(error.pointee.int2) : nil)
        }, Unmanaged.passUnretained(errors).toOpaque())
    }

    deinit { xmlFreeTextReader(reader) }

    /// The next record, or nil at the end of the document. Throws for a refused or malformed document.
    public func next() throws -> XMLRecord? {
        // The open elements, taken out of the object for the loop and put back after: a stored property of a
        // class is checked for exclusive access at each use, a local is not (that was 8% of the parse).
        var path = self.path, keys = self.keys
        self.path = []; self.keys = []
        defer { self.path = path; self.keys = keys }
        var record: XMLRecord?
        var recordDepth = 0
        var text = ""
        var errorText: String?
        while true {
            let status = xmlTextReaderRead(reader)
            if status == 0 { break }
            if status < 0 || errors.first != nil { throw errors.first ?? XMLDocumentError(message: "malformed XML", line: Int(xmlTextReaderGetParserLineNumber(reader))) }
            let type = xmlTextReaderNodeType(reader)
            switch type {
            case Int32(XML_READER_TYPE_DOCUMENT_TYPE.rawValue):
                if lsync_xml_dtd_declares_entities(xmlTextReaderCurrentNode(reader)) != 0 {
                    throw XMLDocumentError(message: "the DOCTYPE declares entities, which leadsync refuses (entity expansion and external entities are attack vectors); remove the DOCTYPE", line: Int(xmlTextReaderGetParserLineNumber(reader)))
                }
            case Int32(XML_READER_TYPE_ENTITY_REFERENCE.rawValue):
                throw XMLDocumentError(message: "entity reference &\(localName());: entities are refused", line: Int(xmlTextReaderGetParserLineNumber(reader)))
            case Int32(XML_READER_TYPE_ELEMENT.rawValue):
                let name = elementName()
                path.append(name)
                guard path.count <= maxDepth else {
                    throw XMLDocumentError(message: "elements nested deeper than \(maxDepth) levels", line: Int(xmlGetLineNo(xmlTextReaderCurrentNode(reader))))
                }
                let empty = xmlTextReaderIsEmptyElement(reader) == 1
                if record == nil, path == recordPath {
                    record = XMLRecord(line: Int(xmlGetLineNo(xmlTextReaderCurrentNode(reader))))
                    recordDepth = path.count
                    keys.removeAll(keepingCapacity: true)
                }
                if record != nil {
                    // The element's key relative to the record, made once here rather than joined from the
                    // path at its end: "" for the record element, "customer/contact/email" below it.
                    let key = path.count == recordDepth ? "" : keys.last!.isEmpty ? name : keys.last! + "/" + name
                    keys.append(key)
                    addAttributes(to: &record!, key: key)
                }
                text = ""
                if empty {
                    if record != nil, path.count == recordDepth {
                        path.removeLast()
                        return record
                    }
                    if record != nil { keys.removeLast() }
                    path.removeLast()
                }
            case Int32(XML_READER_TYPE_SIGNIFICANT_WHITESPACE.rawValue):
                // Indentation before an element's first text: every value is trimmed, so it would go anyway.
                if !text.isEmpty, let value = xmlTextReaderConstValue(reader) { text += String(cString: value) }
            case Int32(XML_READER_TYPE_TEXT.rawValue), Int32(XML_READER_TYPE_CDATA.rawValue):
                if let value = xmlTextReaderConstValue(reader) { text += String(cString: value) }
            case Int32(XML_READER_TYPE_END_ELEMENT.rawValue):
                defer { path.removeLast(); text = "" }
                if let errorPath, path == errorPath { errorText = text.trimmingCharacters(in: .whitespacesAndNewlines) }
                if let capturePath, path == capturePath, captured == nil { captured = text.trimmingCharacters(in: .whitespacesAndNewlines) }
                guard record != nil else { continue }
                if path.count == recordDepth { return record }
                let key = keys.removeLast()
                let value = TextFolding.trim(text)
                if !value.isEmpty {
                    if let position = record!.position(of: key) {
                        // Repeated element: the first value stays under the key; all of them, separated by
                        // U+001E, under `key[*]` for mappings that join them.
                        record!.set(key + "[*]", (record![key + "[*]"] ?? record!.values[position]) + "\u{1E}" + value)
                    } else {
                        record!.append(key, value)
                    }
                    if let qualified = pendingQualifiers[key] {
                        for qualified in qualified where record![qualified] == nil { record!.set(qualified, value) }
                    }
                }
                if !pendingQualifiers.isEmpty { pendingQualifiers[key] = nil }
            default:
                continue
            }
        }
        if let errorText { throw XMLDocumentError(message: "the source answered with an error: \(errorText.isEmpty ? "(no message)" : errorText)") }
        return nil
    }

    /// Keys (relative to the record) of the elements open inside the record being read, innermost last.
    private var keys: [String] = []

    /// Attribute-qualified keys of the element being read, filled when its text ends.
    private var pendingQualifiers: [String: [String]] = [:]

    private func addAttributes(to record: inout XMLRecord, key: String) {
        guard xmlTextReaderHasAttributes(reader) == 1 else { return }
        var qualifiers: [String] = []
        while xmlTextReaderMoveToNextAttribute(reader) == 1 {
            let name = localName()
            if name == "xmlns" || xmlTextReaderConstPrefix(reader).map({ String(cString: $0) }) == "xmlns" { continue }
            let value = xmlTextReaderConstValue(reader).map { String(cString: $0) } ?? ""
            let attributeKey = key.isEmpty ? "@\(name)" : "\(key)/@\(name)"
            if record[attributeKey] == nil { record.set(attributeKey, value) }
            if !key.isEmpty { qualifiers.append("\(key)[\(name)=\(value)]") }
        }
        xmlTextReaderMoveToElement(reader)
        if !qualifiers.isEmpty { pendingQualifiers[key] = qualifiers }
    }

    /// Element names, made into Swift strings once per document: the reader's parser interns element
    /// names in its dictionary (`dictNames`; `lsync_xml_safe_options` does not set XML_PARSE_NODICT), so one
    /// name is always the same pointer for the life of the reader. Attribute and namespace names are not
    /// cached: a namespace prefix may be a string of its own, freed and its address reused.
    private var elementNames: [UnsafePointer<xmlChar>: String] = [:]

    private func elementName() -> String {
        guard let pointer = xmlTextReaderConstLocalName(reader) else { return "" }
        if let known = elementNames[pointer] { return known }
        let name = String(cString: pointer)
        if elementNames.count < 10_000 { elementNames[pointer] = name }
        return name
    }

    private func localName() -> String {
        xmlTextReaderConstLocalName(reader).map { String(cString: $0) } ?? ""
    }

    /// Reads the whole document without keeping records: a malformed or hostile document is refused before
    /// anything from it is committed. Returns the number of records.
    public static func validate(source: any ByteSource, name: String, recordPath: String, errorPath: String?,
                                capturePath: String? = nil, maxDepth: Int = 256) throws -> (records: Int, captured: String?) {
        let reader = try XMLRecordReader(source: source, name: name, recordPath: recordPath, errorPath: errorPath, capturePath: capturePath,
                                         maxDepth: maxDepth)
        var count = 0
        while try reader.next() != nil { count += 1 }
        return (count, reader.captured)
    }
}

/// Bridges libxml2's pull callback to a `ByteSource`.
private final class InputBox {
    var source: any ByteSource
    var pending: [UInt8] = []
    init(source: any ByteSource) { self.source = source }

    func read(into buffer: UnsafeMutablePointer<CChar>, length: Int) -> Int32 {
        do {
            if pending.isEmpty { _ = try source.read(into: &pending, max: 64 * 1024) }
            let n = min(length, pending.count)
            pending.withUnsafeBytes { raw in
                UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress!, byteCount: n)
            }
            pending.removeFirst(n)
            return Int32(n)
        } catch {
            return -1
        }
    }
}

private final class ErrorBox { var first: XMLDocumentError? }

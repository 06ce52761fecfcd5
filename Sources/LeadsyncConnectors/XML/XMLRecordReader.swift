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

/// A streaming XML record reader over libxml2's SAX2 push parser: the document is fed in 64 KiB chunks,
/// and memory holds the records of one chunk, whatever the size of the document. libxml2's xmlTextReader,
/// used before, builds and frees a tree node for every element and is asked for each node's type, name and
/// value one call at a time: on a 100k-prospect Pardot export, libxml2 alone took 0.5–0.9 s through the
/// reader (as `xmllint --stream` does) and 0.2–0.35 s through SAX2 callbacks. Foundation's XMLParser is not
/// used: on Linux it always substitutes entities and recovers from malformed input, both unsafe for
/// documents from outside.
///
/// Safety: no network, no DTD loading, no entity substitution, no huge mode (see `lsync_xml_safe_options`);
/// a DOCTYPE that declares entities, and any entity reference, refuse the document.
public final class XMLRecordReader {
    private let context: xmlParserCtxtPtr
    /// The callbacks' state, behind a pointer: a class's stored properties are checked for exclusive access
    /// at each use and the class retained at each callback, which made those checks and reference counts
    /// a third of the parse.
    private let state: UnsafeMutablePointer<SAXState>
    private var source: any ByteSource
    private var chunk: [UInt8] = []
    private var ended = false
    /// An element outside the records whose text is kept (a next-page link), once read.
    public var captured: String? { state.pointee.captured }

    public init(source: any ByteSource, name: String, recordPath: String, errorPath: String? = nil, capturePath: String? = nil,
                maxDepth: Int = 256) throws {
        self.source = source
        state = UnsafeMutablePointer<SAXState>.allocate(capacity: 1)
        state.initialize(to: SAXState(recordPath: recordPath.split(separator: "/").map(String.init),
                                      errorPath: errorPath.map { $0.split(separator: "/").map(String.init) },
                                      capturePath: capturePath.map { $0.split(separator: "/").map(String.init) }, maxDepth: maxDepth))
        var handler = xmlSAXHandler()
        handler.initialized = XML_SAX2_MAGIC
        handler.startElementNs = { user, localName, _, _, _, _, attributeCount, _, attributes in
            SAXState.at(user).pointee.startElement(localName, attributeCount: Int(attributeCount), attributes: attributes)
        }
        handler.endElementNs = { user, _, _, _ in SAXState.at(user).pointee.endElement() }
        handler.characters = { user, bytes, length in SAXState.at(user).pointee.characters(bytes, Int(length)) }
        handler.cdataBlock = handler.characters
        handler.ignorableWhitespace = handler.characters
        // Entities: a declaration refuses the document before any reference to it can be expanded; a reference
        // to an undeclared one is an error of its own.
        handler.entityDecl = { user, name, _, _, _, _ in
            SAXState.at(user).pointee.refuse("the DOCTYPE declares entities, which leadsync refuses (entity expansion and external entities are attack vectors); remove the DOCTYPE")
        }
        handler.reference = { user, name in
            SAXState.at(user).pointee.refuse("entity reference &\(name.map { String(cString: $0) } ?? "");: entities are refused")
        }
        handler.serror = { user, error in
            guard let error else { return }
            SAXState.at(user).pointee.parserError(error)
        }
        guard let context = xmlCreatePushParserCtxt(&handler, UnsafeMutableRawPointer(state), nil, 0, name) else {
            state.deinitialize(count: 1)
            state.deallocate()
            throw XMLDocumentError(message: "libxml2 could not create a parser")
        }
        xmlCtxtUseOptions(context, lsync_xml_safe_options())
        self.context = context
        state.pointee.context = context
    }

    deinit {
        xmlFreeParserCtxt(context)
        state.deinitialize(count: 1)
        state.deallocate()
    }

    /// The next record, or nil at the end of the document. Throws for a refused or malformed document.
    public func next() throws -> XMLRecord? {
        while true {
            if let failure = state.pointee.failure { throw failure }
            if let record = state.pointee.nextReady() { return record }
            if ended {
                if let errorText = state.pointee.errorText {
                    throw XMLDocumentError(message: "the source answered with an error: \(errorText.isEmpty ? "(no message)" : errorText)")
                }
                return nil
            }
            chunk.removeAll(keepingCapacity: true)
            let read = try source.read(into: &chunk, max: 64 * 1024)
            let status = chunk.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { xmlParseChunk(context, $0.baseAddress, Int32(read), read == 0 ? 1 : 0) }
            }
            if read == 0 { ended = true }
            if status != 0, state.pointee.failure == nil {
                state.pointee.failure = XMLDocumentError(message: "malformed XML", line: Int(xmlSAX2GetLineNumber(context)))
            }
        }
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

/// What the SAX2 callbacks build: the open elements, the record being read, the records of the current
/// chunk, and the first failure. A callback cannot throw; a failure stops the parser and `next` throws it.
/// Kept behind a pointer the reader owns (see `XMLRecordReader.state`).
private struct SAXState {
    var context: xmlParserCtxtPtr?
    let recordPath: [String]
    let errorPath: [String]?
    let capturePath: [String]?
    let maxDepth: Int
    /// Names of the open elements.
    var path: [String] = []
    /// The element keys of the document, numbered (see `ElementKeys`).
    var elementKeys = ElementKeys()
    /// Numbers of the element keys open inside the record being read, innermost last.
    var openKeys: [Int] = []
    var record: XMLRecord?
    /// Counts records, so that a key's stamp tells whether the record being read holds it.
    var recordNumber = 0
    var recordDepth = 0
    /// Text of the element being read, as libxml2 gives it (UTF-8, in pieces).
    var text: [UInt8] = []
    /// Attribute-qualified keys of the elements being read, filled when their text ends.
    var pendingQualifiers: [String: [String]] = [:]
    /// Records completed in the current chunk, handed out by `nextReady` from `readyStart`.
    var ready: [XMLRecord] = []
    var readyStart = 0
    var failure: XMLDocumentError?
    /// Set when the document is an error envelope (Pardot's `<rsp stat="fail">`): its message.
    var errorText: String?
    var captured: String?
    /// Element names, made into Swift strings once per document: the parser interns element names in its
    /// dictionary (`lsync_xml_safe_options` does not set XML_PARSE_NODICT), so one name is always the same
    /// pointer for the life of the parser. Attribute names are not cached.
    var elementNames: [UnsafePointer<xmlChar>: String] = [:]

    init(recordPath: [String], errorPath: [String]?, capturePath: [String]?, maxDepth: Int) {
        self.recordPath = recordPath
        self.errorPath = errorPath
        self.capturePath = capturePath
        self.maxDepth = maxDepth
    }

    static func at(_ user: UnsafeMutableRawPointer?) -> UnsafeMutablePointer<SAXState> {
        user!.assumingMemoryBound(to: SAXState.self)
    }

    mutating func nextReady() -> XMLRecord? {
        guard readyStart < ready.count else {
            if !ready.isEmpty { ready.removeAll(keepingCapacity: true); readyStart = 0 }
            return nil
        }
        defer { readyStart += 1 }
        return ready[readyStart]
    }

    var line: Int { context.map { Int(xmlSAX2GetLineNumber($0)) } ?? 0 }

    mutating func refuse(_ message: String, line: Int? = nil) {
        if failure == nil { failure = XMLDocumentError(message: message, line: line ?? self.line) }
        if let context { xmlStopParser(context) }
    }

    mutating func parserError(_ error: xmlErrorPtr) {
        guard failure == nil, error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
        let message = error.pointee.message.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "malformed XML"
        failure = XMLDocumentError(message: "malformed XML: \(message)", line: Int(error.pointee.line),
                                   column: error.pointee.int2 > 0 ? Int(error.pointee.int2) : nil)
    }

    mutating func elementName(_ pointer: UnsafePointer<xmlChar>?) -> String {
        guard let pointer else { return "" }
        if let known = elementNames[pointer] { return known }
        let name = String(cString: pointer)
        if elementNames.count < 10_000 { elementNames[pointer] = name }
        return name
    }

    mutating func startElement(_ localName: UnsafePointer<xmlChar>?, attributeCount: Int, attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?) {
        guard failure == nil, let localName else { return }
        text.removeAll(keepingCapacity: true)
        if record != nil {
            // Inside a record the element's key is found by number under its parent's (no hashing, no
            // string made): "customer/contact/email" is made once per document, not once per element.
            let id = elementKeys.child(of: openKeys.last!, named: localName)
            openKeys.append(id)
            path.append(elementKeys.names[id])
            guard path.count <= maxDepth else { return refuse("elements nested deeper than \(maxDepth) levels") }
            if attributeCount > 0, let attributes { addAttributes(attributes, count: attributeCount, key: elementKeys.keys[id]) }
            return
        }
        path.append(elementName(localName))
        guard path.count <= maxDepth else { return refuse("elements nested deeper than \(maxDepth) levels") }
        if path.count == recordPath.count, path == recordPath {
            record = XMLRecord(line: line)
            recordNumber += 1
            recordDepth = path.count
            if elementKeys.keys.count > ElementKeys.limit { elementKeys = ElementKeys() }
            openKeys.removeAll(keepingCapacity: true)
            openKeys.append(ElementKeys.record)
            if attributeCount > 0, let attributes { addAttributes(attributes, count: attributeCount, key: "") }
        }
    }

    /// SAX2 gives each attribute as five pointers: local name, prefix, URI, value start and value end.
    /// Namespace declarations come apart from the attributes, so none is an `xmlns` attribute here.
    private mutating func addAttributes(_ attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>, count: Int, key: String) {
        var qualifiers: [String] = []
        for index in 0..<count {
            let base = attributes + index * 5
            guard let namePointer = base[0] else { continue }
            let name = String(cString: namePointer)
            var value = ""
            if let start = base[3], let end = base[4] {
                value = String(decoding: UnsafeBufferPointer(start: start, count: end - start), as: UTF8.self)
            }
            let attributeKey = key.isEmpty ? "@\(name)" : "\(key)/@\(name)"
            if record![attributeKey] == nil { record!.set(attributeKey, value) }
            if !key.isEmpty { qualifiers.append("\(key)[\(name)=\(value)]") }
        }
        if !qualifiers.isEmpty { pendingQualifiers[key] = qualifiers }
    }

    mutating func characters(_ bytes: UnsafePointer<xmlChar>?, _ length: Int) {
        guard let bytes, length > 0 else { return }
        text.append(contentsOf: UnsafeBufferPointer(start: bytes, count: length))
    }

    mutating func endElement() {
        guard failure == nil else { return }
        defer { path.removeLast(); text.removeAll(keepingCapacity: true) }
        if let errorPath, path == errorPath { errorText = Self.trimmed(text) }
        if let capturePath, path == capturePath, captured == nil { captured = Self.trimmed(text) }
        guard record != nil else { return }
        if path.count == recordDepth {
            ready.append(record!)
            record = nil
            return
        }
        let id = openKeys.removeLast()
        guard !text.isEmpty else { return clearQualifiers(id) }
        let value = Self.trimmed(text)
        guard !value.isEmpty else { return clearQualifiers(id) }
        let key = elementKeys.keys[id]
        if elementKeys.stamps[id] == recordNumber {
            // Repeated element: the first value stays under the key; all of them, separated by U+001E,
            // under `key[*]` for mappings that join them.
            let first = record!.values[elementKeys.positions[id]]
            record!.set(key + "[*]", (record![key + "[*]"] ?? first) + "\u{1E}" + value)
        } else {
            elementKeys.stamps[id] = recordNumber
            elementKeys.positions[id] = record!.keys.count
            record!.append(key, value)
        }
        if let qualified = pendingQualifiers[key] {
            for qualified in qualified where record![qualified] == nil { record!.set(qualified, value) }
        }
        clearQualifiers(id)
    }

    private mutating func clearQualifiers(_ id: Int) {
        if !pendingQualifiers.isEmpty { pendingQualifiers[elementKeys.keys[id]] = nil }
    }

    /// An element's text as a value: blanks trimmed from both ends. ASCII blanks are cut from the bytes
    /// before a string is made; `TextFolding.trim` then sees only text that starts or ends outside ASCII
    /// (a no-break space, say), and returns the rest as it is.
    static func trimmed(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { buffer in
            var start = 0, end = buffer.count
            func blank(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
            while start < end, blank(buffer[start]) { start += 1 }
            while end > start, blank(buffer[end - 1]) { end -= 1 }
            let text = String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self)
            return start < end && (buffer[start] >= 0x80 || buffer[end - 1] >= 0x80) ? TextFolding.trim(text) : text
        }
    }
}

/// The element keys of a document, numbered: 0 is the record element (key ""), and each other number a
/// key below it ("customer/contact/email"). A child is found by its interned name pointer among its
/// parent's children, starting after the one found last: a feed's records give their elements in the same
/// order, so the first comparison usually hits. Past `indexed` children of one parent (a hostile or odd
/// document), a dictionary finds them instead of a scan.
struct ElementKeys {
    static let record = 0
    /// Numbers made before the table starts over (between records), so a hostile document's endless new
    /// element names cannot grow it without bound.
    static let limit = 100_000
    static let indexed = 64
    struct Child { var name: UnsafePointer<xmlChar>; var id: Int }
    struct ChildKey: Hashable { var parent: Int; var name: UnsafePointer<xmlChar> }
    /// Per number: the key relative to the record, the element's local name, its children, the child
    /// found last, the record that last gave it a value (see `SAXState.recordNumber`) and its position there.
    var keys: [String] = [""]
    var names: [String] = [""]
    var children: [[Child]] = [[]]
    var lastChild: [Int] = [0]
    var stamps: [Int] = [0]
    var positions: [Int] = [0]
    var index: [ChildKey: Int] = [:]

    mutating func child(of parent: Int, named pointer: UnsafePointer<xmlChar>) -> Int {
        let count = children[parent].count
        if count > Self.indexed { if let id = index[ChildKey(parent: parent, name: pointer)] { return id } } else if count > 0 {
            var i = lastChild[parent]
            for _ in 0..<count {
                i = i + 1 == count ? 0 : i + 1
                let child = children[parent][i]
                if child.name == pointer { lastChild[parent] = i; return child.id }
            }
        }
        let name = String(cString: pointer)
        let id = keys.count
        keys.append(parent == Self.record ? name : keys[parent] + "/" + name)
        names.append(name)
        children.append([]); lastChild.append(0); stamps.append(0); positions.append(0)
        children[parent].append(Child(name: pointer, id: id))
        lastChild[parent] = children[parent].count - 1
        if children[parent].count > Self.indexed {
            if children[parent].count == Self.indexed + 1 {
                for child in children[parent] { index[ChildKey(parent: parent, name: child.name)] = child.id }
            } else {
                index[ChildKey(parent: parent, name: pointer)] = id
            }
        }
        return id
    }
}


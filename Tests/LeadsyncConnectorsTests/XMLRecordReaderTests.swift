import Foundation
import Testing
import LeadsyncConnectors
import LeadsyncCore
import LeadsyncTesting

@Suite struct XMLRecordReaderTests {
    func records(_ xml: String, path: String, errorPath: String? = nil) throws -> [XMLRecord] {
        let reader = try XMLRecordReader(source: MemoryByteSource(Array(xml.utf8)), name: "test.xml", recordPath: path, errorPath: errorPath)
        var out: [XMLRecord] = []
        while let record = try reader.next() { out.append(record) }
        return out
    }

    @Test func flattensRecordsWithAttributesAndNamespaces() throws {
        let xml = """
            <?adf version="1.0"?>
            <adf>
              <prospect status="new">
                <requestdate>2026-11-20T10:00:00+01:00</requestdate>
                <customer><contact>
                  <name part="first">Jérôme</name><name part="last">Cœur</name>
                  <phone type="voice">01 45 67 89 00</phone><phone type="cellphone">06 12 34 56 78</phone>
                </contact></customer>
              </prospect>
              <prospect status="resend"><customer><contact><email>a@b.fr</email></contact></customer></prospect>
            </adf>
            """
        let result = try records(xml, path: "adf/prospect")
        #expect(result.count == 2)
        #expect(result[0].fields["@status"] == "new")
        #expect(result[0].fields["customer/contact/name[part=first]"] == "Jérôme")
        #expect(result[0].fields["customer/contact/name[part=last]"] == "Cœur")
        #expect(result[0].fields["customer/contact/phone[type=cellphone]"] == "06 12 34 56 78")
        #expect(result[0].fields["customer/contact/phone"] == "01 45 67 89 00", "a repeated element keeps its first value")
        #expect(result[0].line == 3)
        #expect(result[1].fields["customer/contact/email"] == "a@b.fr")

        let xcard = """
            <vc:vcards xmlns:vc="urn:ietf:params:xml:ns:vcard-4.0"><vc:vcard>
              <vc:n><vc:surname>Müller</vc:surname><vc:given>Lukas</vc:given></vc:n>
              <vc:tel><vc:uri>tel:+49-30-12345678</vc:uri></vc:tel>
            </vc:vcard></vc:vcards>
            """
        let card = try #require(try records(xcard, path: "vcards/vcard").first)
        #expect(card.fields["n/surname"] == "Müller" && card.fields["tel/uri"] == "tel:+49-30-12345678")
    }

    @Test func malformedDocumentsGiveLineAndColumn() {
        do {
            _ = try records("<leads>\n<lead><email>a@b.fr</email></lead>\n<lead><email>c@d.fr</lead>\n</leads>", path: "leads/lead")
            Issue.record("a malformed document must be refused")
        } catch let error as XMLDocumentError {
            #expect(error.line == 3, "\(error)")
            #expect(error.column != nil)
            #expect(error.description.contains("malformed XML"))
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect(throws: XMLDocumentError.self) { try records("<leads><lead a=unquoted/></leads>", path: "leads/lead") }
        #expect(throws: XMLDocumentError.self) { try records("<leads><lead>\u{FFFE}</lead>", path: "leads/lead") }
    }

    @Test func errorEnvelopeFailsWithItsMessage() {
        do {
            _ = try records(#"<rsp stat="fail" version="1.0"><err code="15">Login failed</err></rsp>"#, path: "rsp/result/prospect", errorPath: "rsp/err")
            Issue.record("an error envelope must not read as zero leads")
        } catch let error as XMLDocumentError {
            #expect(error.message.contains("Login failed"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    /// defusedxml's payloads (../shared/corpus/xml-attacks): each is refused with a clear error or parsed
    /// without expansion, network or file access, and quickly.
    @Test(arguments: ["cyclic.xml", "dtd.xml", "dtd_element.xml", "external.xml", "external_file.xml", "quadratic.xml",
                      "simple-ns.xml", "simple.xml", "xmlbomb.xml", "xmlbomb2.xml"])
    func attackPayloads(_ name: String) throws {
        let url = Workspace.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus/xml-attacks/\(name)")
        let bytes = Array(try Data(contentsOf: url))
        let started = Date()
        var outcome = ""
        do {
            // Every element counts as a record, so any expanded text would be seen.
            let reader = try XMLRecordReader(source: MemoryByteSource(bytes), name: name, recordPath: "root")
            var texts: [String] = []
            while let record = try reader.next() { texts += record.fields.values }
            outcome = "parsed: \(texts)"
            #expect(!texts.joined().contains("root:"), "no local file was read")
            #expect(texts.joined().count < 10_000, "nothing was expanded")
        } catch let error as XMLDocumentError {
            outcome = "refused: \(error)"
            #expect(!error.message.isEmpty)
        }
        // An expanded bomb takes minutes (or all memory); 5 s leaves room for a loaded CI machine.
        #expect(Date().timeIntervalSince(started) < 5, "\(name) took too long")
        if ["xmlbomb.xml", "xmlbomb2.xml", "quadratic.xml", "cyclic.xml", "external.xml", "external_file.xml"].contains(name) {
            #expect(outcome.hasPrefix("refused"), "\(name): \(outcome)")
        }
        if ["simple.xml", "simple-ns.xml"].contains(name) { #expect(outcome.hasPrefix("parsed"), "\(name): \(outcome)") }
    }
}

extension XMLRecordReaderTests {
    @Test func repeatedElementsFirstOrJoined() throws {
        let record = try #require(try records("<leads><lead><email>a@b.fr</email><tag>salon</tag><tag>webinar</tag><tag>vip</tag></lead></leads>",
                                              path: "leads/lead").first)
        #expect(record.fields["tag"] == "salon")
        let first = Mapping(name: "m", rules: [.email: FieldRule(columns: ["email"]), .industry: FieldRule(columns: ["tag"])])
        let joined = Mapping(name: "m", rules: [.email: FieldRule(columns: ["email"]), .industry: FieldRule(columns: ["tag"], join: ", ")])
        #expect(KeyedMapper(mapping: first).apply(record.fields).raw[.industry] == "salon")
        #expect(KeyedMapper(mapping: joined).apply(record.fields).raw[.industry] == "salon, webinar, vip")
        #expect(KeyedMapper(mapping: joined).apply(record.fields).extra.isEmpty, "the all-values key is not an extra")
    }

    /// The reader gives each record's keys in document order; mapping by that order (the fast path, which
    /// recognises a shape without sorting its keys) gives what mapping by the keys alone gives, whatever the
    /// order, also when two keys fold to the same column name ("Email" and "email": the sorted first wins).
    @Test func mappingByDocumentOrderGivesWhatMappingByKeysGives() throws {
        let xml = """
            <leads>
            <lead><email>a@b.fr</email><Email>upper@b.fr</Email><first_name>Ann</first_name><phone type="voice">01 45 67 89 00</phone></lead>
            <lead><Email>upper@c.fr</Email><email>c@c.fr</email><phone type="cell">06 12 34 56 78</phone><first_name>Cy</first_name><city>Lyon</city></lead>
            <lead><first_name>Bo</first_name><email>b@b.fr</email><tag>x</tag><tag>y</tag></lead>
            <lead><email>a@b.fr</email><Email>upper@b.fr</Email><first_name>Ann</first_name><phone type="voice">01 45 67 89 00</phone></lead>
            </leads>
            """
        let read = try records(xml, path: "leads/lead")
        #expect(read[0].keys == ["email", "Email", "first_name", "phone/@type", "phone", "phone[type=voice]"])
        #expect(read[1].keys.first == "Email")
        let mapping = Mapping(name: "m", rules: [.email: FieldRule(columns: ["email"]), .first_name: FieldRule(columns: ["first_name"]),
                                                  .phone: FieldRule(columns: ["phone[type=voice]", "phone"]), .industry: FieldRule(columns: ["tag"], join: "+")])
        let byOrder = KeyedMapper(mapping: mapping), byKeys = KeyedMapper(mapping: mapping)
        for record in read + read.reversed() {
            #expect(Set(record.keys) == Set(record.fields.keys) && record.keys.count == record.fields.count)
            let fast = byOrder.apply(keys: record.keys, values: record.values), plain = byKeys.apply(record.fields)
            #expect(fast.raw == plain.raw && fast.extra == plain.extra, "line \(record.line)")
        }
        #expect(byOrder.apply(keys: read[0].keys, values: read[0].values).raw[.email] == "upper@b.fr", "the sorted first of two folding keys")
    }

    /// A record with more keys than are found by scanning (past 32 its keys are indexed): each key keeps
    /// its first value, a repeat before and after the switch is joined under `key[*]`, and the order stays
    /// the document's.
    @Test func aRecordWithManyKeysKeepsEveryValueAndRepeat() throws {
        let children = (0..<40).map { "<f\($0)>v\($0)</f\($0)>" }.joined()
        let xml = "<leads><lead><f3>early</f3>" + children + "<f3>late</f3><f38>again</f38></lead></leads>"
        let record = try #require(try records(xml, path: "leads/lead").first)
        #expect(record.keys.prefix(3) == ["f3", "f0", "f1"])
        #expect(Set(record.keys).count == record.keys.count && record.keys.count == 42, "40 keys and two all-values keys: \(record.keys.count)")
        #expect(record["f3"] == "early" && record["f3[*]"] == "early\u{1E}v3\u{1E}late")
        #expect(record["f38"] == "v38" && record["f38[*]"] == "v38\u{1E}again")
        #expect(record["f39"] == "v39" && record["f40"] == nil)
        #expect(record.fields.count == record.keys.count && record.fields["f20"] == "v20")
    }
}

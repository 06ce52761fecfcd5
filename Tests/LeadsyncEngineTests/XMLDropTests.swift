import Foundation
import Testing
import LeadsyncCore
import LeadsyncTesting

/// XML files dropped in a directory, through the same pipeline as CSV.
@Suite struct XMLDropTests {
    func workspace(_ connector: String, mapping: String) throws -> Workspace {
        let ws = try Workspace(connectors: [:])
        try ws.directory.write("connectors/\(connector).yaml", "name: \(connector)\nkind: xml-drop\npath: drops/\(connector)\nmapping: \(mapping)\n")
        try FileManager.default.createDirectory(at: ws.directory.path("drops/\(connector)"), withIntermediateDirectories: true)
        return ws
    }

    @Test func pardotSampleSyncsAndBalances() throws {
        let ws = try workspace("pardot", mapping: "pardot-prospects")
        try ws.drop("pardot", "page1.xml", bytes: try Data(contentsOf: Workspace.repositoryRoot.appendingPathComponent("samples/pardot/pardot-prospects-page1.xml")))
        let report = try ws.sync()
        let pardot = try #require(report.connectors["pardot"])
        #expect((pardot.received, pardot.created, pardot.suppressed, pardot.rejected) == (3, 1, 1, 1), "\(pardot)")
        #expect(pardot.balanced)
        let log = try ws.log(run: report.runID)
        #expect(log.map(\.recordRef) == ["page1.xml#5", "page1.xml#28", "page1.xml#40"])
        let lead = try #require(try ws.leads().first)
        #expect(lead.fields[.email] == "gaelle.perrin@alpine-conseil.fr" && lead.fields[.phone] == "+33476001122")
        #expect(lead.fields[.employees] == "120" && lead.fields[.marketing_status] == "A")
        #expect(lead.extra["custom_budget"] == "40 000 €", "unknown elements go to extra")
        #expect(try ws.files("pardot", in: "done") == ["page1.xml"])
    }

    @Test func malformedDocumentIsQuarantinedWholeWithLineAndColumn() throws {
        let ws = try workspace("feed", mapping: "generic-xml")
        try ws.drop("feed", "bad.xml", "<leads>\n<lead><email>a@b.fr</email></lead>\n<lead><email>c@d.fr</email>\n</leads>\n")
        let report = try ws.sync()
        #expect(report.connectors["feed"]?.received == 0, "records before the error are not committed")
        #expect(try ws.leads().isEmpty)
        let failure = try #require(report.failedFiles.first)
        #expect(failure.reason.contains("line 4"), "\(failure.reason)")
        let note = try String(contentsOf: ws.directory.path("drops/feed/failed/bad.xml.error"), encoding: .utf8)
        #expect(note.contains("malformed XML"))
    }

    @Test func hostileDoctypeIsRefusedBeforeAnyImport() throws {
        let ws = try workspace("feed", mapping: "generic-xml")
        try ws.drop("feed", "bomb.xml", """
            <?xml version="1.0"?>
            <!DOCTYPE leads [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
            <leads><lead><email>a@b.fr</email><first_name>&lol2;</first_name></lead></leads>
            """)
        let report = try ws.sync()
        #expect(report.failedFiles.first?.reason.contains("DOCTYPE declares entities") == true)
        #expect(try ws.leads().isEmpty)
    }

    @Test func errorEnvelopeIsNotZeroLeads() throws {
        let ws = try workspace("pardot", mapping: "pardot-prospects")
        try ws.drop("pardot", "error.xml", #"<?xml version="1.0"?><rsp stat="fail" version="1.0"><err code="15">Login failed</err></rsp>"#)
        let report = try ws.sync()
        #expect(report.failedFiles.first?.reason.contains("Login failed") == true)
    }

    @Test func adfAndXCardThroughXMLDrop() throws {
        let ws = try Workspace(connectors: [:])
        for (name, mapping) in [("adf", "adf"), ("cards", "xcard")] {
            try ws.directory.write("connectors/\(name).yaml", "name: \(name)\nkind: xml-drop\npath: drops/\(name)\nmapping: \(mapping)\n")
        }
        try ws.drop("adf", "lead.xml", """
            <?xml version="1.0"?>
            <?adf version="1.0"?>
            <adf>
             <prospect status="new">
              <id sequence="1" source="dealer">A-77</id>
              <requestdate>2026-11-20T10:00:00+01:00</requestdate>
              <customer><contact>
                <name part="first">Anaïs</name><name part="last">Hébert</name>
                <email>anais.hebert@orange.fr</email>
                <phone type="voice">02 40 11 22 33</phone>
                <address><city>Nantes</city><postalcode>44000</postalcode><country>FR</country></address>
              </contact><comments>Rappeler le matin</comments></customer>
              <provider><name>Salon Auto Nantes</name></provider>
             </prospect>
            </adf>
            """)
        try ws.drop("cards", "contacts.xml", """
            <vcards xmlns="urn:ietf:params:xml:ns:vcard-4.0">
              <vcard>
                <n><surname>Müller</surname><given>Lukas</given></n>
                <org><text>Techwerk GmbH</text></org>
                <title><text>Geschäftsführer</text></title>
                <email><text>lukas.mueller@techwerk.de</text></email>
                <tel><uri>tel:+49-30-12345678</uri></tel>
                <adr><locality>Berlin</locality><code>10115</code><country>Germany</country></adr>
              </vcard>
            </vcards>
            """)
        let report = try ws.sync()
        #expect(report.connectors["adf"]?.created == 1 && report.connectors["cards"]?.created == 1)
        #expect(report.balanced)
        let leads = Dictionary(uniqueKeysWithValues: try ws.leads().map { ($0.fields[.email] ?? "", $0) })
        let anais = try #require(leads["anais.hebert@orange.fr"])
        #expect(anais.fields[.first_name] == "Anaïs" && anais.fields[.phone] == "+33240112233")
        #expect(anais.fields[.created_at] == "2026-11-20T09:00:00Z" && anais.fields[.marketing_status] == "new")
        #expect(anais.fields[.source] == "Salon Auto Nantes")
        let lukas = try #require(leads["lukas.mueller@techwerk.de"])
        #expect(lukas.fields[.phone] == "+493012345678" && lukas.fields[.country] == "DE" && lukas.fields[.company] == "Techwerk GmbH")
    }
}

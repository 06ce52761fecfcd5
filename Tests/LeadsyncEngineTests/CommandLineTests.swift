import Foundation
import GRDB
import Testing
import LeadsyncCore
import LeadsyncStore
import LeadsyncTesting

/// The `leadsync` executable as users run it: exit codes, output formats, and a SIGKILL mid-sync.
@Suite(.serialized) struct CommandLineTests {
    let cli: CommandLineTool
    init() throws { cli = try CommandLineTool.leadsync() }

    func workspaceWithLeads() throws -> Workspace {
        let ws = try Workspace(connectors: ["crm": "generic"])
        try ws.drop("crm", "leads.csv", SyncTests.generic + """
            1,elodie@acme-industries.fr,Élodie,Lefèvre,ACME Industries SAS,01 45 67 89 00,France,250,50k€,ce trimestre,yes
            2,=HYPERLINK("http://evil"),Bad,Cell,,,,,,,yes

            """)
        return ws
    }

    @Test func syncJSONThenLogThenLeadShow() throws {
        let ws = try workspaceWithLeads()
        let sync = try cli.run(["sync", "--config", ws.configPath, "--format", "json"])
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(sync.stdout.contains("\"balanced\" : true"))
        #expect(sync.stderr.isEmpty, "no progress output when stdout is not a terminal")

        let log = try cli.run(["log", "--config", ws.configPath, "--run", "last"])
        let lines = log.stdout.split(separator: "\n")
        #expect(lines.first == "run_id,connector,record_ref,external_id,action,lead_id,account_id,status,reason")
        #expect(lines.count == 3)
        #expect(lines[2].contains("rejected"))

        let show = try cli.run(["lead", "show", "Elodie@ACME-industries.fr", "--config", ws.configPath])
        #expect(show.status == 0)
        for expected in ["score breakdown", "size-50-499", "leads.csv#2", "+33145678900", "provenance", "owner"] {
            #expect(show.stdout.contains(expected), "lead show lacks \(expected)")
        }
    }

    @Test func csvExportNeutralisesFormulas() throws {
        let ws = try Workspace(connectors: ["crm": "generic"])
        try ws.drop("crm", "leads.csv", SyncTests.generic + "1,a@acme.fr,=SUM(A1),-2+3,@corp,,FR,,,,yes\n")
        #expect(try cli.run(["sync", "--config", ws.configPath]).status == 0)
        let export = try cli.run(["leads", "export", "--config", ws.configPath])
        #expect(export.stdout.contains(",'=SUM(A1),'-2+3,'@corp,"), "\(export.stdout)")
        let json = try cli.run(["leads", "export", "--config", ws.configPath, "--format", "json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: String]])
        #expect(rows.first?["first_name"] == "=SUM(A1)", "JSON keeps values as they are")
    }

    /// Phones and negative amounts are data, not formulas: a CRM re-importing the export gets them intact.
    @Test(arguments: StoreKind.allCases)
    func csvExportKeepsPhonesAndNumbers(store: StoreKind) throws {
        let ws = try Workspace(connectors: ["crm": "generic"], store: store)
        try ws.drop("crm", "leads.csv", "email,first_name,phone,mobile,budget\na@acme.fr,Ana,01 45 67 89 00,+33 6 12 34 56 78,-1500\n")
        #expect(try cli.run(["sync", "--config", ws.configPath]).status == 0)
        let export = try cli.run(["leads", "export", "--config", ws.configPath])
        #expect(export.stdout.contains(",+33145678900,+33612345678,") && !export.stdout.contains("'+33"), "\(export.stdout)")
        let log = try cli.run(["log", "--config", ws.configPath, "--run", "last", "--format", "csv"])
        #expect(log.status == 0 && !log.stdout.contains("'"), "\(log.stdout)")
    }

    @Test func exitCodesAreDocumented() throws {
        let ws = try workspaceWithLeads()
        let validate = try cli.run(["validate", "--config", ws.configPath])
        #expect(validate.status == 0, "\(validate.stderr)")
        #expect(validate.stdout.contains("ok:"))

        try ws.directory.write("connectors/crm.yaml", "name: crm\nkind: csv-drop\npath: drops/crm\nmapping: generic\nencoding: ebcdic\n")
        let bad = try cli.run(["sync", "--config", ws.configPath])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("crm.yaml:5 (key encoding): unknown encoding 'ebcdic'"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: ws.storePath), "a bad config is refused before anything runs")

        try ws.directory.write("connectors/crm.yaml", "name: crm\nkind: csv-drop\npath: drops/nowhere\nmapping: generic\n")
        #expect(try cli.run(["sync", "--config", ws.configPath]).status == 4)

        try ws.directory.write("connectors/crm.yaml", "name: crm\nkind: csv-drop\npath: drops/crm\nmapping: generic\n")
        try ws.directory.write("var/leadsync.sqlite", "this is not a database")
        let store = try cli.run(["sync", "--config", ws.configPath])
        #expect(store.status == 3, "\(store.stderr)")
        #expect(try cli.run(["sync", "--config", ws.directory.path("missing.yaml").path]).status == 2)
        #expect(try cli.run(["sync", "--bogus"]).status == 64)
    }

    @Test func configFromEnvironment() throws {
        let ws = try workspaceWithLeads()
        var environment = ProcessInfo.processInfo.environment
        environment["LEADSYNC_CONFIG"] = ws.configPath
        let result = try cli.run(["sync", "--dry-run"], environment: environment)
        #expect(result.status == 0)
        #expect(result.stdout.contains("dry run"))
    }

    /// Kill -9 mid-file, run again: the store equals an uninterrupted run's, and the log accounts for every
    /// record exactly once.
    @Test func killedMidFileResumesToTheSameResult() throws {
        let generated = try TemporaryDirectory()
        let source = generated.path("leads.csv")
        try LeadGenerator(seed: 7).write(count: 3000, csv: source)
        let interrupted = try Workspace(connectors: ["gen": "generic"], batchSize: 50)
        let reference = try Workspace(connectors: ["gen": "generic"], batchSize: 50)
        // A file's modification time is its records' version (see Recency): both copies get the source's, or
        // copies made a clock tick apart would be two versions and every field's recency would differ.
        let version = try FileManager.default.attributesOfItem(atPath: source.path)[.modificationDate] as! Date
        for ws in [interrupted, reference] {
            let copy = ws.directory.path("drops/gen/leads.csv")
            try FileManager.default.copyItem(at: source, to: copy)
            try FileManager.default.setAttributes([.modificationDate: version], ofItemAtPath: copy.path)
        }

        let process = try cli.start(["sync", "--config", interrupted.configPath])
        var committed = 0
        let deadline = Date().addingTimeInterval(60)
        while committed < 500, Date() < deadline, process.isRunning {
            Thread.sleep(forTimeInterval: 0.05)
            committed = (try? DatabaseQueue(path: interrupted.storePath).read { db in
                try Int.fetchOne(db, sql: "SELECT MAX(records_done) FROM files")
            }) ?? 0
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(try interrupted.files("gen", in: "processing") == ["leads.csv"], "killed before the file was finished")

        let resumed = try cli.run(["sync", "--config", interrupted.configPath])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try cli.run(["sync", "--config", reference.configPath]).status == 0)

        func comparable(_ ws: Workspace) throws -> [Lead] {
            try ws.leads().map { var lead = $0; lead.handedOffAt = nil; return lead }
        }
        let leads = try comparable(interrupted)
        #expect(leads.count > 2000)
        let referenceLeads = try comparable(reference)
        #expect(leads == referenceLeads)
        if leads != referenceLeads, let (a, b) = zip(leads, referenceLeads).first(where: { $0 != $1 }) {
            Issue.record("killed after \(committed) records; first lead that differs:\nresumed:   \(a)\nreference: \(b)")
        }
        let log = try interrupted.log()
        #expect(log.count == 3000)
        #expect(Set(log.map(\.recordRef)).count == 3000, "each record is in the log exactly once")
        #expect(log.map(\.action).sorted() == (try reference.log()).map(\.action).sorted())
        #expect(try interrupted.files("gen", in: "done") == ["leads.csv"])

        // The same content dropped again replays the log spread over the killed and the resumed run.
        try FileManager.default.copyItem(at: source, to: interrupted.directory.path("drops/gen/again.csv"))
        let again = try interrupted.sync()
        #expect(again.replayedFiles == ["gen/again.csv"])
        let summary = try #require(again.connectors["gen"])
        #expect(summary.received == 3000 && summary.balanced && summary.created == 0 && summary.merged == 0)
        #expect(Set(try interrupted.log(run: again.runID).map(\.recordRef)).count == 3000)
    }
}

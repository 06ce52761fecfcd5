import Foundation

/// A small deterministic PRNG (SplitMix64): the same seed gives the same leads on every machine.
public struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}

/// Realistic B2B leads, mostly French with some German and British, with planted duplicates and a truth
/// file saying which person each record is. Used by tests and by `make bench`.
///
/// Written in the `generic` mapping layout (canonical column names).
public struct LeadGenerator {
    public static let header = ["external_id", "email", "first_name", "last_name", "company", "job_title", "phone",
                                "website", "country", "city", "postal_code", "employees", "budget", "urgency",
                                "consent", "opted_out", "source", "created_at", "marketing_status"]

    static let frenchFirst = ["Élodie", "François", "Jean", "Marie", "Camille", "Hélène", "Jérôme", "Agnès", "Benoît",
                              "Cécile", "Thomas", "Nathalie", "Pierre", "Sophie", "Julien", "Léa", "Noël", "Anaïs",
                              "Stéphane", "Gaëlle", "Loïc", "Maëlle", "Frédéric", "Océane", "Raphaël", "Zoé", "Mathéo",
                              "Inès", "Clément", "Chloé"]
    static let frenchLast = ["Lefèvre", "Dupont", "Martin", "Bernard", "Moreau", "Laurent", "Girard", "Rousseau",
                             "Leroy", "Garnier", "Faure", "Mercier", "Blanc", "Guérin", "Boyer", "Chevalier", "François",
                             "Lambert", "Bonnet", "Fontaine", "Roussel", "Perrin", "Morel", "Gauthier", "Dubois",
                             "Lemaître", "Bérénice", "Cœur", "Hébert", "Noël"]
    static let germanFirst = ["Lukas", "Anna", "Jürgen", "Sören", "Käthe", "Felix", "Lena", "Maximilian", "Jörg", "Anja"]
    static let germanLast = ["Müller", "Schmidt", "Schneider", "Fischer", "Weiß", "Becker", "Schäfer", "Koch", "Groß", "Krüger"]
    static let britishFirst = ["Oliver", "Amelia", "Harry", "Isla", "George", "Olivia", "Jack", "Emily", "Charlie", "Sophie"]
    static let britishLast = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas", "O'Brien", "Hughes"]
    static let companyWords = ["Acme", "Globex", "Initiale", "Boulangeries Réunies", "Techwerk", "Datenfluss", "Brightside",
                               "Fontaine BTP", "Atelier Lumière", "Vignobles Château", "Nordlicht", "Bergwerk", "Thames Digital",
                               "Kestrel", "Océan Logistique", "Alpine Conseil", "Forge & Fer", "Énergie Verte", "Sirius",
                               "Mistral Data", "Cœur Industries", "Hexa Systèmes", "Rhône Transports", "Pyrénées Bois"]
    static let frenchForms = ["SAS", "SARL", "SA", "SASU", "EURL", "S.A.S.", "et Fils", ""]
    static let germanForms = ["GmbH", "AG", "GmbH & Co. KG", "KG"]
    static let britishForms = ["Ltd", "Limited", "PLC", "LLP"]
    static let freeMail = ["gmail.com", "yahoo.fr", "orange.fr", "free.fr", "laposte.net", "hotmail.fr", "outlook.com",
                           "gmx.de", "web.de", "btinternet.com"]
    static let titles = ["CEO", "Directrice Générale", "Directeur Commercial", "Responsable Achats", "Chargé de mission",
                         "Geschäftsführer", "Head of Sales", "Office Manager", "CTO", "Stagiaire"]
    static let urgencies = ["immediately", "ce trimestre", "ce mois-ci", "6 mois", "plus tard", "this quarter", ""]

    public struct Person: Sendable {
        public var id: Int
        public var first, last, company, domain, email, phoneNational, country, city, postal: String
        public var region: String
    }

    public var seed: UInt64
    public var duplicateRate: Double
    public init(seed: UInt64 = 42, duplicateRate: Double = 0.15) { self.seed = seed; self.duplicateRate = duplicateRate }

    /// Writes `count` records to `csv` and `record_line,person_id` to `truth`. Returns the number of distinct people.
    @discardableResult
    public func write(count: Int, csv: URL, truth: URL? = nil) throws -> Int {
        var rng = SeededRandom(seed: seed)
        FileManager.default.createFile(atPath: csv.path, contents: nil)
        let out = try FileHandle(forWritingTo: csv)
        defer { try? out.close() }
        var truthOut: FileHandle?
        if let truth {
            FileManager.default.createFile(atPath: truth.path, contents: nil)
            truthOut = try FileHandle(forWritingTo: truth)
            truthOut?.write(Data("line,person_id\n".utf8))
        }
        defer { try? truthOut?.close() }
        var buffer = Self.header.joined(separator: ",") + "\n"
        var truthBuffer = ""
        var people: [Person] = []
        people.reserveCapacity(count)
        for i in 0..<count {
            let line = i + 2
            let isDuplicate = !people.isEmpty && Double.random(in: 0..<1, using: &rng) < duplicateRate
            let person: Person
            var record: [String]
            if isDuplicate {
                person = people[Int.random(in: 0..<people.count, using: &rng)]
                record = variant(of: person, index: i, rng: &rng)
            } else {
                person = makePerson(id: people.count, rng: &rng)
                people.append(person)
                record = fresh(person, index: i, rng: &rng)
            }
            buffer += record.map(Self.csvEscape).joined(separator: ",") + "\n"
            truthBuffer += "\(line),\(person.id)\n"
            if buffer.utf8.count > 1 << 20 {
                out.write(Data(buffer.utf8)); buffer = ""
                truthOut?.write(Data(truthBuffer.utf8)); truthBuffer = ""
            }
        }
        out.write(Data(buffer.utf8))
        truthOut?.write(Data(truthBuffer.utf8))
        return people.count
    }

    func pick<T>(_ items: [T], _ rng: inout SeededRandom) -> T { items[Int.random(in: 0..<items.count, using: &rng)] }

    static func ascii(_ text: String) -> String {
        text.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil)
            .replacingOccurrences(of: "œ", with: "oe").replacingOccurrences(of: "ß", with: "ss")
            .filter { $0.isLetter || $0.isNumber || $0 == "-" }
    }

    func makePerson(id: Int, rng: inout SeededRandom) -> Person {
        let roll = Double.random(in: 0..<1, using: &rng)
        let (first, last, country, form, city, postal): (String, String, String, String, String, String)
        if roll < 0.75 {
            (first, last, country, form) = (pick(Self.frenchFirst, &rng), pick(Self.frenchLast, &rng), "FR", pick(Self.frenchForms, &rng))
            (city, postal) = pick([("Paris", "75008"), ("Lyon", "69002"), ("Marseille", "13001"), ("Lille", "59000"), ("Nantes", "44000"), ("Bordeaux", "33000")], &rng)
        } else if roll < 0.9 {
            (first, last, country, form) = (pick(Self.germanFirst, &rng), pick(Self.germanLast, &rng), "DE", pick(Self.germanForms, &rng))
            (city, postal) = pick([("Berlin", "10115"), ("München", "80331"), ("Hamburg", "20095")], &rng)
        } else {
            (first, last, country, form) = (pick(Self.britishFirst, &rng), pick(Self.britishLast, &rng), "GB", pick(Self.britishForms, &rng))
            (city, postal) = pick([("London", "SW1A 1AA"), ("Manchester", "M1 1AE"), ("Leeds", "LS1 4DY")], &rng)
        }
        let base = pick(Self.companyWords, &rng)
        let suffix = Int.random(in: 1...40_000, using: &rng)
        let company = form.isEmpty ? "\(base) \(suffix)" : "\(base) \(suffix) \(form)"
        let tld = country == "FR" ? "fr" : country == "DE" ? "de" : "co.uk"
        let domain = Self.ascii(base).lowercased() + "-\(suffix).\(tld)"
        let free = Double.random(in: 0..<1, using: &rng) < 0.25
        let local = "\(Self.ascii(first).lowercased()).\(Self.ascii(last).lowercased())\(id)"
        let email = free ? "\(local)@\(pick(Self.freeMail, &rng))" : "\(local)@\(domain)"
        let phoneNational: String
        switch country {
        case "FR":
            // Assigned ranges only (07 mobiles start 073–079), so planted records stay identifiable.
            let prefix = pick(["1", "2", "3", "4", "5", "6", "73", "75", "76", "77", "78", "9"], &rng)
            phoneNational = prefix + String(String(Int.random(in: 10_000_000...99_999_999, using: &rng)).prefix(9 - prefix.count))
        case "DE": phoneNational = pick(["30", "89", "40"], &rng) + String(format: "%07d", Int.random(in: 1_000_000...9_999_999, using: &rng))
        default: phoneNational = "20" + String(format: "%08d", Int.random(in: 70_000_000...79_999_999, using: &rng))
        }
        return Person(id: id, first: first, last: last, company: company, domain: domain, email: email,
                      phoneNational: phoneNational, country: country, city: city, postal: postal, region: country)
    }

    /// The phone as people type it: `+33 (0)1 ..`, `01.45..`, `0033..`, `06 12 ..`, or German/British forms.
    func formatPhone(_ p: Person, rng: inout SeededRandom) -> String {
        let n = Array(p.phoneNational)
        switch p.country {
        case "FR":
            let pairs = stride(from: 1, to: 9, by: 2).map { String(n[$0...$0 + 1]) }
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: return "+33 (0)\(n[0]) " + pairs.joined(separator: " ")
            case 1: return "0\(n[0])." + pairs.joined(separator: ".")
            case 2: return "0033\(p.phoneNational)"
            case 3: return "0\(n[0]) " + pairs.joined(separator: " ")
            default: return "+33\(p.phoneNational)"
            }
        case "DE": return Bool.random(using: &rng) ? "+49 \(p.phoneNational)" : "0\(p.phoneNational)"
        default: return Bool.random(using: &rng) ? "+44 \(p.phoneNational)" : "0\(p.phoneNational.prefix(2)) \(p.phoneNational.dropFirst(2))"
        }
    }

    func fresh(_ p: Person, index: Int, rng: inout SeededRandom) -> [String] {
        let countryText = p.country == "FR" ? pick(["France", "FR", "france"], &rng)
                        : p.country == "DE" ? pick(["Allemagne", "Germany", "DE"], &rng) : pick(["United Kingdom", "UK", "GB"], &rng)
        let employees = pick(["12", "50-199", "1 000", "250", "5", "2500", "10-49", "500+"], &rng)
        let budget = pick(["10k€", "1,5 M€", "50 000 €", "5000", "", "200k", "75 000"], &rng)
        let day = 1 + index % 28, hour = index % 24
        return ["SRC-\(index)", p.email, p.first, p.last, p.company, pick(Self.titles, &rng), formatPhone(p, rng: &rng),
                Bool.random(using: &rng) ? "https://www.\(p.domain)" : "", countryText, p.city, p.postal, employees, budget,
                pick(Self.urgencies, &rng), Double.random(in: 0..<1, using: &rng) < 0.9 ? "legitimate interest" : "",
                Double.random(in: 0..<1, using: &rng) < 0.02 ? "true" : "false", pick(["webinar", "salon", "seo", "ads"], &rng),
                String(format: "2026-10-%02d %02d:00", day, hour), pick(["lead", "MQL", "SQL", "subscriber"], &rng)]
    }

    /// Another record of the same person, as a second form fill or another tool would give it.
    func variant(of p: Person, index: Int, rng: inout SeededRandom) -> [String] {
        var record = fresh(p, index: index, rng: &rng)
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: record[1] = "  " + p.email.uppercased() + " "  // same email, typed differently
        case 1: record[1] = ""                                 // no email: matched by phone + last name
        default: record[3] = p.last.uppercased()               // same email, last name in capitals
        }
        return record
    }

    /// The same kind of leads as a Pardot API v4 prospect query response (`rsp/result/prospect`), streamed to
    /// `xml` without holding the document in memory. Returns the number of distinct people.
    @discardableResult
    public func writePardotXML(count: Int, xml: URL) throws -> Int {
        var rng = SeededRandom(seed: seed)
        FileManager.default.createFile(atPath: xml.path, contents: nil)
        let out = try FileHandle(forWritingTo: xml)
        defer { try? out.close() }
        var buffer = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rsp stat=\"ok\" version=\"1.0\"><result><total_results>\(count)</total_results>\n"
        var people: [Person] = []
        let tags = ["id", "email", "first_name", "last_name", "company", "job_title", "phone", "website", "country", "city", "zip",
                    "employees", "budget", "urgency", "consent", "opted_out", "source", "created_at", "grade"]
        for i in 0..<count {
            let record: [String]
            if !people.isEmpty && Double.random(in: 0..<1, using: &rng) < duplicateRate {
                record = variant(of: people[Int.random(in: 0..<people.count, using: &rng)], index: i, rng: &rng)
            } else {
                let person = makePerson(id: people.count, rng: &rng)
                people.append(person)
                record = fresh(person, index: i, rng: &rng)
            }
            buffer += "<prospect>"
            for (tag, value) in zip(tags, record) where !value.isEmpty {
                buffer += "<\(tag)>\(xmlEscape(value.trimmingCharacters(in: .whitespaces)))</\(tag)>"
            }
            buffer += "</prospect>\n"
            if buffer.utf8.count > 1 << 20 { out.write(Data(buffer.utf8)); buffer = "" }
        }
        buffer += "</result></rsp>\n"
        out.write(Data(buffer.utf8))
        return people.count
    }

    private func xmlEscape(_ value: String) -> String {
        guard value.contains(where: { $0 == "&" || $0 == "<" || $0 == ">" }) else { return value }
        return value.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    static func csvEscape(_ value: String) -> String {
        value.contains(",") || value.contains("\"") ? "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : value
    }
}

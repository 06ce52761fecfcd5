import Foundation

/// Leads for the matching benchmark (`make bench-matching`): every duplicate is one of the kinds real
/// exports produce, and the hard non-duplicates are planted too. The truth file gives, per CSV line, the
/// person and the account (company) it belongs to.
public struct MatchingCorpus {
    /// The planted kinds, in the order of `DuplicateKind.allCases`.
    public enum DuplicateKind: String, CaseIterable, Sendable {
        case caseAndAccents = "case and accents"
        case emailTyping = "email in capitals or with spaces"
        case phoneFormat = "phone format, another mailbox"
        case legalForm = "company legal form or abbreviation, no email"
        case websiteOnly = "website or bare domain instead of email"
        case swappedNames = "first and last names swapped"
        case typo = "one-letter typo in a name"
    }

    public var seed: UInt64
    public var duplicateRate: Double
    /// Share of new people planted as a colleague of someone (same company and switchboard phone), and as a
    /// namesake (same first and last name at another company).
    public var colleagueRate: Double
    public var namesakeRate: Double

    public init(seed: UInt64 = 7, duplicateRate: Double = 0.2, colleagueRate: Double = 0.05, namesakeRate: Double = 0.05) {
        self.seed = seed; self.duplicateRate = duplicateRate; self.colleagueRate = colleagueRate; self.namesakeRate = namesakeRate
    }

    /// Writes `count` records and the truth (`line,person_id,account_id,kind`). Returns the planted counts per kind.
    @discardableResult
    public func write(count: Int, csv: URL, truth: URL) throws -> [String: Int] {
        let generator = LeadGenerator(seed: seed)
        var rng = SeededRandom(seed: seed)
        var people: [LeadGenerator.Person] = []
        var accountOf: [Int: Int] = [:]      // person → account
        var accounts: [String: Int] = [:]    // company domain → account
        var planted: [String: Int] = [:]
        var out = LeadGenerator.header.joined(separator: ",") + "\n"
        var truthText = "line,person_id,account_id,kind\n"
        for i in 0..<count {
            let line = i + 2
            var record: [String]
            var person: LeadGenerator.Person
            var kind = "new"
            if !people.isEmpty, Double.random(in: 0..<1, using: &rng) < duplicateRate {
                person = people[Int.random(in: 0..<people.count, using: &rng)]
                let duplicate = DuplicateKind.allCases[Int.random(in: 0..<DuplicateKind.allCases.count, using: &rng)]
                record = variant(generator, person, duplicate, index: i, rng: &rng)
                kind = duplicate.rawValue
            } else {
                person = generator.makePerson(id: people.count, rng: &rng)
                let roll = Double.random(in: 0..<1, using: &rng)
                if !people.isEmpty, roll < colleagueRate {
                    // A colleague: another person at the same company, on the same switchboard number.
                    let other = people[Int.random(in: 0..<people.count, using: &rng)]
                    person.company = other.company; person.domain = other.domain; person.phoneNational = other.phoneNational
                    person.country = other.country; person.city = other.city; person.postal = other.postal
                    let local = "\(LeadGenerator.ascii(person.first).lowercased()).\(LeadGenerator.ascii(person.last).lowercased())\(person.id)"
                    person.email = "\(local)@\(other.domain)"
                    kind = "colleague on the same switchboard"
                } else if !people.isEmpty, roll < colleagueRate + namesakeRate {
                    // A namesake: the same common name at another company.
                    let other = people[Int.random(in: 0..<people.count, using: &rng)]
                    person.first = other.first; person.last = other.last
                    let local = "\(LeadGenerator.ascii(person.first).lowercased()).\(LeadGenerator.ascii(person.last).lowercased())"
                    person.email = "\(local)@\(person.domain)"
                    kind = "namesake at another company"
                }
                people.append(person)
                record = generator.fresh(person, index: i, rng: &rng)
            }
            let account = accounts[person.domain] ?? accounts.count
            accounts[person.domain] = account
            accountOf[person.id] = account
            planted[kind, default: 0] += 1
            out += record.map(LeadGenerator.csvEscape).joined(separator: ",") + "\n"
            truthText += "\(line),\(person.id),\(account),\(kind)\n"
        }
        try out.write(to: csv, atomically: true, encoding: .utf8)
        try truthText.write(to: truth, atomically: true, encoding: .utf8)
        return planted
    }

    /// Columns: external_id, email, first_name, last_name, company, job_title, phone, website, country, city, postal_code, …
    func variant(_ g: LeadGenerator, _ p: LeadGenerator.Person, _ kind: DuplicateKind, index: Int, rng: inout SeededRandom) -> [String] {
        var r = g.fresh(p, index: index, rng: &rng)
        let firstAscii = LeadGenerator.ascii(p.first).lowercased(), lastAscii = LeadGenerator.ascii(p.last).lowercased()
        switch kind {
        case .caseAndAccents:
            r[2] = LeadGenerator.ascii(p.first).uppercased(); r[3] = LeadGenerator.ascii(p.last).uppercased()
            r[1] = ""   // another tool without the email; the phone is there
        case .emailTyping:
            r[1] = Bool.random(using: &rng) ? " \(p.email.uppercased())" : p.email.uppercased() + "  "
        case .phoneFormat:
            r[1] = "\(firstAscii.prefix(1))\(lastAscii)\(p.id)@\(g.pick(LeadGenerator.freeMail, &rng))"  // a personal address (one person's)
        case .legalForm:
            let base = p.company.split(separator: " ").dropLast(p.company.hasSuffix(" SAS") || p.company.hasSuffix(" SARL") || p.company.hasSuffix(" GmbH") || p.company.hasSuffix(" Ltd") ? 1 : 0)
            r[4] = Bool.random(using: &rng) ? base.joined(separator: " ").uppercased() : base.joined(separator: " ") + " S.A.S."
            r[1] = ""; r[7] = "\(p.domain)"   // no email: the phone identifies the record
        case .websiteOnly:
            r[1] = "\(firstAscii).\(lastAscii).\(p.id)@\(g.pick(LeadGenerator.freeMail, &rng))"; r[6] = ""
            r[7] = Bool.random(using: &rng) ? p.domain : "http://\(p.domain)/contact"
        case .swappedNames:
            r[2] = p.last; r[3] = p.first
            r[1] = "\(firstAscii.prefix(1)).\(lastAscii)\(p.id)@\(p.domain)"; r[6] = ""
        case .typo:
            let target = Bool.random(using: &rng) ? 3 : 2
            var letters = Array(r[target])
            if letters.count >= 5 {
                let at = Int.random(in: 1..<(letters.count - 1), using: &rng)
                letters.swapAt(at, at + 1)  // a transposition, the commonest typo
                r[target] = String(letters)
            }
            r[1] = "\(firstAscii.prefix(1))\(lastAscii)\(p.id)@\(p.domain)"
        }
        return r
    }
}

import Foundation
import Testing
@testable import LeadsyncCore

@Suite struct EmailTests {
    @Test func trimsAndLowercases() throws {
        #expect(try EmailNormaliser.normalise("  Elodie.Lefevre@ACME-Industries.FR ").get() == "elodie.lefevre@acme-industries.fr")
        #expect(try EmailNormaliser.normalise("<jane@acme.fr>").get() == "jane@acme.fr")
        #expect(try EmailNormaliser.normalise("mailto:Jane@Acme.fr").get() == "jane@acme.fr")
    }

    @Test(arguments: ["marc.leroy@@leroy.fr", "no-at-sign.fr", "jane@", "@acme.fr", "jane@acme", "jane..doe@acme.fr",
                      ".jane@acme.fr", "jane@-acme.fr", "jane doe@acme.fr", "=cmd|' /C calc'!A0@evil.example", "jane@acme.c0m"])
    func rejectsInvalid(_ raw: String) {
        #expect(throws: EmailNormaliser.Failure.self) { try EmailNormaliser.normalise(raw).get() }
    }

    @Test func freeMailIsData() {
        for domain in ["gmail.com", "yahoo.fr", "orange.fr", "free.fr", "laposte.net", "outlook.com", "hotmail.fr", "gmx.de"] {
            #expect(FreeMailDomains.builtin.contains(domain), "\(domain)")
        }
        #expect(!FreeMailDomains.builtin.contains("acme-industries.fr"))
    }
}

@Suite struct PhoneTests {
    let phones = PhoneNormaliser()

    @Test(arguments: [
        ("+33 (0)1 45 67 89 00", "FR", "+33145678900"),
        ("0033 1 45 67 89 00", "FR", "+33145678900"),
        ("01.45.67.89.00", "FR", "+33145678900"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("+33612345678", "DE", "+33612345678"),
        ("+49 30 12345678", "FR", "+493012345678"),
        ("030 12345678", "DE", "+493012345678"),
        ("+44 20 7946 0958", "FR", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("01 45 67 89 00 ext. 12", "FR", "+33145678900;ext=12"),
        ("+44 20 7946 0958 ext. 123", "GB", "+442079460958;ext=123"),
    ])
    func normalisesRealWorldFormats(_ raw: String, _ region: String, _ expected: String) throws {
        #expect(try phones.normalise(raw, region: region).get() == expected)
    }

    @Test(arguments: ["not a phone", "12", "00 00 00 00 00", "+33 0 00 00 00 00", "abc 01 45"])
    func refusesGarbage(_ raw: String) {
        #expect(throws: PhoneNormaliser.Failure.self) { try phones.normalise(raw, region: "FR").get() }
    }

    /// The fast path must give exactly libphonenumber's answer, valid or not, on thousands of varied numbers.
    @Test func fastPathAgreesWithLibphonenumber() {
        var rng = SystemRandomNumberGenerator()
        var fast = 0
        let formats: [(String) -> String] = [
            { "0" + $0 }, { "+33" + $0 }, { "0033" + $0 }, { "+33 (0)" + $0 },
            { n in "0" + String(n.first!) + " " + stride(from: 1, to: 9, by: 2).map { i in String(Array(n)[i...i + 1]) }.joined(separator: " ") },
            { n in "0" + String(n.first!) + "." + stride(from: 1, to: 9, by: 2).map { i in String(Array(n)[i...i + 1]) }.joined(separator: ".") },
        ]
        for i in 0..<30000 {
            let first = String(Int.random(in: 1...9, using: &rng))
            let national = first + String(format: "%08d", Int.random(in: 0...99_999_999, using: &rng))
            let raw = formats[i % formats.count](national)
            let before = phones.fastPathHits
            let ours = phones.normalise(raw, region: "FR")
            if phones.fastPathHits > before { fast += 1 }
            let reference = PhoneNormaliser.reference(raw, region: "FR")
            #expect(ours == reference, "\(raw): fast \(ours) vs libphonenumber \(reference)")
        }
        #expect(fast > 20000, "the fast path should take nearly all well-formed French numbers, took \(fast)")
    }
}

@Suite struct CompanyTests {
    @Test(arguments: [
        ("ACME Industries SAS", "acme industries"), ("Acme Industries", "acme industries"),
        ("ACME S.A.S.", "acme"), ("Dupont et Fils SARL", "dupont et fils"), ("Boulangeries Réunies S.à r.l.", "boulangeries reunies"),
        ("Techwerk GmbH & Co. KG", "techwerk"), ("Brightside Ltd.", "brightside"), ("Initech, Inc.", "initech"),
        ("SAS Lumière", "lumiere"), ("Société Générale", "societe generale"), ("Cœur & Associés", "coeur associes"),
    ])
    func matchKeyStripsLegalFormsAndAccents(_ name: String, _ key: String) {
        #expect(CompanyNormaliser.matchKey(name) == key)
    }

    @Test func aLegalFormAloneIsKept() {
        #expect(CompanyNormaliser.matchKey("SAS") == "sas")
        #expect(CompanyNormaliser.matchKey("  ") == nil)
    }
}

@Suite struct DomainCountryNumberTests {
    @Test func registrableDomainThroughLibpsl() {
        #expect(DomainNormaliser.registrable(host: "www.shop.co.uk") == "shop.co.uk")
        #expect(DomainNormaliser.registrable(host: "mail.acme-industries.fr") == "acme-industries.fr")
        #expect(DomainNormaliser.registrable(host: "co.uk") == nil)
        #expect(DomainNormaliser.host(fromWebsite: "HTTPS://www.Shop.co.uk:443/about?x=1") == "www.shop.co.uk")
        #expect(DomainNormaliser.host(fromWebsite: "acme.fr") == "acme.fr")
        #expect(DomainNormaliser.host(fromWebsite: "n/a") == nil)
    }

    @Test(arguments: [("France", "FR"), ("FR", "FR"), ("fr", "FR"), ("Allemagne", "DE"), ("Deutschland", "DE"),
                      ("United Kingdom", "GB"), ("UK", "GB"), ("Royaume-Uni", "GB"), ("États-Unis", "US"), ("Belgique", "BE")])
    func countries(_ raw: String, _ iso: String) {
        #expect(CountryNormaliser.isoCode(raw) == iso)
    }

    @Test func unknownCountry() { #expect(CountryNormaliser.isoCode("Atlantis") == nil) }

    @Test(arguments: [("50-199", 50.0), ("1 000", 1000), ("10k€", 10000), ("1,5 M€", 1_500_000), ("500+", 500),
                      ("200 000 €", 200_000), ("1.000", 1000), ("1,234.5", 1234.5), ("12 M€", 12_000_000), ("250", 250),
                      ("1\u{202F}200", 1200), ("2,5", 2.5), ("10 to 49", 10)])
    func numbers(_ raw: String, _ value: Double) {
        #expect(NumberNormaliser.parse(raw) == value)
    }

    @Test func notANumber() {
        #expect(NumberNormaliser.parse("beaucoup") == nil)
        #expect(NumberNormaliser.parse("") == nil)
    }

    @Test func foldingAndOrdinals() {
        #expect(TextFolding.fold("Élodie Straße Cœur") == "elodie strasse coeur")
        #expect(CanonicalField.allCases.enumerated().allSatisfy { $0.offset == $0.element.ordinal })
    }
}

@Suite struct TrimTests {
    /// The byte-level trim must agree with Foundation's on the blanks it handles.
    @Test(arguments: ["  a ", "\u{00A0}Zoé\u{00A0}", "\u{FEFF}Email", "x\u{202F}", "\t\n é \r\n", "", "   ", "é", "a b", "\u{00A0}", "Noël "])
    func agreesWithFoundation(_ text: String) {
        let blanks = CharacterSet.whitespacesAndNewlines.union(CharacterSet(charactersIn: "\u{00A0}\u{202F}\u{FEFF}"))
        #expect(TextFolding.trim(text) == text.trimmingCharacters(in: blanks))
    }
}

/// FNV-1a 64's published test vectors: stored checksums and block keys depend on these exact values.
@Suite struct FNV1aTests {
    @Test func knownAnswers() {
        for (text, expected) in [("", "cbf29ce484222325"), ("a", "af63dc4c8601ec8c"), ("foobar", "85944171f73967e8")] {
            var hash = FNV1a()
            hash.add(text.utf8)
            #expect(hash.hex == expected, "\(text)")
            var bytes = FNV1a()
            Array(text.utf8).withUnsafeBufferPointer { bytes.add($0) }
            #expect(bytes.value == hash.value)
            var raw = FNV1a()
            Array(text.utf8).withUnsafeBytes { raw.add($0) }
            #expect(raw.hex == expected, "raw buffer path, \(text)")
        }
    }
}

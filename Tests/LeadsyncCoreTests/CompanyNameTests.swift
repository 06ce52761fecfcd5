import LeadsyncCore
import Testing

/// Company names without a domain: their words (ISO 20275 legal forms stripped), one-typo tolerance, and
/// when two names join as one firm given the store's word counts.
@Suite struct CompanyNameTests {
    @Test func legalFormsOfManyJurisdictionsLeaveTheName() {
        #expect(CompanyWords.of("Koninklijke Philips Electronics N.V.") == ["koninklijke", "philips", "electronics"])
        #expect(CompanyWords.of("Philips Electronics Nederland B.V.") == ["philips", "electronics", "nederland"])
        #expect(CompanyWords.of("Meinberg Funkuhren GmbH & Co. KG") == ["meinberg", "funkuhren"])
        #expect(CompanyWords.of("Nokia Oyj") == ["nokia"])
        #expect(CompanyWords.of("Budimex Sp. z o.o.") == ["budimex"])
        #expect(CompanyWords.of("Fiat S.p.A.") == ["fiat"])
        #expect(CompanyWords.of("Atlassian Pty Ltd") == ["atlassian"])
        #expect(CompanyWords.of("Toyota K.K.") == ["toyota"])
        #expect(CompanyWords.of("Telefónica S.A.U.") == ["telefonica"])
        // Little words go, and each word counts once; a name that is only a legal form keeps it.
        #expect(CompanyWords.of("The University of Aberdeen") == ["university", "aberdeen"])
        #expect(CompanyWords.of("AB") == ["ab"])
        #expect(CompanyWords.of("  ") == [])
    }

    @Test func oneTypoInALongWord() {
        #expect(CompanyNameComparison.isOneTypo("mcrosoft", "microsoft"))   // dropped
        #expect(CompanyNameComparison.isOneTypo("mavenier", "mavenir"))     // added
        #expect(CompanyNameComparison.isOneTypo("philsp", "philps"))        // swapped
        #expect(CompanyNameComparison.isOneTypo("motorola", "motorala"))    // changed
        #expect(CompanyNameComparison.isOneTypo("networks", "network"))     // a plural
        #expect(!CompanyNameComparison.isOneTypo("american", "america"))    // another word, not a typo
        #expect(!CompanyNameComparison.isOneTypo("apnic", "afnic"))         // too short to tell
        #expect(!CompanyNameComparison.isOneTypo("microsoft", "microsoft"))
        #expect(!CompanyNameComparison.isOneTypo("motorola", "mororala"))   // two changes
    }

    /// A store of 1,000 name-only accounts in which "group", "research" and "japan" are common words.
    let counts = CompanyWordCounts(accounts: 1000, counts: ["group": 80, "research": 40, "japan": 30, "electronics": 25,
                                                            "philips": 3, "microsoft": 2, "bell": 4, "labs": 20])

    func joins(_ a: String, _ b: String) -> Bool {
        CompanyNameComparison(CompanyWords.of(a), CompanyWords.of(b), counts: counts).joins
    }

    @Test func aRareSharedWordJoinsNamesOfOneFirm() {
        #expect(joins("PHILIPS", "Koninklijke Philips Electronics N.V."))      // one name within the other
        #expect(joins("Microsoft Japan", "Microsoft Research"))                 // the same first, rare word
        #expect(joins("Mcrosoft Japan", "Microsoft Research"))                  // with a typo
        let comparison = CompanyNameComparison(CompanyWords.of("Mcrosoft"), CompanyWords.of("Microsoft Research"), counts: counts)
        #expect(comparison.evidence.count == 1 && comparison.evidence[0].hasPrefix("mcrosoft~microsoft "), "\(comparison.evidence)")
    }

    @Test func commonWordsAloneNeverJoin() {
        #expect(!joins("Research Group", "Research Group Japan"))   // every shared word is common
        #expect(!joins("Electronics Group", "Philips Electronics"))
        #expect(!joins("Bell Labs", "Philips Labs"))                 // a rare word each, not shared
        #expect(!joins("Alpha Bell Research Labs", "Omega Bell"))    // a rare word shared, but little else
        #expect(!joins("Acme 1234", "Globex 1234"))                  // a number is not a name
        #expect(!joins("Philips 1234", "Philips 5678"))              // and two numbers say two firms
        #expect(joins("Philips 1234", "Philips 1234 Electronics"))
    }

    @Test func weightsFollowTheCounts() {
        #expect(counts.weight("philips") > counts.weight("electronics"))
        #expect(counts.weight("unseen") > counts.weight("philips"))
        #expect(counts.isDistinctive("philips") && !counts.isDistinctive("group"))
        var grown = counts
        grown.add(["philips"])
        #expect(grown.accounts == 1001 && grown.counts["philips"] == 4)
    }
}

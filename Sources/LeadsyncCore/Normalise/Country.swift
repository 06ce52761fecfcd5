/// Country names and codes, in English, French and German, to ISO 3166 alpha-2.
public enum CountryNormaliser {
    private static let table: [String: String] = {
        var table: [String: String] = [:]
        let entries: [(String, [String])] = [
            ("FR", ["france", "fra", "french republic", "republique francaise"]),
            ("DE", ["germany", "deu", "allemagne", "deutschland", "ger"]),
            ("GB", ["united kingdom", "uk", "gbr", "royaume uni", "great britain", "grande bretagne",
                    "england", "angleterre", "scotland", "ecosse", "wales", "pays de galles", "northern ireland",
                    "vereinigtes konigreich"]),
            ("BE", ["belgium", "belgique", "belgien", "bel", "belgie"]),
            ("CH", ["switzerland", "suisse", "schweiz", "che", "svizzera"]),
            ("LU", ["luxembourg", "lux", "luxemburg"]),
            ("NL", ["netherlands", "pays bas", "nld", "niederlande", "holland", "the netherlands"]),
            ("ES", ["spain", "espagne", "esp", "spanien", "espana"]),
            ("IT", ["italy", "italie", "ita", "italien", "italia"]),
            ("PT", ["portugal", "prt"]),
            ("AT", ["austria", "autriche", "aut", "osterreich"]),
            ("IE", ["ireland", "irlande", "irl"]),
            ("US", ["united states", "usa", "us", "etats unis", "united states of america", "vereinigte staaten"]),
            ("CA", ["canada", "can", "kanada"]),
            ("MA", ["morocco", "maroc", "mar", "marokko"]),
            ("TN", ["tunisia", "tunisie", "tun"]),
            ("DZ", ["algeria", "algerie", "dza"]),
            ("SN", ["senegal", "sen"]),
            ("CI", ["cote d ivoire", "ivory coast", "civ"]),
            ("MC", ["monaco", "mco"]),
            ("PL", ["poland", "pologne", "pol", "polen"]),
            ("SE", ["sweden", "suede", "swe", "schweden"]),
            ("DK", ["denmark", "danemark", "dnk", "danemark"]),
            ("NO", ["norway", "norvege", "nor", "norwegen"]),
            ("FI", ["finland", "finlande", "fin", "finnland"]),
            ("CZ", ["czech republic", "czechia", "republique tcheque", "cze", "tschechien"]),
            ("RO", ["romania", "roumanie", "rou", "rumanien"]),
            ("GR", ["greece", "grece", "grc", "griechenland"]),
            ("JP", ["japan", "japon", "jpn"]),
            ("CN", ["china", "chine", "chn"]),
            ("IN", ["india", "inde", "ind", "indien"]),
            ("BR", ["brazil", "bresil", "bra", "brasilien"]),
            ("AU", ["australia", "australie", "aus", "australien"]),
        ]
        for (code, names) in entries {
            table[code.lowercased()] = code
            for name in names { table[name] = code }
        }
        return table
    }()

    /// ISO alpha-2, or nil when the value names no country we know.
    public static func isoCode(_ raw: String) -> String? {
        let key = TextFolding.tokens(raw).joined(separator: " ")
        guard !key.isEmpty else { return nil }
        return table[key]
    }
}

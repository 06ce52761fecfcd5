/// Whether a person agreed to be contacted: what the `consent` column means once read.
public enum ConsentStatus: String, Sendable, CaseIterable {
    /// A yes, an opt-in time or a legal basis (legitimate interest, contract, consent…).
    case granted
    /// A no: "non", "nein", "false", "opt-out", "refusé"… Disqualifies the lead, but is not an opt-out: a later
    /// record with a granted consent requalifies it (only `opted_out` suppresses).
    case refused
    /// Absent, or text that says neither ("not applicable").
    case unknown
}

/// Reads consent columns as exports spell them, in the languages leadsync reads (English, French, German).
///
/// The stored value keeps the basis as text: a granted consent keeps its legal basis ("Legitimate interest –
/// existing customer") or its opt-in time (ISO 8601); a bare yes becomes `granted`, any refusal `refused`.
/// Text that says neither is kept as it came, and its status is `unknown`.
public enum ConsentNormaliser {
    /// The value to store for a raw consent cell.
    public static func normalise(_ raw: String, dates: DateNormaliser) -> String {
        let folded = TextFolding.fold(TextFolding.trim(raw))
        switch classify(folded: folded) {
        case .refused?: return ConsentStatus.refused.rawValue
        case .granted? where grantWords.contains(folded): return ConsentStatus.granted.rawValue
        case .granted?: return raw
        case .unknown?: return raw
        case nil:
            // An opt-in or confirmation time ("2026-10-01 10:00:00", epoch seconds): the moment consent was given.
            return dates.normalise(raw, format: nil) ?? raw
        }
    }

    /// The status of a stored value (a normalised one, or raw text from a store written before consent was read).
    public static func status(of value: String?) -> ConsentStatus {
        guard let value else { return .unknown }
        if value == ConsentStatus.granted.rawValue { return .granted }
        if value == ConsentStatus.refused.rawValue { return .refused }
        if looksLikeTimestamp(value) { return .granted }
        return classify(folded: TextFolding.fold(TextFolding.trim(value))) ?? .unknown
    }

    /// nil when the text is none of the known words or phrases (it may still be a timestamp).
    static func classify(folded text: String) -> ConsentStatus? {
        if text.isEmpty || neitherWords.contains(text) { return .unknown }
        // "Consentement : non", "Opt-in: yes": the answer after the label decides.
        if let colon = text.lastIndex(of: ":") {
            let answer = TextFolding.trim(String(text[text.index(after: colon)...]))
            if refusalWords.contains(answer) { return .refused }
            if grantWords.contains(answer) { return .granted }
        }
        if refusalWords.contains(text) { return .refused }
        if refusalPrefixes.contains(where: { text.hasPrefix($0) }) { return .refused }
        if refusalMarkers.contains(where: { contains(text, $0) }) { return .refused }
        if grantWords.contains(text) { return .granted }
        if legalBases.contains(where: { contains(text, $0) }) { return .granted }
        return nil
    }

    /// A byte search: `String.contains` goes through Foundation's locale-aware search on Linux, which cost
    /// 2% of a sync when every qualification classified a legal basis this way.
    static func contains(_ text: String, _ needle: String) -> Bool {
        var text = text, needle = needle
        return text.withUTF8 { haystack in
            needle.withUTF8 { pattern in
                guard pattern.count <= haystack.count, let first = pattern.first else { return pattern.isEmpty }
                var i = 0
                let last = haystack.count - pattern.count
                while i <= last {
                    if haystack[i] == first {
                        var j = 1
                        while j < pattern.count && haystack[i + j] == pattern[j] { j += 1 }
                        if j == pattern.count { return true }
                    }
                    i += 1
                }
                return false
            }
        }
    }

    /// `2026-10-01T10:00:00Z` as the normaliser writes it, or a date as an export gives it: digits first.
    static func looksLikeTimestamp(_ value: String) -> Bool {
        var digits = 0
        for byte in value.utf8.prefix(4) where byte >= 0x30 && byte <= 0x39 { digits += 1 }
        return digits == 4 && value.utf8.count >= 8 && value.utf8.contains(where: { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ".") })
    }

    // Folded (lower case, no accents): "refusé" is "refuse", "Intérêt légitime" is "interet legitime".
    static let neitherWords: Set<String> = ["not applicable", "n/a", "na", "none", "unknown", "inconnu", "non applicable",
                                            "sans objet", "unbekannt", "-", "?"]
    static let refusalWords: Set<String> = [
        "no", "non", "nein", "n", "false", "faux", "0", "off", "unchecked", "refused", "refuse", "refusee", "refusal",
        "declined", "denied", "withdrawn", "revoked", "opt-out", "opt out", "optout", "opted out", "opted-out",
        "unsubscribed", "desinscrit", "desinscrite", "desabonne", "desabonnee", "abgemeldet", "abgelehnt", "widerrufen",
        "verweigert", "keine", "kein", "nicht erteilt",
    ]
    /// "no consent", "non merci", "pas de consentement", "kein Interesse", "sans consentement", "not given".
    static let refusalPrefixes = ["no ", "non ", "not ", "pas ", "kein ", "keine ", "sans ", "without ", "nicht "]
    static let refusalMarkers = ["withdraw", "revoke", "retire", "widerruf", "opt-out", "opt out", "optout", "opted out",
                                 "unsubscrib", "desinscri", "desabonn", "refus", "declined", "denied", "abgelehnt"]
    static let grantWords: Set<String> = [
        "yes", "y", "oui", "o", "ja", "j", "true", "vrai", "1", "on", "x", "checked", "granted", "given", "accepted",
        "accepte", "acceptee", "agreed", "d'accord", "ok", "opt-in", "opt in", "optin", "opted in", "opted-in",
        "double opt-in", "subscribed", "abonne", "abonnee", "confirmed", "confirme", "confirmee", "einverstanden",
        "zugestimmt", "erteilt",
    ]
    /// GDPR article 6 bases as CRMs name them (HubSpot's "Legitimate interest – prospect/lead", "Performance of a
    /// contract", "Freely given consent from contact"), in English, French and German.
    static let legalBases = [
        "consent", "einwilligung", "legitimate interest", "interet legitime", "berechtigtes interesse", "contract",
        "contrat", "vertrag", "legal obligation", "obligation legale", "rechtliche verpflichtung", "vital interest",
        "interet vital", "public interest", "interet public", "opt-in", "optin", "double opt",
    ]
}

/// What links a lead to its account: the registrable domain of a non-free email, else of the website; failing
/// both, the company match key plus country. One definition, used per record by the normaliser and per merged
/// lead by the batch processor.
public struct AccountKeys: Sendable, Equatable {
    public var isFreeMail: Bool
    public var domain: String?
    public var companyKey: String?
    public var country: String?

    /// - Parameter registrable: host → registrable domain (libpsl), possibly cached by the caller.
    public init(fields: LeadFields, freeMailDomains: Set<String>, registrable: (String) -> String?) {
        let emailDomain = fields[.email].flatMap(EmailNormaliser.domain(of:))
        isFreeMail = emailDomain.map { freeMailDomains.contains($0) } ?? false
        if let emailDomain, !isFreeMail { domain = registrable(emailDomain) }
        if domain == nil, let site = fields[.website], let siteDomain = registrable(site), !freeMailDomains.contains(siteDomain) {
            domain = siteDomain
        }
        companyKey = fields[.company].flatMap(CompanyNormaliser.matchKey)
        country = fields[.country]
    }

    /// `domain:REGISTRABLE` or `company:MATCHKEY|COUNTRY`; nil when neither is known (free mail, no company).
    public var accountKey: String? {
        domain.map { "domain:" + $0 } ?? companyKey.map { Self.nameKey(companyKey: $0, country: country) }
    }

    /// The key of a name-only account: `company:MATCHKEY|COUNTRY`.
    public static func nameKey(companyKey: String, country: String?) -> String {
        "company:" + companyKey + "|" + (country ?? "")
    }

    /// The folded last name that, with an E.164 phone, is a matching key.
    public static func lastNameKey(_ lastName: String) -> String {
        TextFolding.tokens(lastName).joined(separator: " ")
    }
}

import Foundation

/// Settings the normaliser needs from the main config.
public struct NormaliserSettings: Sendable {
    public var defaultRegion: String
    public var timeZone: TimeZone
    public var freeMailDomains: Set<String>

    public init(defaultRegion: String = "FR", timeZone: TimeZone = TimeZone(identifier: "Europe/Paris")!,
                extraFreeMailDomains: Set<String> = []) {
        self.defaultRegion = defaultRegion; self.timeZone = timeZone
        self.freeMailDomains = FreeMailDomains.builtin.union(extraFreeMailDomains)
    }
}

/// A record with clean values and the keys matching needs.
public struct NormalisedRecord: Sendable {
    public var ref: RecordRef
    public var fields: LeadFields
    public var extra: [String: String]
    /// Free-mail flag, account domain and company key, computed once here.
    public var account: AccountKeys
    /// Folded last name, the companion of the phone in the phone match key.
    public var lastNameKey: String?
    /// Sortable survivorship key (see `FieldSource.recency`).
    public var recency: String
    /// What fuzzy matching compares, with its blocking keys. Made here, where records are normalised (the
    /// reader thread, beside the batch being matched and written), not once by the prefetch and again by
    /// matching in the batch's transaction. It follows from the values above, which nothing changes later.
    public let profile: MatchProfile

    public init(ref: RecordRef, fields: LeadFields, extra: [String: String], account: AccountKeys, lastNameKey: String?, recency: String) {
        self.ref = ref; self.fields = fields; self.extra = extra; self.account = account; self.lastNameKey = lastNameKey; self.recency = recency
        profile = MatchProfile(ref: ref, fields: fields, lastNameKey: lastNameKey, accountKey: account.accountKey)
    }

    /// The connector-scoped identity of the source record: its external id, else its email, else its phone.
    public var identity: String {
        if let id = fields[.external_id] { return "ext:" + id }
        if let email = fields[.email] { return "email:" + email }
        return "phone:" + PhoneNormaliser.matchKey(fields[.phone] ?? fields[.mobile] ?? "")
    }
}

/// Why a record was refused during normalisation.
public struct Rejection: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Turns mapped records into normalised ones. Pure apart from its caches; one instance per pipeline.
public final class Normaliser {
    public let settings: NormaliserSettings
    public let phones = PhoneNormaliser()
    private let dates: DateNormaliser
    private var domainCache: [String: String?] = [:]

    public init(settings: NormaliserSettings) {
        self.settings = settings
        dates = DateNormaliser(timeZone: settings.timeZone)
    }

    /// - Parameter fallbackTime: ISO time standing in for the record's own time in the recency key (the file's time).
    /// - Parameter version: the version of the file or page the record was read from (`Recency.version(of:)`).
    public func normalise(_ mapped: MappedRecord, ref: RecordRef, fallbackTime: String, version: String = Recency.unversioned,
                          sequence: Int64) -> Result<NormalisedRecord, Rejection> {
        var fields = LeadFields()
        var extra = mapped.extra
        let raw = mapped.raw

        for field in [CanonicalField.first_name, .last_name, .company, .job_title, .city, .region, .industry,
                      .source, .external_id, .marketing_status] {
            if let value = raw[field] { fields[field] = collapseSpaces(value) }
        }
        if let consent = raw[.consent] { fields[.consent] = ConsentNormaliser.normalise(collapseSpaces(consent), dates: dates) }
        if let postal = raw[.postal_code] { fields[.postal_code] = postal.uppercased().filter { $0 != " " } }
        if let urgency = raw[.urgency] { fields[.urgency] = TextFolding.fold(urgency) }
        if let country = raw[.country] {
            if let iso = CountryNormaliser.isoCode(country) { fields[.country] = iso } else { extra["country_raw"] = country }
        }
        if let email = raw[.email] {
            switch EmailNormaliser.normalise(email) {
            case .success(let value): fields[.email] = value
            case .failure(let failure): return .failure(Rejection("\(failure) (email column)"))
            }
        }
        let region = fields[.country] ?? settings.defaultRegion
        for field in [CanonicalField.phone, .mobile] {
            guard let value = raw[field] else { continue }
            switch phones.normalise(value, region: region) {
            case .success(let e164): fields[field] = e164
            case .failure(let failure): extra["\(field.rawValue)_invalid"] = "\(value) (\(failure))"
            }
        }
        if let website = raw[.website] {
            if let host = DomainNormaliser.host(fromWebsite: website) { fields[.website] = host }
            else { extra["website_invalid"] = website }
        }
        for field in [CanonicalField.employees, .annual_revenue, .budget] {
            guard let value = raw[field] else { continue }
            if let number = NumberNormaliser.parse(value) { fields[field] = NumberNormaliser.format(number) }
            else { extra["\(field.rawValue)_invalid"] = value }
        }
        if let optedOut = raw[.opted_out] {
            if let flag = BooleanNormaliser.parse(optedOut) { fields[.opted_out] = flag ? "true" : "false" }
            else { extra["opted_out_invalid"] = optedOut }
        }
        if let created = raw[.created_at] {
            if let iso = dates.normalise(created, format: mapped.dateFormats[.created_at]) { fields[.created_at] = iso }
            else { extra["created_at_invalid"] = created }
        }

        guard fields[.email] != nil || fields[.phone] != nil || fields[.mobile] != nil else {
            let hadPhone = raw[.phone] != nil || raw[.mobile] != nil
            return .failure(Rejection(hadPhone ? "no email and the phone is invalid: cannot identify the person"
                                               : "no email and no phone: cannot identify the person"))
        }

        // The record's own last edit, when the export says it: it orders versions of one record and records of one person.
        var lastModified: String?
        if let modified = mapped.lastModified {
            if let iso = dates.normalise(modified, format: mapped.lastModifiedFormat) { lastModified = iso }
            else { extra["last_modified_invalid"] = modified }
        }
        let recency = Recency.key(time: lastModified ?? fields[.created_at] ?? fallbackTime, version: version, line: sequence)
        return .success(NormalisedRecord(
            ref: ref, fields: fields, extra: extra,
            account: AccountKeys(fields: fields, freeMailDomains: settings.freeMailDomains, registrable: registrable),
            lastNameKey: fields[.last_name].map(AccountKeys.lastNameKey),
            recency: recency))
    }

    private func registrable(_ host: String) -> String? {
        if let cached = domainCache[host] { return cached }
        let value = DomainNormaliser.registrable(host: host)
        // Bounded, so memory does not grow with the number of distinct companies in a large file.
        if domainCache.count >= 50_000 { domainCache.removeAll(keepingCapacity: true) }
        domainCache[host] = value
        return value
    }

    private func collapseSpaces(_ text: String) -> String {
        // A byte scan: Foundation's String.contains costs microseconds, and this runs on every field.
        var previousSpace = false
        var needsWork = false
        for byte in text.utf8 {
            if byte == 0x09 || byte == 0x0A || byte == 0x0D || (byte == 0x20 && previousSpace) { needsWork = true; break }
            previousSpace = byte == 0x20
        }
        guard needsWork else { return text }
        return text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).joined(separator: " ")
    }
}

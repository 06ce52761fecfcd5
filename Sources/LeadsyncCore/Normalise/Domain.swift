import CPSL

/// Registrable domains through libpsl, the Public Suffix List library curl uses: `www.shop.co.uk` → `shop.co.uk`.
public enum DomainNormaliser {
    // psl_builtin() is NULL when Debian builds libpsl without embedded data; the packaged list is then used.
    nonisolated(unsafe) private static let context: OpaquePointer? = psl_builtin() ?? psl_latest(nil)

    /// The host part of a website value: scheme, credentials, port, path and trailing dot removed.
    public static func host(fromWebsite raw: String) -> String? {
        var text = Substring(TextFolding.trim(raw).lowercased())
        if let scheme = text.range(of: "://") { text = text[scheme.upperBound...] }
        if let slash = text.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { text = text[..<slash] }
        if let at = text.lastIndex(of: "@") { text = text[text.index(after: at)...] }
        if let colon = text.firstIndex(of: ":") { text = text[..<colon] }
        while text.hasSuffix(".") { text = text.dropLast() }
        guard text.utf8.contains(0x2E), !text.utf8.contains(0x20) else { return nil }
        return String(text)
    }

    /// The registrable domain (eTLD+1) of a host, or nil for public suffixes, IPs and junk.
    public static func registrable(host: String) -> String? {
        guard let context else { return nil }
        // libpsl returns a pointer into the input, so the copy must happen while the C string is alive.
        return host.withCString { input in psl_registrable_domain(context, input).map { String(cString: $0) } }
    }
}

/// Email normalisation: trim, lowercase, syntax check, free-mail flag.
public enum EmailNormaliser {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case invalid(String)
        public var description: String {
            switch self { case .invalid(let why): return "invalid email: \(why)" }
        }
    }

    /// Returns the address in canonical form, or why it is not an address.
    public static func normalise(_ raw: String) -> Result<String, Failure> {
        var text = TextFolding.trim(raw)
        if text.hasPrefix("<"), text.hasSuffix(">") { text = String(text.dropFirst().dropLast()) }
        if text.lowercased().hasPrefix("mailto:") { text = String(text.dropFirst(7)) }
        text = text.lowercased()
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .failure(.invalid(parts.count < 2 ? "no @" : "more than one @")) }
        let local = parts[0], domain = parts[1]
        guard !local.isEmpty, local.utf8.count <= 64 else { return .failure(.invalid("empty or overlong local part")) }
        guard local.first != ".", local.last != ".", !zip(local.utf8, local.utf8.dropFirst()).contains(where: { $0 == 0x2E && $1 == 0x2E }) else {
            return .failure(.invalid("misplaced dot in local part"))
        }
        for byte in local.utf8 where !isLocalByte(byte) {
            return .failure(.invalid("character not allowed in local part"))
        }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return .failure(.invalid("domain has no dot")) }
        for label in labels {
            guard !label.isEmpty, label.utf8.count <= 63, label.first != "-", label.last != "-",
                  label.utf8.allSatisfy({ isDomainByte($0) }) else {
                return .failure(.invalid("malformed domain"))
            }
        }
        guard let tld = labels.last, tld.count >= 2, tld.utf8.allSatisfy({ $0 >= 0x61 && $0 <= 0x7A }) else {
            return .failure(.invalid("malformed top-level domain"))
        }
        return .success(text)
    }

    /// The part after `@` of a normalised address.
    public static func domain(of email: String) -> String? {
        email.firstIndex(of: "@").map { String(email[email.index(after: $0)...]) }
    }

    private static func isLocalByte(_ b: UInt8) -> Bool {
        switch b {
        case 0x61...0x7A, 0x30...0x39: return true
        case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "'"),
             UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "*"), UInt8(ascii: "/"), UInt8(ascii: "="), UInt8(ascii: "?"), UInt8(ascii: "^"),
             UInt8(ascii: "`"), UInt8(ascii: "{"), UInt8(ascii: "|"), UInt8(ascii: "}"), UInt8(ascii: "~"):
            return true
        default: return false
        }
    }

    private static func isDomainByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "-")
    }
}

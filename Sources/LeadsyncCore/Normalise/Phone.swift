import CPhoneNumber

/// Phone numbers to E.164 ("+33145678900"), with Google's libphonenumber as the reference.
///
/// libphonenumber costs about 17 µs a number, too slow on its own for a million leads, so French numbers
/// (most of our volume) take a fast path: the digits are reshaped by hand and their validity is asked of
/// libphonenumber once per 4-digit national prefix, then cached. `PhoneDifferentialTests` checks on
/// thousands of varied numbers that both paths agree. Not thread-safe: one instance per pipeline.
public final class PhoneNormaliser {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case unparsable, invalid
        public var description: String {
            switch self {
            case .unparsable: return "not a phone number"
            case .invalid: return "not a valid number for its country"
            }
        }
    }

    private var frenchPrefixValid: [Int: Bool] = [:]
    public private(set) var fastPathHits = 0

    public init() {}

    /// - Parameter region: ISO 3166 alpha-2 the number is dialled from when it has no country code.
    public func normalise(_ raw: String, region: String) -> Result<String, Failure> {
        if let fast = fastFrench(raw, region: region) {
            fastPathHits += 1
            return fast
        }
        return Self.reference(raw, region: region)
    }

    /// The libphonenumber answer, with the extension (if any) appended as `;ext=N`.
    public static func reference(_ raw: String, region: String) -> Result<String, Failure> {
        var e164 = [CChar](repeating: 0, count: 32)
        var ext = [CChar](repeating: 0, count: 64)
        let rc = lsync_phone_to_e164(raw, region, &e164, e164.count, &ext, ext.count)
        switch Int(rc) {
        case Int(LSYNC_PHONE_OK):
            let number = e164.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            let extension_ = ext.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            return .success(extension_.isEmpty ? number : "\(number);ext=\(extension_)")
        case Int(LSYNC_PHONE_INVALID): return .failure(.invalid)
        default: return .failure(.unparsable)
        }
    }

    /// The E.164 part of a stored phone, without any extension: the matching key.
    public static func matchKey(_ phone: String) -> String {
        phone.split(separator: ";", maxSplits: 1).first.map(String.init) ?? phone
    }

    /// Handles `+33 1 45 ..`, `+33 (0)1 ..`, `0033 1 ..`, `01.45..`, `06-12-..` when dialled in France.
    /// Returns nil to defer to libphonenumber for anything else (letters, extensions, other countries).
    private func fastFrench(_ raw: String, region: String) -> Result<String, Failure>? {
        var digits: [UInt8] = []
        digits.reserveCapacity(16)
        var plus = false
        for byte in raw.utf8 {
            switch byte {
            case 0x30...0x39: digits.append(byte &- 0x30)
            case UInt8(ascii: "+") where digits.isEmpty && !plus: plus = true
            case UInt8(ascii: " "), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "("), UInt8(ascii: ")"),
                 UInt8(ascii: "/"), UInt8(ascii: "\t"):
                continue
            default: return nil
            }
        }
        var national: ArraySlice<UInt8>
        if plus, digits.starts(with: [3, 3]) {
            national = digits.dropFirst(2)
        } else if !plus, digits.starts(with: [0, 0, 3, 3]) {
            national = digits.dropFirst(4)
        } else if !plus, region == "FR", digits.count == 10, digits.first == 0 {
            national = digits.dropFirst(1)
        } else {
            return nil
        }
        // "+33 (0)1 45 .." carries the trunk 0 that must not be dialled after the country code.
        if national.count == 10, national.first == 0 { national = national.dropFirst() }
        // 08 numbers (special tariffs) are valid on finer prefixes than 4 digits: leave them to libphonenumber.
        guard national.count == 9, national.first != 0, national.first != 8 else { return nil }
        let prefix = national.prefix(4).reduce(0) { $0 * 10 + Int($1) }
        let valid: Bool
        if let cached = frenchPrefixValid[prefix] {
            valid = cached
        } else {
            let probe = "+33" + String(decoding: national.map { $0 + 0x30 }, as: UTF8.self)
            valid = (try? Self.reference(probe, region: "FR").get()) != nil
            frenchPrefixValid[prefix] = valid
        }
        guard valid else { return .failure(.invalid) }
        var out = "+33"
        out.reserveCapacity(12)
        out.append(contentsOf: String(decoding: national.map { $0 + 0x30 }, as: UTF8.self))
        return .success(out)
    }
}

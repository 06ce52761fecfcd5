/// FNV-1a, 64 bits: tells two contents apart (drops, feed pages, reading settings) and hashes blocking keys.
/// Not cryptographic.
public struct FNV1a: Sendable {
    public var value: UInt64 = 0xcbf29ce484222325
    public init() {}
    /// Inlinable so it is specialised where it is called: unspecialised across modules, the loop went through
    /// a protocol witness per byte, and a whole-file checksum took 4% of a sync.
    @inlinable
    public mutating func add<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        var hash = value
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
        value = hash
    }
    public var hex: String { String(value, radix: 16) }
}

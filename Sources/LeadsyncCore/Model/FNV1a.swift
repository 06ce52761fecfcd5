/// FNV-1a, 64 bits: tells two contents apart (drops, feed pages, reading settings) and hashes blocking keys.
/// Not cryptographic.
public struct FNV1a: Sendable {
    public private(set) var value: UInt64 = 0xcbf29ce484222325
    public init() {}
    public mutating func add<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        for byte in bytes { value = (value ^ UInt64(byte)) &* 0x100000001b3 }
    }
    public var hex: String { String(value, radix: 16) }
}

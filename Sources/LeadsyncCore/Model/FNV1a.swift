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
    /// The same hash over a buffer, with a plain index loop: no iterator or protocol witness per byte even
    /// in a debug build, where the generic loop made a 15 MB file's checksum take seconds (and a daemon
    /// test's claim miss its deadline on a loaded machine).
    @inlinable
    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        let pointer = base.assumingMemoryBound(to: UInt8.self)
        var hash = value
        var index = 0
        let count = bytes.count
        while index < count {
            hash = (hash ^ UInt64(pointer[index])) &* 0x100000001b3
            index &+= 1
        }
        value = hash
    }
    public var hex: String { String(value, radix: 16) }
}

import Foundation
import LeadsyncFuzz

// `leadsync-fuzz TARGET [libFuzzer options] [CORPUS...]`. Built by `make fuzz` with -sanitize=fuzzer,address
// and -DFUZZING, it hands control to libFuzzer; built normally, it replays files (`leadsync-fuzz TARGET FILE...`).

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// The target, chosen once from the first argument (libFuzzer ignores arguments it does not know? No: it
/// takes them as corpus paths, so the target is removed before libFuzzer sees the arguments).
nonisolated(unsafe) var selected = FuzzTarget.csv

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selected.run(data.map { Data(bytes: $0, count: size) } ?? Data())
    return 0
}
#endif

let arguments = CommandLine.arguments
guard arguments.count >= 2, let target = FuzzTarget(rawValue: arguments[1]) else {
    FileHandle.standardError.write(Data("usage: leadsync-fuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) [options] [corpus or files]\n".utf8))
    exit(64)
}
#if FUZZING
selected = target
var rest = [arguments[0]] + arguments.dropFirst(2)
var cArguments = rest.map { strdup($0) }
var argc = CInt(cArguments.count)
cArguments.append(nil)
exit(cArguments.withUnsafeMutableBufferPointer { buffer -> CInt in
    var argv = buffer.baseAddress!
    return LLVMFuzzerRunDriver(&argc, &argv, fuzzOne)
})
#else
for path in arguments.dropFirst(2) {
    guard let data = FileManager.default.contents(atPath: path) else { continue }
    target.run(data)
}
print("replayed \(max(0, arguments.count - 2)) input(s) through \(target.rawValue)")
#endif

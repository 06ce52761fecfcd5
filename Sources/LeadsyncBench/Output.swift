import Foundation

/// The benchmark's lines, flushed as they are printed: a run of many minutes that is stopped (a time
/// limit, Ctrl-C) keeps every figure it had measured, even with its output in a file or a pipe, where the
/// C library would otherwise hold it in a buffer and lose it with the process. Shadows `Swift.print` in
/// this module (Swift 6 refuses to touch the C `stdout` global to make it line-buffered).
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    Swift.print(items.map { "\($0)" }.joined(separator: separator), terminator: terminator)
    fflush(nil)
}

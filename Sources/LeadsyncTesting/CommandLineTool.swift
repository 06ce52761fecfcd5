import Foundation

/// Runs the built `leadsync` executable as a child process, as a user or systemd would.
public struct CommandLineTool {
    public let executable: URL
    public init(executable: URL) { self.executable = executable }

    /// The `leadsync` binary next to the running test bundle (SwiftPM puts all products in one folder).
    public static func leadsync() throws -> CommandLineTool {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [folder, folder.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("leadsync")
            if FileManager.default.isExecutableFile(atPath: url.path) { return CommandLineTool(executable: url) }
        }
        struct Missing: Error, CustomStringConvertible {
            let folder: String
            var description: String { "no leadsync executable in \(folder): run `swift build` before `swift test --skip-build`" }
        }
        throw Missing(folder: folder.path)
    }

    public struct Result {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Starts the tool without waiting, for tests that kill it mid-run.
    public func start(_ arguments: [String], environment: [String: String]? = nil) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    public func run(_ arguments: [String], environment: [String: String]? = nil) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }
}

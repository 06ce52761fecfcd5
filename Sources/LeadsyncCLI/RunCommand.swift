import ArgumentParser
import Foundation
import LeadsyncDaemon
import LeadsyncEngine

struct RunDaemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run as a service: watch drop directories, poll feeds, sync continuously (systemd Type=notify).",
        discussion: """
        Watches every csv-drop and xml-drop directory with inotify (a complete file \
        is synced within about a second) and lists them every daemon.rescan_interval \
        as a safety net; polls each http-feed every `interval` with jitter, backing \
        off when it fails. One run per connector at a time, at most \
        daemon.max_concurrent_runs at once, one transaction per batch.

        systemd: READY=1 once the configuration is checked, the store migrated and \
        the watchers armed; STATUS= after each run; WATCHDOG=1 while the engine \
        makes progress; SIGHUP reloads (an invalid configuration is refused and the \
        old one kept); SIGTERM finishes the batch in flight and exits 0 (after \
        daemon.shutdown_grace the batch is rolled back; a half-read file resumes \
        from its checkpoint on the next start).

        HTTP on daemon.listen (127.0.0.1:9464): /metrics (Prometheus), /healthz, /readyz.
        Logs: one line per event on stderr, journald priorities under systemd, logfmt otherwise.

        Exit codes: 0 stopped by a signal, 2 invalid configuration, 3 store cannot \
        be opened or migrated, 70 internal error (port in use, inotify unavailable).
        """)

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let file: String
        do { file = try MainConfig.locate(explicit: options.config) } catch {
            FileHandle.standardError.write(Data("leadsync: configuration error: \(error)\n".utf8))
            throw ExitCode(Daemon.ExitCode.configuration.rawValue)
        }
        let code = await Daemon.run(configFile: file)
        if code != .stopped { throw ExitCode(code.rawValue) }
    }
}

import Foundation
import LeadsyncTesting
import Testing

/// The units in systemd/, installed by `make install`, checked by systemd's own tools.
@Suite struct SystemdUnitTests {
    /// `make install` into a scratch prefix with the binary the tests use (no release build).
    func install() throws -> TemporaryDirectory {
        let prefix = try TemporaryDirectory(prefix: "leadsync-install")
        let binary = try CommandLineTool.leadsync().executable.path
        let make = try runTool("make", ["-C", Workspace.repositoryRoot.path, "install", "PREFIX=\(prefix.url.path)",
                                        "SYSCONFDIR=\(prefix.url.path)/etc", "LEADSYNC_BIN=\(binary)"])
        #expect(make.status == 0, "make install: \(make.output)")
        return prefix
    }

    @Test func installedUnitsPassSystemdAnalyzeVerify() throws {
        let prefix = try install()
        let units = ["leadsync.service", "leadsync-sync.service", "leadsync-sync.timer"].map { prefix.path("lib/systemd/system/\($0)").path }
        let verify = try runTool("systemd-analyze", ["verify"] + units)
        #expect(verify.status == 0 && verify.output.isEmpty, "systemd-analyze verify: \(verify.output)")
        let unit = try String(contentsOf: prefix.path("lib/systemd/system/leadsync.service"), encoding: .utf8)
        #expect(unit.contains("ExecStart=\(prefix.url.path)/bin/leadsync run"))
        #expect(unit.contains("Type=notify") && unit.contains("WatchdogSec=") && unit.contains("NotifyAccess=main"))
        #expect(unit.contains("ExecReload=\(prefix.url.path)/bin/leadsync validate") && unit.contains("ExecReload=/bin/kill -HUP $MAINPID"))

        // The installed configuration is valid as shipped.
        let validate = try CommandLineTool(executable: prefix.path("bin/leadsync"))
            .run(["validate", "--config", prefix.path("etc/leadsync/leadsync.yaml").path])
        #expect(validate.status == 0, "\(validate.stderr)")
    }

    @Test func sysusersAndTmpfilesSnippetsApplyToAScratchRoot() throws {
        let prefix = try install()
        let sysusers = try runTool("systemd-sysusers", ["--root=\(prefix.url.path)", prefix.path("lib/sysusers.d/leadsync.conf").path])
        #expect(sysusers.status == 0, "\(sysusers.output)")
        let passwd = try String(contentsOf: prefix.path("etc/passwd"), encoding: .utf8)
        #expect(passwd.contains("leadsync:x:") && passwd.contains("/usr/sbin/nologin"))
        let tmpfiles = try runTool("systemd-tmpfiles", ["--root=\(prefix.url.path)", "--create", prefix.path("lib/tmpfiles.d/leadsync.conf").path])
        #expect(tmpfiles.status == 0, "\(tmpfiles.output)")
        let spool = try FileManager.default.attributesOfItem(atPath: prefix.path("var/spool/leadsync").path)
        #expect((spool[.posixPermissions] as? Int).map { $0 & 0o7777 } == 0o2770)
    }

    @Test(arguments: ["leadsync.service", "leadsync-sync.service"])
    func unitExposureIsAtMostOnePointFive(unit: String) throws {
        let path = Workspace.repositoryRoot.appendingPathComponent("systemd/\(unit)").path
        let security = try runTool("systemd-analyze", ["security", "--offline=yes", path])
        let line = try #require(security.output.split(separator: "\n").first { $0.contains("Overall exposure level") }, "\(security.output)")
        let score = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) }, "\(line)")
        #expect(score <= 1.5, "\(line)")
    }
}

import Foundation
import Testing
import LeadsyncConnectors
import LeadsyncTesting

/// Real libcurl against a real server on 127.0.0.1.
@Suite(.serialized) struct HTTPFetcherTests {
    func client(_ configure: (inout HTTPSettings) -> Void = { _ in }, attempts: Int = 4) -> (FeedClient, SleepLog) {
        var settings = HTTPSettings()
        configure(&settings)
        var retry = RetryPolicy()
        retry.attempts = attempts
        retry.baseDelay = 0.01
        let sleeps = SleepLog()
        return (FeedClient(settings: settings, retry: retry, sleep: { sleeps.add($0) }), sleeps)
    }

    final class SleepLog: @unchecked Sendable { var delays: [Double] = []; func add(_ d: Double) { delays.append(d) } }

    func body(_ response: HTTPResponse) throws -> String { try String(contentsOf: response.bodyFile, encoding: .utf8) }

    @Test func gzipAndHeaders() throws {
        let server = try FeedServer()
        let dir = try TemporaryDirectory()
        let response = try client().0.fetch(server.baseURL + "/gzip", displayURL: "gzip", headers: [:], to: dir.path("b"))
        #expect(response.status == 200)
        #expect(try body(response).contains("<prospect>"), "decompressed")
        let asked = try server.requests().last?["headers"] as? [String: String]
        #expect(asked?["accept-encoding"]?.contains("gzip") == true)
        #expect(asked?["user-agent"]?.hasPrefix("leadsync/") == true)
    }

    @Test func conditionalRequestGets304() throws {
        let server = try FeedServer()
        let dir = try TemporaryDirectory()
        let first = try client().0.fetch(server.baseURL + "/etag", displayURL: "etag", headers: [:], to: dir.path("b"))
        #expect(first.headers["etag"] == "\"v1\"")
        let second = try client().0.fetch(server.baseURL + "/etag", displayURL: "etag", headers: ["If-None-Match": "\"v1\""], to: dir.path("b"))
        #expect(second.status == 304)
    }

    @Test func retriesHonourRetryAfterAndServerErrors() throws {
        let server = try FeedServer()
        let dir = try TemporaryDirectory()
        let (c429, sleeps429) = client()
        #expect(try c429.fetch(server.baseURL + "/flaky429", displayURL: "x", headers: [:], to: dir.path("b")).status == 200)
        #expect(sleeps429.delays.count == 1 && sleeps429.delays[0] >= 1, "Retry-After: 1 was honoured: \(sleeps429.delays)")
        let (c500, sleeps500) = client()
        #expect(try c500.fetch(server.baseURL + "/flaky500", displayURL: "x", headers: [:], to: dir.path("b")).status == 200)
        #expect(sleeps500.delays.count == 3)
        #expect(sleeps500.delays[1] > sleeps500.delays[0] * 0.9, "backoff grows: \(sleeps500.delays)")
    }

    @Test func permanentErrorsFailAtOnceWithAHint() throws {
        let server = try FeedServer()
        let dir = try TemporaryDirectory()
        let (c, sleeps) = client()
        do {
            _ = try c.fetch(server.baseURL + "/auth", displayURL: "https://feed.example/auth", headers: [:], to: dir.path("b"))
            Issue.record("401 must fail")
        } catch let error as FeedError {
            #expect(error.message.contains("HTTP 401") && error.message.contains("credential"))
        }
        #expect(sleeps.delays.isEmpty, "no retry on 401")
        #expect(try c.fetch(server.baseURL + "/auth", displayURL: "x", headers: ["Authorization": "Bearer s3cr3t-t0ken"], to: dir.path("b")).status == 200)
    }

    @Test func redirectToFileIsRefused() throws {
        let server = try FeedServer()
        let dir = try TemporaryDirectory()
        #expect {
            _ = try client().0.fetch(server.baseURL + "/redirect-file", displayURL: "x", headers: [:], to: dir.path("b"))
        } throws: { error in
            (error as? FeedError)?.message.contains("only http and https") == true
        }
        #expect(!(try String(contentsOf: dir.path("b"), encoding: .utf8)).contains("root:"))
    }

    @Test func truncatedBodyIsAnErrorThenRetried() throws {
        let server = try FeedServer()
        let dir = try TemporaryDirectory()
        let (once, _) = client(attempts: 1)
        #expect {
            _ = try once.fetch(server.baseURL + "/truncated", displayURL: "x", headers: [:], to: dir.path("b"))
        } throws: { error in
            (error as? FeedError)?.message.contains("truncated") == true
        }
        #expect(try client().0.fetch(server.baseURL + "/truncated", displayURL: "x", headers: [:], to: dir.path("b")).status == 200)
    }

    @Test func slowServerTripsTheLowSpeedTimeout() throws {
        let server = try FeedServer()
        let dir = try TemporaryDirectory()
        let started = Date()
        #expect {
            _ = try client({ $0.lowSpeedBytes = 1000; $0.lowSpeedSeconds = 1 }, attempts: 1).0
                .fetch(server.baseURL + "/slow", displayURL: "x", headers: [:], to: dir.path("b"))
        } throws: { error in
            (error as? FeedError)?.message.contains("timed out") == true
        }
        #expect(Date().timeIntervalSince(started) < 8)
    }

    @Test func bodyLimit() throws {
        let server = try FeedServer()
        let dir = try TemporaryDirectory()
        #expect {
            _ = try client({ $0.maxBodyBytes = 100 }, attempts: 1).0.fetch(server.baseURL + "/pardot", displayURL: "x", headers: [:], to: dir.path("b"))
        } throws: { error in
            (error as? FeedError)?.message.contains("larger than") == true
        }
    }

    @Test func tlsWithTheTestCAAndRefusedWithout() throws {
        let server = try FeedServer(tls: true)
        let dir = try TemporaryDirectory()
        let ok = try client({ $0.caFile = server.caFile?.path }).0.fetch(server.baseURL + "/pardot", displayURL: "x", headers: [:], to: dir.path("b"))
        #expect(ok.status == 200)
        #expect {
            _ = try client(attempts: 1).0.fetch(server.baseURL + "/pardot", displayURL: "x", headers: [:], to: dir.path("b"))
        } throws: { error in
            (error as? FeedError)?.message.contains("TLS verification failed") == true
        }
    }
}

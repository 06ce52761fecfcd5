import Foundation
import Testing
import LeadsyncCore
import LeadsyncTesting

/// http-feed connectors against a real server on 127.0.0.1, through libcurl and libxml2, into real SQLite.
@Suite(.serialized) struct FeedSyncTests {
    func workspace(_ yaml: String) throws -> Workspace {
        let ws = try Workspace(connectors: [:])
        try ws.directory.write("connectors/feed.yaml", "name: feed\nkind: http-feed\nmapping: pardot-prospects\nretry: { attempts: 3, base_delay: 0.05 }\n" + yaml)
        return ws
    }

    @Test func multiPageOffsetFeed() throws {
        let server = try FeedServer()
        let ws = try workspace("url: \(server.baseURL)/pardot?total=5\npagination: { offset_param: offset, limit_param: limit, limit: 2 }\n")
        let report = try ws.sync()
        let feed = try #require(report.connectors["feed"])
        #expect((feed.received, feed.created) == (5, 5) && feed.balanced, "\(feed)")
        let refs = try ws.log(run: report.runID).map(\.recordRef)
        #expect(refs.first == "\(server.baseURL)/pardot?total=5&offset=0&limit=2#0")
        #expect(refs.last == "\(server.baseURL)/pardot?total=5&offset=4&limit=2#4")
        let offsets = try server.requests().compactMap { ($0["query"] as? [String: String])?["offset"] }
        #expect(offsets == ["0", "2", "4", "6"], "stops at the first empty page")
    }

    @Test func nextLinkFeed() throws {
        let server = try FeedServer()
        let ws = try workspace("url: \(server.baseURL)/linked?page=1\npagination: { next_link: rsp/result/next_page_url }\n")
        let report = try ws.sync()
        #expect(report.connectors["feed"]?.created == 6)
    }

    @Test func unchangedFeedCostsOne304() throws {
        let server = try FeedServer()
        let ws = try workspace("url: \(server.baseURL)/etag\n")
        let first = try ws.sync()
        #expect(first.connectors["feed"]?.created == 3)
        let second = try ws.sync()
        #expect(second.notModified == ["feed"])
        #expect(second.connectors["feed"]?.received == 0)
        #expect(try ws.log(run: second.runID).isEmpty)
        let conditional = try server.requests().last { $0["path"] as? String == "/etag" }?["headers"] as? [String: String]
        #expect(conditional?["if-none-match"] == "\"v1\"")
        #expect(try ws.store().read { try $0.runIDs() }.count == 2, "the run itself is recorded")
    }

    @Test func bearerFromEnvironmentAndPermanent401() throws {
        let server = try FeedServer()
        let ws = try workspace("url: \(server.baseURL)/auth\nauth: { type: bearer, secret: { env: LEADSYNC_TEST_TOKEN } }\n")
        setenv("LEADSYNC_TEST_TOKEN", "wrong-token", 1)
        let failed = try ws.sync()
        let message = try #require(failed.sourceFailures["feed"])
        #expect(message.contains("HTTP 401") && message.contains("credential"))
        #expect(!failed.json().contains("wrong-token"), "secrets never appear in reports")
        setenv("LEADSYNC_TEST_TOKEN", "s3cr3t-t0ken", 1)
        #expect(try ws.sync().connectors["feed"]?.created == 2)
        unsetenv("LEADSYNC_TEST_TOKEN")
    }

    @Test func apiKeyInQueryStaysOutOfTheLog() throws {
        let server = try FeedServer()
        let dir = try TemporaryDirectory()
        let secret = try dir.write("key", "k3y-in-query\n")
        let ws = try workspace("url: \(server.baseURL)/apikey\nauth: { type: api_key_query, name: api_key, secret: { file: \(secret.path) } }\n")
        let report = try ws.sync()
        #expect(report.connectors["feed"]?.created == 1)
        #expect(try ws.log().allSatisfy { !$0.recordRef.contains("k3y") })
    }

    @Test func basicAuthFromSystemdCredentialsAndHeaderKeyFromFile() throws {
        let server = try FeedServer()
        let credentials = try TemporaryDirectory()
        try credentials.write("feed-password", "p4ss w0rd\n")
        setenv("CREDENTIALS_DIRECTORY", credentials.url.path, 1)
        defer { unsetenv("CREDENTIALS_DIRECTORY") }
        let basic = try workspace("url: \(server.baseURL)/basic\nauth: { type: basic, username: leadsync, secret: { credential: feed-password } }\n")
        #expect(try basic.sync().connectors["feed"]?.created == 1)
        let key = try credentials.write("key", "h3ader-k3y")
        let header = try workspace("url: \(server.baseURL)/header-key\nauth: { type: api_key_header, name: X-API-Key, secret: { file: \(key.path) } }\n")
        #expect(try header.sync().connectors["feed"]?.created == 1)
        unsetenv("CREDENTIALS_DIRECTORY")
        let missing = try basic.sync()
        #expect(missing.sourceFailures["feed"]?.contains("CREDENTIALS_DIRECTORY") == true)
    }

    @Test func invalidItemIsRejectedAsURLHashID() throws {
        let server = try FeedServer()
        let ws = try workspace("url: \(server.baseURL)/with-invalid\n")
        let report = try ws.sync()
        let feed = try #require(report.connectors["feed"])
        #expect((feed.received, feed.created, feed.rejected) == (3, 2, 1) && feed.balanced)
        let rejected = try #require(try ws.log(run: report.runID).first { $0.action == "rejected" })
        #expect(rejected.recordRef == "\(server.baseURL)/with-invalid#999")
    }

    @Test func truncatedPageImportsNothingThenTheNextRunSucceeds() throws {
        let server = try FeedServer()
        let ws = try Workspace(connectors: [:])
        try ws.directory.write("connectors/feed.yaml", "name: feed\nkind: http-feed\nmapping: pardot-prospects\nretry: { attempts: 1 }\nurl: \(server.baseURL)/truncated\n")
        let first = try ws.sync()
        #expect(first.sourceFailures["feed"]?.contains("truncated") == true)
        #expect(try ws.leads().isEmpty && ws.log().isEmpty)
        let second = try ws.sync()
        #expect(second.connectors["feed"]?.created == 4)
    }

    @Test func errorEnvelopeFailsTheRunWithItsMessage() throws {
        let server = try FeedServer()
        let ws = try workspace("url: \(server.baseURL)/fail\n")
        let report = try ws.sync()
        #expect(report.sourceFailures["feed"]?.contains("Login failed") == true)
    }

    @Test func tlsFeedWithCustomCA() throws {
        let server = try FeedServer(tls: true)
        let ws = try workspace("url: \(server.baseURL)/gzip\ntls: { ca_file: \(server.caFile!.path) }\n")
        #expect(try ws.sync().connectors["feed"]?.created == 3)
    }
}

extension FeedSyncTests {
    @Test func validateChecksThatTheSecretIsReadable() throws {
        let ws = try workspace("url: http://127.0.0.1:9/x\nauth: { type: bearer, secret: { env: LEADSYNC_TEST_MISSING_SECRET } }\n")
        let result = try CommandLineTool.leadsync().run(["validate", "--config", ws.configPath])
        #expect(result.status == 2)
        #expect(result.stderr.contains("feed.yaml (key auth.secret): environment variable LEADSYNC_TEST_MISSING_SECRET is not set"), "\(result.stderr)")
    }
}

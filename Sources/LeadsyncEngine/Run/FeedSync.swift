import Foundation
import LeadsyncConnectors
import LeadsyncCore
import LeadsyncStore

extension SyncRunner {
    /// Syncs an http-feed connector: page by page, each page downloaded whole to a temporary file, checked
    /// to its end, then pushed through the same pipeline as a dropped file. An unchanged feed costs one
    /// conditional request answered 304. A failure leaves everything not yet committed for the next run.
    func runFeed(_ connector: ConnectorConfig, feed: FeedSettings, runID: String, now: String, options: SyncOptions,
                 report: inout SyncReport, commit: Commit) throws {
        if options.scheduledFeedPoll, !options.dryRun, configuration.main.store.sharedLeaseSeconds != nil {
            let now = Date()
            var taken = false
            // A tenth of the interval of slack: the instances' timers drift and jitter.
            try commit { tx in
                taken = try tx.takeFeedPoll(connector: connector.name, owner: InstanceIdentity.current, now: StoreTime.format(now),
                                            notBefore: StoreTime.format(now.addingTimeInterval(-feed.interval * 0.9)))
            }
            guard taken else {
                report.polledElsewhere.append(connector.name)
                return
            }
        }
        var summary = report.connectors[connector.name] ?? ConnectorSummary()
        defer { report.connectors[connector.name] = summary }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("leadsync-feed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        var headers: [String: String] = [:]
        var secretQuery: (name: String, value: String)?
        switch feed.auth {
        case .none: break
        case .bearer(let secret): headers["Authorization"] = "Bearer " + (try secret.resolve())
        case .basic(let user, let secret):
            headers["Authorization"] = "Basic " + Data("\(user):\(try secret.resolve())".utf8).base64EncodedString()
        case .apiKeyHeader(let name, let secret): headers[name] = try secret.resolve()
        case .apiKeyQuery(let name, let secret): secretQuery = (name, try secret.resolve())
        }
        let client = FeedClient(settings: feed.http, retry: feed.retry)
        if let observe = options.feedResponse { client.onResponse = { observe(connector.name, $0) } }
        let mapping = configuration.mappings[connector.mapping]!
        let recordPath = connector.recordPath ?? mapping.recordPath ?? ""
        var nextLinkPath: String?
        if case .nextLink(let path) = feed.pagination { nextLinkPath = path }

        var pageURL = Self.url(feed.url, adding: firstPageParameters(feed.pagination))
        var validators: (etag: String?, lastModified: String?)?
        try commit { tx in validators = try tx.feedValidators(connector: connector.name, url: feed.url) }
        var firstValidators: (String?, String?)?
        for page in 1...feed.maxPages {
            var request = headers
            if page == 1, let validators {
                if let etag = validators.etag { request["If-None-Match"] = etag }
                if let modified = validators.lastModified { request["If-Modified-Since"] = modified }
            }
            let fetchURL = secretQuery.map { Self.url(pageURL, adding: [($0.name, $0.value)]) } ?? pageURL
            let body = scratch.appendingPathComponent("page-\(page).xml")
            let response = try client.fetch(fetchURL, displayURL: pageURL, headers: request, to: body)
            if response.status == 304 {
                report.notModified.append(connector.name)
                return
            }
            if page == 1 { firstValidators = (response.headers["etag"], response.headers["last-modified"]) }
            let checked: (records: Int, captured: String?)
            do {
                checked = try XMLRecordReader.validate(source: try FileByteSource(path: body.path), name: pageURL, recordPath: recordPath,
                                                       errorPath: mapping.errorPath, capturePath: nextLinkPath,
                                                       maxDepth: configuration.main.limits.maxXMLDepth)
            } catch let error as XMLDocumentError {
                throw FeedError(message: "\(pageURL): \(error); nothing from this page was imported")
            }
            if checked.records == 0, page > 1 { break }  // an empty page ends page and offset pagination
            let document = Document(url: body, name: pageURL, modified: Date(), itemRefs: true, checked: true, complete: {},
                                    fail: { reason in throw FeedError(message: "\(pageURL): \(reason)") })
            try syncDocument(document, checksum: try fileChecksum(path: body.path), connector: connector, runID: runID, now: now,
                             options: options, summary: &summary, report: &report, commit: commit)
            // The run's record limit: the rest of the feed is read on the next poll (no validators saved, so
            // that poll is not answered 304).
            if report.recordLimitReached != nil { return }
            switch feed.pagination {
            case .none: break
            case .nextLink:
                guard let next = checked.captured, !next.isEmpty else { break }
                pageURL = next
                continue
            case .page(let param, let start):
                if checked.records == 0 { break }
                pageURL = Self.url(feed.url, adding: [(param, String(start + page))])
                continue
            case .offset(let param, let limitParam, let limit):
                if checked.records == 0 { break }
                pageURL = Self.url(feed.url, adding: [(param, String(page * limit))] + (limitParam.map { [($0, String(limit))] } ?? []))
                continue
            }
            break
        }
        if !options.dryRun, let firstValidators, firstValidators.0 != nil || firstValidators.1 != nil {
            try commit { tx in
                try tx.saveFeedValidators(connector: connector.name, url: feed.url, etag: firstValidators.0,
                                          lastModified: firstValidators.1, runID: runID, now: now)
            }
        }
    }

    private func firstPageParameters(_ pagination: FeedPagination) -> [(String, String)] {
        switch pagination {
        case .none, .nextLink: return []
        case .page(let param, let start): return [(param, String(start))]
        case .offset(let param, let limitParam, let limit): return [(param, "0")] + (limitParam.map { [($0, String(limit))] } ?? [])
        }
    }

    /// The URL with query parameters set (replacing same-named ones).
    static func url(_ base: String, adding parameters: [(String, String)]) -> String {
        guard !parameters.isEmpty, var components = URLComponents(string: base) else { return base }
        var items = components.queryItems ?? []
        for (name, value) in parameters {
            items.removeAll { $0.name == name }
            items.append(URLQueryItem(name: name, value: value))
        }
        components.queryItems = items
        return components.string ?? base
    }
}

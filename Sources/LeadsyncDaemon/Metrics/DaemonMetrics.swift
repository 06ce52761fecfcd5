import CoreMetrics
import Foundation
import LeadsyncCore
import LeadsyncEngine
import Prometheus

/// The daemon's Prometheus metrics. Every family is registered with help text (promtool requires it);
/// the same registry backs swift-metrics, so a library that reports through swift-metrics shows up too.
public final class DaemonMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()

    public init() {}

    /// Makes swift-metrics (`Counter(label:)`, `Timer(label:)`) write into this registry. Once per process.
    public func bootstrapMetricsSystem() {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }

    public func exposition() -> String { registry.emitToString() }

    private static let durationBuckets: [Duration] = [.milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5), .seconds(15),
                                                      .seconds(60), .seconds(300), .seconds(900), .seconds(3600)]
    private static let transactionBuckets: [Duration] = [.microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(10),
                                                         .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5)]

    private func counter(_ name: String, _ help: String, _ labels: [(String, String)]) -> Prometheus.Counter {
        registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "leadsync", metricName: name, unitName: "total", helpText: help), labels: labels)
    }

    private func gauge(_ name: String, unit: String, _ help: String, _ labels: [(String, String)]) -> Prometheus.Gauge {
        registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "leadsync", metricName: name, unitName: unit, helpText: help), labels: labels)
    }

    /// Counts one finished (or interrupted) run of one connector.
    public func record(run report: SyncReport?, connector: String, outcome: RunOutcome, duration: Duration, finishedAt: Date) {
        let labels = [("connector", connector)]
        let summary = report?.connectors[connector] ?? ConnectorSummary()
        counter("records_received", "Input records read, per connector (each gets exactly one outcome).", labels).increment(by: Int64(summary.received))
        for (action, count) in [(ReconciliationAction.created, summary.created), (.updated, summary.updated), (.unchanged, summary.unchanged),
                                (.merged, summary.merged), (.rejected, summary.rejected), (.suppressed, summary.suppressed),
                                (.unmatched, summary.unmatched)] {
            counter("records", "Input records by reconciliation outcome, per connector.", labels + [("outcome", action.rawValue)])
                .increment(by: Int64(count))
        }
        counter("leads_qualified", "Records whose lead came out qualified, per connector.", labels).increment(by: Int64(summary.qualified))
        counter("leads_handed_off", "Leads handed off to sales (once per lead), per connector.", labels)
            .increment(by: Int64(report?.handedOff[connector] ?? 0))
        counter("runs", "Connector runs by outcome (completed, failed, interrupted).", labels + [("outcome", outcome.rawValue)]).increment()
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(namespace: "leadsync", metricName: "run_duration", unitName: "seconds",
                                             helpText: "Wall time of one connector run."),
            labels: labels, buckets: Self.durationBuckets
        ).record(duration)
        if outcome == .completed {
            gauge("last_success", unit: "timestamp_seconds", "Unix time the connector last completed a run.", labels)
                .set(finishedAt.timeIntervalSince1970)
        }
    }

    /// Makes the per-connector families appear (at zero) as soon as a connector is configured.
    public func declare(connector: String) {
        let labels = [("connector", connector)]
        _ = counter("records_received", "Input records read, per connector (each gets exactly one outcome).", labels)
        for action in ReconciliationAction.allCases {
            _ = counter("records", "Input records by reconciliation outcome, per connector.", labels + [("outcome", action.rawValue)])
        }
        _ = counter("leads_qualified", "Records whose lead came out qualified, per connector.", labels)
        _ = counter("leads_handed_off", "Leads handed off to sales (once per lead), per connector.", labels)
    }

    public func filesPending(connector: String, directory: String, count: Int) {
        gauge("drop_files_pending", unit: "files", "Files waiting in a drop directory or claimed and not finished.",
              [("connector", connector), ("directory", directory)]).set(Double(count))
    }

    public func feedResponse(connector: String, status: Int) {
        counter("feed_http_responses", "HTTP responses received from feeds, by status code (retries included).",
                [("connector", connector), ("code", String(status))]).increment()
    }

    private static let deliveryBuckets: [Duration] = [.milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5),
                                                      .seconds(30), .seconds(60), .seconds(300), .seconds(1800), .seconds(3600), .seconds(86_400)]

    /// Makes a destination's families appear (at zero) as soon as it is configured.
    public func declare(destination: String) {
        for outcome in ["delivered", "retried", "failed"] {
            _ = counter("deliveries", "Outbox items by destination and outcome (a retried item counts once per failed attempt).",
                        [("destination", destination), ("outcome", outcome)])
        }
        _ = gauge("deliveries_pending", unit: "items", "Outbox items not yet delivered (due now or waiting for a retry).", [("destination", destination)])
    }

    public func delivery(destination: String, round: DeliveryRound) {
        for (outcome, count) in [("delivered", round.delivered), ("retried", round.retrying), ("failed", round.failed)] where count > 0 {
            counter("deliveries", "Outbox items by destination and outcome (a retried item counts once per failed attempt).",
                    [("destination", destination), ("outcome", outcome)]).increment(by: Int64(count))
        }
        let histogram = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(namespace: "leadsync", metricName: "delivery_latency", unitName: "seconds",
                                             helpText: "Time from a handoff's outbox item being written to the destination acknowledging it."),
            labels: [("destination", destination)], buckets: Self.deliveryBuckets)
        for latency in round.latencies { histogram.record(.milliseconds(Int64(latency * 1000))) }
    }

    public func deliveriesPending(destination: String, count: Int) {
        gauge("deliveries_pending", unit: "items", "Outbox items not yet delivered (due now or waiting for a retry).", [("destination", destination)])
            .set(Double(count))
    }

    public func storeTransaction(_ duration: Duration) {
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(namespace: "leadsync", metricName: "store_transaction", unitName: "seconds",
                                             helpText: "Time to run and commit one store transaction (one batch)."),
            labels: [], buckets: Self.transactionBuckets
        ).record(duration)
    }
}

public enum RunOutcome: String, Sendable {
    case completed, failed, interrupted
}

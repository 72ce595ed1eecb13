package dev.loomstep.devserver.metrics;

import dev.loomstep.devserver.executor.Dispatches;
import dev.loomstep.devserver.executor.Registry;
import dev.loomstep.devserver.queue.WorkQueue;
import dev.loomstep.devserver.store.FunctionRecord;
import dev.loomstep.devserver.store.RunStatus;
import dev.loomstep.devserver.store.Store;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.io.IOException;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.Map;

/**
 * The devserver's own metrics, read at scrape time from what it keeps in memory (no query per scrape):
 * the queue, the SDK calls in flight per app, the store's commits and its runs by status, and the JVM's.
 * Served as Prometheus text at {@code GET /metrics} ({@link MetricsEndpoint}).
 */
public final class DevMetrics {
    /** Commit times of a local SQLite file: from a WAL append in microseconds to an fsync in tens of milliseconds. */
    private static final double[] COMMIT_BUCKETS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter text = PrometheusTextFormatWriter.create();

    public DevMetrics(Store store, WorkQueue queue, Dispatches dispatches, Registry functions) {
        GaugeWithCallback.builder().name("loomstep_dev_queue_items")
                .help("Queue items the devserver holds in memory: waiting (due or not) and running; past the queue's window "
                        + "(10,000 items by default) more wait in the database")
                .labelNames("state")
                .callback(cb -> {
                    WorkQueue.Stats s = queue.stats();
                    cb.call(s.held(), "waiting");
                    cb.call(s.running(), "running");
                }).register(registry);
        GaugeWithCallback.builder().name("loomstep_dev_calls_in_flight")
                .help("SDK calls the executor is making now, by app")
                .labelNames("app")
                .callback(cb -> {
                    var byApp = new HashMap<String, Integer>();
                    for (Map.Entry<String, Integer> e : dispatches.inFlightByFunction().entrySet()) {
                        FunctionRecord fn = functions.function(e.getKey());
                        byApp.merge(fn == null ? "" : fn.appId(), e.getValue(), Integer::sum);
                    }
                    byApp.forEach((app, n) -> cb.call(n, app));
                }).register(registry);
        GaugeWithCallback.builder().name("loomstep_dev_runs")
                .help("Runs in the store by status")
                .labelNames("status")
                .callback(cb -> {
                    for (Map.Entry<RunStatus, Long> e : store.runCounts().entrySet()) {
                        cb.call(e.getValue(), e.getKey().name());
                    }
                }).register(registry);
        Histogram commits = Histogram.builder().name("loomstep_dev_store_commit_seconds")
                .help("How long the store's writer took to commit one transaction (a batch of units)")
                .unit(Unit.SECONDS).classicOnly().classicUpperBounds(COMMIT_BUCKETS).withoutExemplars()
                .register(registry);
        store.onCommit((units, nanos) -> commits.observe(nanos / 1e9));
        CounterWithCallback.builder().name("loomstep_dev_store_units")
                .help("Units of work the store's writer committed (each commit holds one or more)")
                .callback(cb -> cb.call(store.units())).register(registry);
        JvmMetrics.builder().register(registry);
    }

    /** The Prometheus text format's content type. */
    public String contentType() {
        return text.getContentType();
    }

    /** Writes every metric now, in the Prometheus text format. */
    public void write(OutputStream out) throws IOException {
        text.write(out, registry.scrape());
    }
}

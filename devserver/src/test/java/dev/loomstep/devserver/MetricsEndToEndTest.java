package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Function;
import dev.loomstep.NonRetriableException;
import dev.loomstep.Trigger;
import dev.loomstep.devserver.auth.ApiAccess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code GET /metrics} over real HTTP: Prometheus text whose values move with real runs of a Loomstep app
 * (runs by status, calls in flight per app, queue items, store commits, JVM basics), and the REST API's
 * gate in production mode.
 */
@Timeout(120)
class MetricsEndToEndTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** One sample line: name, optional labels, value (timestamps are not written). */
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})?\\s+(\\S+)$");

    @Test
    void metricsMoveWithRunsAndShowTheCallsInFlightPerApp() throws Exception {
        var inSlow = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        var ok = Function.builder("ok").trigger(Trigger.event("m/ok"))
                .handler(JsonNode.class, (in, step) -> step.run("one", Integer.class, () -> 1));
        var broken = Function.builder("broken").trigger(Trigger.event("m/broken"))
                .handler(JsonNode.class, (in, step) -> step.run("doomed", Integer.class, () -> {
                    throw new NonRetriableException("no");
                }));
        var slow = Function.builder("slow").trigger(Trigger.event("m/slow"))
                .handler(JsonNode.class, (in, step) -> step.run("held", Boolean.class, () -> {
                    inSlow.countDown();
                    return release.await(60, TimeUnit.SECONDS);
                }));
        try (var f = LoomstepDevServer.builder("metered").start(ok, broken, slow)) {
            Map<String, Double> before = scrape(f.dev.url(), null);
            assertEquals(0.0, before.get("loomstep_dev_runs{status=\"Completed\"}"), before.toString());
            assertEquals(0.0, before.get("loomstep_dev_runs{status=\"Running\"}"));
            assertTrue(before.containsKey("jvm_memory_used_bytes{area=\"heap\"}"), "JVM basics are there");

            f.api.awaitStatus(f.api.runOf(f.api.send("m/ok", Map.of())), "Completed");
            f.api.awaitStatus(f.api.runOf(f.api.send("m/ok", Map.of())), "Completed");
            f.api.awaitStatus(f.api.runOf(f.api.send("m/broken", Map.of())), "Failed");
            String slowRun = f.api.runOf(f.api.send("m/slow", Map.of()));
            assertTrue(inSlow.await(30, TimeUnit.SECONDS), "the slow step never started");

            Map<String, Double> during = scrape(f.dev.url(), null);
            assertEquals(2.0, during.get("loomstep_dev_runs{status=\"Completed\"}"), during.toString());
            assertEquals(1.0, during.get("loomstep_dev_runs{status=\"Failed\"}"));
            assertEquals(1.0, during.get("loomstep_dev_runs{status=\"Running\"}"));
            assertEquals(1.0, during.get("loomstep_dev_calls_in_flight{app=\"metered\"}"), during.toString());
            assertEquals(1.0, during.get("loomstep_dev_queue_items{state=\"running\"}"));
            assertTrue(during.get("loomstep_dev_store_commit_seconds_count") > before.get("loomstep_dev_store_commit_seconds_count"));
            assertTrue(during.get("loomstep_dev_store_commit_seconds_sum") > 0);
            assertTrue(during.get("loomstep_dev_store_units_total") > before.get("loomstep_dev_store_units_total"));

            release.countDown();
            f.api.awaitStatus(slowRun, "Completed");
            Map<String, Double> after = Api.await(() -> scrape(f.dev.url(), null),
                    m -> !m.containsKey("loomstep_dev_calls_in_flight{app=\"metered\"}"), "no call in flight");
            assertEquals(3.0, after.get("loomstep_dev_runs{status=\"Completed\"}"));
            assertEquals(0.0, after.get("loomstep_dev_runs{status=\"Running\"}"));

            f.dev.reset();
            assertEquals(0.0, scrape(f.dev.url(), null).get("loomstep_dev_runs{status=\"Completed\"}"), "reset forgets the runs");
        }
    }

    @Test
    void inProductionModeMetricsNeedTheRestApisKey() throws Exception {
        try (var dev = DevServer.builder().production().port(0).inMemory().signingKey(ProductionModeTest.SIGNING_KEY)
                .eventKey("k").apiAccess(ApiAccess.KEY).start()) {
            HttpResponse<String> refused = get(dev.url() + "/metrics", null);
            assertEquals(401, refused.statusCode(), refused.body());
            assertTrue(refused.body().contains("Authorization: Bearer"), refused.body());
            assertTrue(scrape(dev.url(), ProductionModeTest.SIGNING_KEY).containsKey("loomstep_dev_runs{status=\"Completed\"}"));
        }
    }

    /** Scrapes {@code /metrics} and parses the samples: {@code name{labels}} to value. */
    static Map<String, Double> scrape(String base, String bearer) {
        try {
            HttpResponse<String> r = get(base + "/metrics", bearer);
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
                    r.headers().toString());
            var samples = new HashMap<String, Double>();
            for (String line : r.body().split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                Matcher m = SAMPLE.matcher(line);
                assertTrue(m.matches(), "not a Prometheus sample line: " + line);
                samples.put(m.group(1) + (m.group(2) == null ? "" : m.group(2)), Double.parseDouble(m.group(3)));
            }
            return samples;
        } catch (Exception e) {
            throw new AssertionError("scraping " + base + "/metrics failed: " + e, e);
        }
    }

    private static HttpResponse<String> get(String url, String bearer) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}

package dev.loomstep.devserver;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** A small client of the devserver's HTTP API for tests, with polling under a deadline. */
final class Api {
    static final Duration DEADLINE = Duration.ofSeconds(15);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final String base;

    Api(DevServer dev) {
        this(dev.url());
    }

    /** A client of the devserver at {@code base}, e.g. one running in another process. */
    Api(String base) {
        this.base = base;
    }

    /** The devserver's base URL. */
    String base() {
        return base;
    }

    /** A status code and the JSON body. */
    record Response(int status, JsonNode json, String text) {}

    Response request(String method, String path, String body) {
        try {
            var b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20));
            b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
            if (body != null) {
                b.header("Content-Type", "application/json");
            }
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json = null;
            try {
                json = Json.mapper().readTree(r.body());
            } catch (Exception ignored) {
                // left null: the test asserts on the text
            }
            return new Response(r.statusCode(), json, r.body());
        } catch (Exception e) {
            throw new AssertionError(method + " " + path + " failed: " + e, e);
        }
    }

    JsonNode get(String path) {
        Response r = request("GET", path, null);
        if (r.status() != 200) {
            throw new AssertionError("GET " + path + " answered " + r.status() + ": " + r.text());
        }
        return r.json();
    }

    /** Sends one event; returns its id. */
    String send(String name, Object data) {
        return send(Json.nodes().objectNode().put("name", name).set("data", Json.toTree(data)));
    }

    String send(JsonNode event) {
        Response r = request("POST", "/e/test-key", Json.toString(event));
        if (r.status() != 200) {
            throw new AssertionError("sending " + event + " answered " + r.status() + ": " + r.text());
        }
        return r.json().get("ids").get(0).asText();
    }

    /** The id of the first run an event started, waiting until it exists. */
    String runOf(String eventId) {
        JsonNode runs = await(() -> get("/v1/events/" + eventId + "/runs").get("data"), d -> d.size() > 0,
                "a run for event " + eventId);
        return runs.get(0).get("run_id").asText();
    }

    JsonNode run(String runId) {
        return get("/v1/runs/" + runId).get("data");
    }

    /** Waits until the run has ended and returns it. */
    JsonNode finished(String runId) {
        return await(() -> run(runId), r -> !r.get("status").asText().equals("Running"), "run " + runId + " to end");
    }

    JsonNode awaitStatus(String runId, String status) {
        JsonNode r = finished(runId);
        if (!r.get("status").asText().equals(status)) {
            throw new AssertionError("run " + runId + " ended " + r.get("status").asText() + ", expected " + status + ": " + r);
        }
        return r;
    }

    /**
     * Polls the run until it ends or {@code within} passes, for runs that outlast {@link #DEADLINE} (tens
     * of MiB of state on a busy machine); on another status, says what it saw without the step outputs
     * ({@code what} names the run in that message).
     */
    JsonNode awaitEnd(String runId, String status, Duration within, String what) {
        long deadline = System.nanoTime() + within.toNanos();
        JsonNode run = run(runId);
        while (!run.get("ended_at").isTextual() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(200); // polling interval, not a wait for an outcome
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            run = run(runId);
        }
        if (!run.get("status").asText().equals(status)) {
            throw new AssertionError(what + " " + runId + " is " + run.get("status").asText() + ", expected " + status + "; error "
                    + run.get("error") + ", steps " + run.get("steps").findValuesAsText("name") + " "
                    + run.get("steps").findValuesAsText("status"));
        }
        return run;
    }

    /**
     * Drives an hourly ({@code 0 * * * *}) cron function through two firings by moving the devserver's
     * clock to 01:00 and 02:00 (it must start before 01:00), checks each firing's event and that the first
     * scheduled the second, and returns the first firing's run (from the runs list).
     */
    JsonNode awaitHourlyCronFirings(MovableClock clock, String functionId) {
        String fn = "/v1/runs?function=" + functionId;
        org.junit.jupiter.api.Assertions.assertEquals(0, get(fn).get("data").size(), "nothing fires before 01:00 on the devserver's clock");
        clock.advanceTo(java.time.Instant.parse("2030-01-01T01:00:00Z"));
        JsonNode first = await(() -> get(fn + "&status=Completed").get("data"), d -> d.size() == 1, "the 01:00 firing").get(0);
        clock.advanceTo(java.time.Instant.parse("2030-01-01T02:00:00Z"));
        await(() -> get(fn + "&status=Completed").get("data"), d -> d.size() == 2, "the 02:00 firing, scheduled by the first");

        JsonNode event = get("/v1/events/" + first.get("event_id").asText()).get("data");
        org.junit.jupiter.api.Assertions.assertEquals("inngest/scheduled.timer", event.get("name").asText());
        org.junit.jupiter.api.Assertions.assertEquals("0 * * * *", event.get("data").get("cron").asText());
        long ts = event.get("ts").asLong();
        org.junit.jupiter.api.Assertions.assertTrue(ts >= java.time.Instant.parse("2030-01-01T01:00:00Z").toEpochMilli()
                && ts < java.time.Instant.parse("2030-01-01T02:00:00Z").toEpochMilli(), "fired at 01:00 on the clock, ts " + ts);
        org.junit.jupiter.api.Assertions.assertEquals(2, get(fn).get("data").size(), "one run per firing");
        return first;
    }

    static <T> T await(Supplier<T> probe, Predicate<T> done, String what) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        T last = null;
        while (System.nanoTime() < deadline) {
            last = probe.get();
            if (last != null && done.test(last)) {
                return last;
            }
            try {
                Thread.sleep(10); // polling interval, not a wait for an outcome
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + what);
            }
        }
        throw new AssertionError("timed out after " + DEADLINE.toSeconds() + " s waiting for " + what + "; last seen: " + last);
    }
}

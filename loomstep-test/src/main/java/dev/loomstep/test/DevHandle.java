package dev.loomstep.test;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.Loomstep;
import dev.loomstep.devserver.DevServer;
import dev.loomstep.devserver.MovableClock;
import dev.loomstep.protocol.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * What a test gets from {@link LoomstepExtension}: the app under test, served to an embedded devserver
 * and synced, with the devserver's movable clock. Every wait polls with a deadline (default 30 s).
 */
public final class DevHandle {
    private final DevServer dev;
    private final Loomstep app;
    private final MovableClock clock;
    private final HttpClient http = HttpClient.newHttpClient();
    private final Duration deadline;

    DevHandle(DevServer dev, Loomstep app, MovableClock clock, Duration deadline) {
        this.dev = dev;
        this.app = app;
        this.clock = clock;
        this.deadline = deadline;
    }

    public Loomstep app() {
        return app;
    }

    public DevServer devServer() {
        return dev;
    }

    /** Sends one event to the devserver's event API; returns its id. */
    public String send(Event event) {
        return app.send(event).get(0);
    }

    /** Moves the devserver's clock forward: sleeps, timeouts and retries that fall due run at once. */
    public void advanceTime(Duration by) {
        clock.advance(by);
    }

    /** The run the event started, once it has finished (completed, failed or cancelled). */
    public DevRun awaitRun(String eventId) {
        String runId = runOf(eventId);
        return poll("run " + runId + " to finish", () -> {
            DevRun r = run(runId);
            return r.status().equals("Running") ? null : r;
        });
    }

    /** The run the event started, once its step named {@code stepName} is recorded (e.g. waiting). */
    public DevRun awaitStep(String eventId, String stepName) {
        String runId = runOf(eventId);
        return poll("step " + stepName + " of run " + runId, () -> {
            DevRun r = run(runId);
            for (JsonNode s : r.raw().path("steps")) {
                if (stepName.equals(s.path("name").asText())) {
                    return r;
                }
            }
            return null;
        });
    }

    /** The id of the run the event started (the first, when it started several). */
    public String runOf(String eventId) {
        return poll("a run of event " + eventId, () -> {
            JsonNode runs = get("/v1/events/" + eventId + "/runs").path("data");
            return runs.size() > 0 ? runs.get(0).path("run_id").asText() : null;
        });
    }

    /** The run as the devserver shows it now. */
    public DevRun run(String runId) {
        return new DevRun(get("/v1/runs/" + runId).path("data"));
    }

    /** Every run on the devserver, newest first (empty at the start of each test: the extension resets it). */
    public java.util.List<DevRun> runs() {
        var out = new java.util.ArrayList<DevRun>();
        for (JsonNode r : get("/v1/runs?limit=1000").path("data")) {
            out.add(new DevRun(r));
        }
        return out;
    }

    /** Cancels a running run through the REST API. */
    public void cancel(String runId) {
        send(HttpRequest.newBuilder(URI.create(dev.url() + "/v1/runs/" + runId + "/cancel"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), "cancel run " + runId);
    }

    private JsonNode get(String path) {
        return send(HttpRequest.newBuilder(URI.create(dev.url() + path)).GET().build(), "GET " + path);
    }

    private JsonNode send(HttpRequest request, String what) {
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() / 100 != 2) {
                throw new IllegalStateException(what + " answered " + r.statusCode() + ": " + r.body());
            }
            return r.body().isBlank() ? Json.nodes().nullNode() : Json.mapper().readTree(r.body());
        } catch (IOException e) {
            throw new IllegalStateException(what + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + " was interrupted", e);
        }
    }

    private interface Probe<T> {
        T get();
    }

    private <T> T poll(String what, Probe<T> probe) {
        long end = System.nanoTime() + deadline.toNanos();
        while (true) {
            T found = probe.get();
            if (found != null) {
                return found;
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("no " + what + " within " + deadline);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for " + what, e);
            }
        }
    }
}

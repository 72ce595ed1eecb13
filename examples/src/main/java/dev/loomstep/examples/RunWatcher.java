package dev.loomstep.examples;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Follows runs through the devserver's REST API and prints them as they progress: each step as it
 * completes, a progress bar for wide fan-outs, then the run's outcome.
 */
final class RunWatcher {
    private static final int WIDE = 12;

    private final String devServerUrl;
    private final PrintStream out;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Map<String, String> labels = new LinkedHashMap<>();
    private final Map<String, Set<String>> printedSteps = new HashMap<>();
    private final Map<String, Integer> printedBar = new HashMap<>();
    private final Set<String> finished = new HashSet<>();
    private final Map<String, JsonNode> lastSeen = new HashMap<>();

    RunWatcher(String devServerUrl, PrintStream out) {
        this.devServerUrl = devServerUrl;
        this.out = out;
    }

    /** The id of the first run the event started, waiting for it to appear. */
    String runOf(String eventId, String label, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode runs = get("/v1/events/" + eventId + "/runs").path("data");
            if (runs.size() > 0) {
                String runId = runs.get(0).path("run_id").asText();
                labels.put(runId, label);
                out.printf("▶ %-18s run %s started%n", label, runId);
                return runId;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("event " + eventId + " started no run within " + timeout.toSeconds() + " s; is the app synced?");
    }

    /** Waits until the run has reached the step named {@code stepName} (e.g. a waitForEvent is waiting). */
    void awaitStep(String runId, String stepName, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            poll();
            for (JsonNode step : lastSeen.getOrDefault(runId, Json.nodes().objectNode()).path("steps")) {
                if (stepName.equals(step.path("name").asText())) {
                    return;
                }
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("run " + runId + " did not reach step \"" + stepName + "\" within " + timeout.toSeconds() + " s");
    }

    /** Prints progress until every watched run has finished; returns the runs that did not complete. */
    List<String> awaitAll(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (finished.size() < labels.size() && System.nanoTime() < deadline) {
            poll();
            Thread.sleep(100);
        }
        var failed = new ArrayList<String>();
        for (String runId : labels.keySet()) {
            String status = lastSeen.getOrDefault(runId, Json.nodes().objectNode()).path("status").asText("Running");
            if (!status.equals("Completed")) {
                failed.add(labels.get(runId) + " (" + runId + "): " + status);
            }
        }
        return failed;
    }

    private void poll() {
        for (String runId : labels.keySet()) {
            if (finished.contains(runId)) {
                continue;
            }
            JsonNode run = get("/v1/runs/" + runId).path("data");
            if (run.isMissingNode()) {
                continue;
            }
            lastSeen.put(runId, run);
            show(runId, run);
        }
    }

    private void show(String runId, JsonNode run) {
        String label = labels.get(runId);
        JsonNode steps = run.path("steps");
        if (steps.size() > WIDE) {
            int done = 0;
            for (JsonNode s : steps) {
                if (s.path("status").asText().equals("completed")) {
                    done++;
                }
            }
            int shownAt = printedBar.getOrDefault(runId, -1);
            if (done != shownAt && (done == steps.size() || done - shownAt >= Math.max(1, steps.size() / 5))) {
                int width = 30;
                int filled = steps.size() == 0 ? 0 : done * width / steps.size();
                out.printf("  %-18s [%s%s] %d/%d steps%n", label, "#".repeat(filled), "-".repeat(width - filled), done, steps.size());
                printedBar.put(runId, done);
            }
        } else {
            Set<String> printed = printedSteps.computeIfAbsent(runId, k -> new HashSet<>());
            for (JsonNode s : steps) {
                String key = s.path("id").asText() + ":" + s.path("status").asText();
                String status = s.path("status").asText();
                if (printed.add(key) && (status.equals("completed") || status.equals("waiting") || status.equals("failed") || status.equals("errored"))) {
                    String mark = switch (status) {
                        case "completed" -> "✓";
                        case "waiting" -> "…";
                        case "errored" -> "↻";
                        default -> "✗";
                    };
                    String took = s.hasNonNull("duration_ms") && status.equals("completed") ? s.path("duration_ms").asLong() + " ms" : status;
                    out.printf("  %-18s %s %-20s %-13s %s%n", label, mark, s.path("name").asText(), s.path("op").asText(), took);
                }
            }
        }
        String status = run.path("status").asText();
        if (!status.equals("Running")) {
            finished.add(runId);
            JsonNode result = run.hasNonNull("output") ? run.get("output") : run.path("error");
            out.printf("%s %-18s %s → %s%n", status.equals("Completed") ? "■" : "✗", label, status, result);
        }
    }

    private JsonNode get(String path) {
        try {
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(devServerUrl + path)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            return r.statusCode() == 200 ? Json.mapper().readTree(r.body()) : Json.nodes().objectNode();
        } catch (IOException e) {
            return Json.nodes().objectNode();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Json.nodes().objectNode();
        }
    }
}

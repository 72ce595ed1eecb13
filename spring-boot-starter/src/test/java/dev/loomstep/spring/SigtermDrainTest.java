package dev.loomstep.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.devserver.DevServer;
import dev.loomstep.protocol.Json;
import dev.loomstep.testkit.ChildJvm;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM of a Boot app served over Connect ({@link SigtermConnectApp}, its own JVM, no web server) while
 * a step runs: Spring Boot's shutdown hook drains the worker, so the step finishes, its reply reaches the
 * devserver and the run completes without a retry; then the JVM exits.
 */
@Timeout(120)
class SigtermDrainTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void sigtermWhileAStepRunsLetsItFinishAndReplyBeforeTheJvmExits(@TempDir Path dir) throws Exception {
        try (var dev = DevServer.builder().port(0).connectPort(0).inMemory().start()) {
            Path log = dir.resolve("app.log");
            var command = ChildJvm.java(List.of("-cp", System.getProperty("java.class.path")),
                    List.of(SigtermConnectApp.class.getName(), "--loomstep.dev-server-url=" + dev.url()));
            try (var app = ChildJvm.start(command, Map.of(), log, "connect-app ready", Duration.ofSeconds(60))) {
                String eventId = send(dev.url(), "{\"name\":\"shop/slow\",\"data\":{}}");
                awaitLog(log, "step started");

                ProcessHandle.of(app.pid()).orElseThrow().destroy(); // SIGTERM
                var exited = ProcessHandle.of(app.pid()).map(ProcessHandle::onExit).orElseThrow();
                exited.get(60, TimeUnit.SECONDS);

                String printed = Files.readString(log);
                assertTrue(printed.contains("step finished"), "the step ran to its end after SIGTERM:\n" + printed);
                assertTrue(printed.contains("draining app \"shop\": 1 request(s) in flight"), printed);
                assertEquals(1, printed.split("step started", -1).length - 1, "the step ran once:\n" + printed);
                JsonNode run = awaitCompleted(dev.url(), eventId);
                assertEquals("slept", run.path("output").asText(), run.toString());
            }
        }
    }

    static void awaitLog(Path log, String line) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (!Files.readString(log).contains(line)) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("no \"" + line + "\" within 60 s:\n" + ChildJvm.tail(log, 40));
            }
            Thread.sleep(20);
        }
    }

    static String send(String devUrl, String event) throws Exception {
        var response = HTTP.send(HttpRequest.newBuilder(URI.create(devUrl + "/e/key")).POST(HttpRequest.BodyPublishers.ofString(event)).build(),
                HttpResponse.BodyHandlers.ofString());
        return Json.mapper().readTree(response.body()).path("ids").path(0).asText();
    }

    static JsonNode awaitCompleted(String devUrl, String eventId) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        JsonNode last = null;
        while (Instant.now().isBefore(deadline)) {
            last = get(devUrl + "/v1/events/" + eventId + "/runs");
            for (JsonNode run : last.path("data")) {
                if ("Completed".equals(run.path("status").asText())) {
                    return get(devUrl + "/v1/runs/" + run.path("run_id").asText()).path("data");
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no completed run for event " + eventId + " within 60 s: " + last);
    }

    static JsonNode get(String url) throws Exception {
        var response = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        return Json.mapper().readTree(response.body());
    }
}

package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Checkpointing;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.StepFailedException;
import dev.loomstep.Trigger;
import dev.loomstep.ai.AiModel;
import dev.loomstep.fetch.FetchRequest;
import dev.loomstep.testkit.FakeModelProviders;
import dev.loomstep.undertow.LoomstepServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A step.fetch or step.ai.infer waiting for its retry is a queue row that must still make the request
 * after a restart, but the database file must not hold the provider's API key or the fetch's auth
 * header readable: they are sealed with a key that is not in the file.
 */
@Timeout(60)
class GatewaySecretsAtRestTest {
    @TempDir
    Path dir;

    @Test
    void aPendingGatewayCallKeepsNoSecretReadableInTheFileAndStillRunsAfterARestart() throws Exception {
        Path db = dir.resolve("dev.db");
        String fetchSecret = "Bearer fetch-secret-" + UUID.randomUUID();
        String marker = "marker-" + UUID.randomUUID();
        var clock = new MovableClock(Instant.now());
        try (FakeModelProviders fakes = FakeModelProviders.start()) {
            var fetcher = Function.builder("fetcher").trigger(Trigger.event("gw/secret")).retries(2).handler((in, step) ->
                    step.fetch(FetchRequest.post(fakes.origin() + "/no-echo").header("Authorization", fetchSecret).body("{}")).statusCode());
            var asker = Function.builder("asker").trigger(Trigger.event("gw/secret")).retries(2).handler((in, step) ->
                    step.ai().infer("gpt", AiModel.openai("gpt-4o-mini").apiKey(FakeModelProviders.KEY).baseUrl(fakes.openaiBase()),
                            Map.of("messages", List.of(Map.of("role", "user", "content", "hi")))).at("/choices/0/message/content").asText());
            fakes.dropNext("/no-echo", 1);
            fakes.failNext("/openai", 1, 500);
            List<String> runs;
            // Retries 15 s apart (no delay scale): the rows wait in the file while the devserver is down.
            DevServer first = DevServer.builder().port(0).database(db).clock(clock).start();
            try (LoomstepServer server = LoomstepServer.builder(Loomstep.builder("gw").dev(first.url())
                    .checkpointing(Checkpointing.off()).functions(fetcher, asker).build()).host("127.0.0.1").port(0).start()) {
                server.sync();
                Api api = new Api(first);
                // Not Api.send: its event key is the fakes' API key, and the key must be found only where it leaks.
                var sent = api.request("POST", "/e/ingest", "{\"name\":\"gw/secret\",\"data\":{\"note\":\"" + marker + "\"}}");
                assertEquals(200, sent.status(), sent.text());
                String eventId = sent.json().get("ids").get(0).asText();
                runs = Api.await(() -> runsOf(api, eventId), r -> r.size() == 2, "both runs");
                for (String run : runs) {
                    Api.await(() -> api.run(run).path("steps").path(0), s -> s.path("attempt_errors").size() == 1
                            && !s.path("next_attempt_at").isNull(), "the first attempt to fail and its retry to be planned");
                }
                first.close();

                String file = readAll(db);
                assertTrue(file.contains(marker), "the scan sees what the devserver saved (the event)");
                assertFalse(file.contains(FakeModelProviders.KEY), "the provider's API key is not in the database file");
                assertFalse(file.contains(fetchSecret.substring("Bearer ".length())), "the fetch's auth header is not in the database file");

                clock.advance(Duration.ofMinutes(1)); // the retries are due
                try (DevServer second = DevServer.builder().port(0).database(db).clock(clock).start()) {
                    Api again = new Api(second);
                    var outputs = new ArrayList<String>();
                    for (String run : runs) {
                        outputs.add(again.awaitStatus(run, "Completed").get("output").asText());
                    }
                    assertTrue(outputs.contains("echo: hi"), outputs.toString());
                    assertTrue(outputs.contains("404"), outputs.toString());
                }
                assertEquals(fetchSecret, fakes.received("/no-echo").getLast().headers().get("authorization"),
                        "the retry after the restart sends the header the SDK asked for");
                assertEquals(2, fakes.received("/openai").size());
                assertEquals("Bearer " + FakeModelProviders.KEY, fakes.received("/openai").getLast().headers().get("authorization"));
            }
        }
    }

    @Test
    void aPendingCallWhoseKeyIsLostFailsAtOnceSayingWhy() throws Exception {
        Path db = dir.resolve("dev.db");
        var clock = new MovableClock(Instant.now());
        try (FakeModelProviders fakes = FakeModelProviders.start()) {
            var asker = Function.builder("asker").trigger(Trigger.event("gw/lost")).retries(2).handler((in, step) -> {
                try {
                    return step.ai().infer("gpt", AiModel.openai("gpt-4o-mini").apiKey(FakeModelProviders.KEY).baseUrl(fakes.openaiBase()),
                            Map.of("messages", List.of())).toString();
                } catch (StepFailedException e) {
                    return e.errorName() + ": " + e.errorMessage();
                }
            });
            fakes.failNext("/openai", 1, 500);
            DevServer first = DevServer.builder().port(0).database(db).clock(clock).start();
            try (LoomstepServer server = LoomstepServer.builder(Loomstep.builder("gw").dev(first.url())
                    .checkpointing(Checkpointing.off()).functions(asker).build()).host("127.0.0.1").port(0).start()) {
                server.sync();
                Api api = new Api(first);
                String run = api.runOf(api.send("gw/lost", Map.of()));
                Api.await(() -> api.run(run).path("steps").path(0), s -> s.path("attempt_errors").size() == 1
                        && !s.path("next_attempt_at").isNull(), "the first attempt to fail and its retry to be planned");
                first.close();
                Files.delete(dev.loomstep.devserver.store.SecretBox.keyFileOf(db)); // lost: the next start makes a new key

                clock.advance(Duration.ofMinutes(1));
                try (DevServer second = DevServer.builder().port(0).database(db).clock(clock).start()) {
                    JsonNode done = new Api(second).awaitStatus(run, "Completed");
                    String output = done.get("output").asText();
                    assertTrue(output.startsWith("AIGatewayError: Error making gateway request: the request's saved secrets do not open with"),
                            output);
                    assertEquals(2, done.at("/steps/0/attempts").asInt(), "no retry after the one that could not be made: " + done);
                }
                assertEquals(1, fakes.received("/openai").size(), "no request without its key");
            }
        }
    }

    private static List<String> runsOf(Api api, String eventId) {
        var out = new ArrayList<String>();
        api.get("/v1/events/" + eventId + "/runs").path("data").forEach(r -> out.add(r.path("run_id").asText()));
        return out;
    }

    /** The database and its WAL, as bytes an attacker with the file would read. */
    private static String readAll(Path db) throws Exception {
        var text = new StringBuilder();
        for (Path p : List.of(db, Path.of(db + "-wal"), Path.of(db + "-shm"))) {
            if (Files.exists(p)) {
                text.append(new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1));
            }
        }
        return text.toString();
    }
}
